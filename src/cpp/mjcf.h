// Loading an MJCF model and the per-thread mjData that the batched kernels work in.
#pragma once

#include <mujoco/mujoco.h>

#include <string>
#include <vector>

namespace gail_fast {

// The model at xml_path; std::invalid_argument naming the file and MuJoCo's message if
// it does not load. The caller owns it (mj_deleteModel).
mjModel* load_mjcf(const std::string& xml_path);

// n fresh mjData of m (loaded from xml_path, for the message); on a failure frees those
// already made and throws std::runtime_error. The caller owns them (mj_deleteData).
std::vector<mjData*> make_thread_data(const mjModel* m, int n, const std::string& xml_path);

}  // namespace gail_fast
