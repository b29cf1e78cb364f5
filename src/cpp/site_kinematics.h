// Where named sites of one MJCF model are, and how they move, at many given states:
// forward kinematics and velocities without stepping, on a fixed thread pool. What the
// discriminator needs of a body that the observation holds only as joint coordinates
// (the feet's motion over the floor), for a policy's batch and a clip's frames alike.
#pragma once

#include <mujoco/mujoco.h>

#include <mutex>
#include <string>
#include <vector>

#include "thread_pool.h"

namespace gail_fast {

// Caller-owned outputs of SiteKinematics::compute, world frame, row-major.
struct SiteMotion {
  double* pos;     // (n, nsite, 3) positions
  double* xmat;    // (n, nsite, 9) orientations, rotation matrices
  double* linvel;  // (n, nsite, 3) linear velocities of the sites' points
  double* angvel;  // (n, nsite, 3) angular velocities of the sites' bodies
};

class SiteKinematics {
 public:
  // Throws std::invalid_argument for a model that does not load or a site it lacks.
  SiteKinematics(const std::string& xml_path, const std::vector<std::string>& sites, int nthread);
  ~SiteKinematics();
  SiteKinematics(const SiteKinematics&) = delete;
  SiteKinematics& operator=(const SiteKinematics&) = delete;

  int nq() const { return model_->nq; }
  int nv() const { return model_->nv; }
  int nsite() const { return static_cast<int>(site_ids_.size()); }
  int nthread() const { return pool_.nthread(); }

  // qpos (n, nq), qvel (n, nv): finite (the caller checks). A second caller waits.
  void compute(const double* qpos, const double* qvel, long n, const SiteMotion& out);

 private:
  mjModel* model_ = nullptr;
  std::vector<mjData*> thread_data_;
  std::vector<int> site_ids_;
  ThreadPool pool_;
  std::mutex busy_;
};

}  // namespace gail_fast
