// Imitation on the 21-joint humanoid (assets/humanoid21*.xml): proprioception plus the
// pose features z_t, no task reward, the episode ends when the pelvis drops too low.
#pragma once

#include <memory>
#include <string>

#include "tasks/task.h"

namespace gail_fast {

// Returns nullptr if name is not the humanoid imitation task.
std::unique_ptr<Task> make_humanoid_imitation(const std::string& name);

}  // namespace gail_fast
