#include "tasks/task.h"

#include <stdexcept>

#include "tasks/gym_locomotion.h"
#include "tasks/humanoid_imitation.h"

namespace gail_fast {

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
