// Gymnasium's MuJoCo locomotion tasks, v5, with their default arguments: the same
// observation layout, reward terms, healthy termination and reset noise.
#pragma once

#include <memory>
#include <string>

#include "tasks/task.h"

namespace gail_fast {

// Returns nullptr if name is not a Gymnasium locomotion task.
std::unique_ptr<Task> make_gym_locomotion(const std::string& name);

}  // namespace gail_fast
