// Imitation on the 21-joint humanoid (assets/humanoid21*.xml): proprioception plus the
// pose features z_t, no task reward; the episode ends when a body other than a foot
// touches the floor or the pelvis drops too low.
#pragma once

#include <memory>

#include "tasks/task.h"

namespace gail_fast {

// k of the pose features' pelvis displacement term: the mean over the last k steps.
constexpr int kHumanoidHistory = 10;
// Doubles of per-simulation task state: the count of pelvis positions pushed so far,
// then a ring of the last kHumanoidHistory + 1 of them, (x, y, z) each; position number
// c (0-based) sits in slot c % (kHumanoidHistory + 1).
constexpr int kHumanoidTaskState = 1 + 3 * (kHumanoidHistory + 1);
// Observed joint velocities are clipped to +-this, so that a violent state stays in range.
constexpr double kHumanoidVelocityClip = 50.0;
// The model's sites that give the pose features' points, in the order of mocap/pose_features.h.
inline constexpr const char* kHumanoidFeatureSites[] = {"pelvis",    "left_foot",  "right_foot",
                                                        "left_hand", "right_hand", "head"};

// For the registry, environments() in task.h.
std::unique_ptr<Task> make_humanoid_imitation();

}  // namespace gail_fast
