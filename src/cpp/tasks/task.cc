#include "tasks/task.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

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

std::vector<std::string> task_names() {
  return {"Hopper-v5", "Walker2d-v5", "HalfCheetah-v5", "Ant-v5", "Humanoid-v5", "Humanoid21Imitation"};
}

std::unique_ptr<Task> make_task(const std::string& name) {
  if (auto task = make_gym_locomotion(name)) return task;
  if (auto task = make_humanoid_imitation(name)) return task;
  std::string known;
  for (const auto& n : task_names()) known += (known.empty() ? "" : ", ") + n;
  throw std::invalid_argument("unknown task '" + name + "'; known tasks: " + known);
}

}  // namespace gail_fast
