#include "tasks/task.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "tasks/gym_locomotion.h"
#include "tasks/humanoid_imitation.h"

namespace gail_fast {

void Task::control(const mjModel* m, const double* action, double* ctrl) const { std::copy_n(action, m->nu, ctrl); }

void Task::action_range(const mjModel* m, double* range) const {
  for (int i = 0; i < m->nu; ++i) {
    const bool limited = m->actuator_ctrllimited[i];
    range[2 * i] = limited ? m->actuator_ctrlrange[2 * i] : -INFINITY;
    range[2 * i + 1] = limited ? m->actuator_ctrlrange[2 * i + 1] : INFINITY;
  }
}

const std::vector<Environment>& environments() {
  static const std::vector<Environment> registry = {
      {"Hopper-v5", "Hopper-v5", make_hopper, "gymnasium", "hopper.xml", 1000, false},
      {"Walker2d-v5", "Walker2d-v5", make_walker2d, "gymnasium", "walker2d_v5.xml", 1000, false},
      {"HalfCheetah-v5", "HalfCheetah-v5", make_half_cheetah, "gymnasium", "half_cheetah.xml", 1000, false},
      {"Ant-v5", "Ant-v5", make_ant, "gymnasium", "ant.xml", 1000, false},
      {"Humanoid-v5", "Humanoid-v5", make_humanoid, "gymnasium", "humanoid.xml", 1000, false},
      // Our 21-joint humanoid for imitation, with position servos or with motors.
      {"Humanoid21Imitation-v0", "Humanoid21Imitation", make_humanoid_imitation, "gail_fast", "humanoid21.xml", 1000,
       true},
      {"Humanoid21ImitationTorque-v0", "Humanoid21Imitation", make_humanoid_imitation, "gail_fast",
       "humanoid21_torque.xml", 1000, true},
  };
  return registry;
}

std::vector<std::string> task_names() {
  std::vector<std::string> names;
  for (const auto& e : environments())
    if (std::find(names.begin(), names.end(), e.task) == names.end()) names.emplace_back(e.task);
  return names;
}

std::unique_ptr<Task> make_task(const std::string& name) {
  for (const auto& e : environments())
    if (name == e.task) return e.make_task();
  std::string known;
  for (const auto& n : task_names()) known += (known.empty() ? "" : ", ") + n;
  throw std::invalid_argument("unknown task '" + name + "'; known tasks: " + known);
}

}  // namespace gail_fast
