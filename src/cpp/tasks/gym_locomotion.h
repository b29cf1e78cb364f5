// Gymnasium's MuJoCo locomotion tasks, v5, with their default arguments: the same
// observation layout, reward terms, healthy termination and reset noise.
#pragma once

#include <memory>

#include "tasks/task.h"

namespace gail_fast {

// For the registry, environments() in task.h.
std::unique_ptr<Task> make_hopper();
std::unique_ptr<Task> make_walker2d();
std::unique_ptr<Task> make_half_cheetah();
std::unique_ptr<Task> make_ant();
std::unique_ptr<Task> make_humanoid();

}  // namespace gail_fast
