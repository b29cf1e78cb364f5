#include "tasks/humanoid_imitation.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "pose_features.h"

namespace gail_fast {
namespace {

constexpr int kHistory = 10;          // k of the pelvis displacement term
constexpr double kFallHeight = 0.6;   // pelvis height (m) below which the episode ends
constexpr double kResetNoise = 0.02;  // joint angle and velocity noise at reset
constexpr double kVelocityClip = 50.0;
// The feature points, in the order of pose_features.h.
constexpr const char* kSites[kPosePoints] = {"pelvis", "left_foot", "right_foot", "left_hand", "right_hand", "head"};

class HumanoidImitation : public Task {
 public:
  ModelSize model_size() const override { return {28, 27, 21}; }
  int frame_skip() const override { return 3; }  // 0.015 s control step at a 0.005 s timestep
  int nobs(const mjModel* m) const override { return m->nq - 2 + m->nv + kPoseFeatures; }
  // count of pushed pelvis positions, then a ring of the last kHistory + 1 of them
  int nstate() const override { return 1 + 3 * (kHistory + 1); }

  void bind(const mjModel* m) override {
    for (int k = 0; k < kPosePoints; ++k) {
      site_[k] = mj_name2id(m, mjOBJ_SITE, kSites[k]);
      if (site_[k] < 0) throw std::invalid_argument(std::string("the humanoid model has no site '") + kSites[k] + "'");
    }
    // Body size: standing height, head top above the lowest foot point, at qpos0.
    mjData* d = mj_makeData(m);
    mj_kinematics(m, d);
    const double foot = std::min(d->site_xpos[3 * site_[1] + 2], d->site_xpos[3 * site_[2] + 2]);
    scale_ = d->site_xpos[3 * site_[5] + 2] - foot;
    mj_deleteData(d);
    if (!(scale_ > 0)) throw std::invalid_argument("the humanoid's head is not above its feet at qpos0");
  }

  void reset(const mjModel* m, mjData* d, Rng& rng) const override {
    for (int i = 7; i < m->nq; ++i) d->qpos[i] = m->qpos0[i] + rng.uniform(-kResetNoise, kResetNoise);
    for (int i = 6; i < m->nv; ++i) d->qvel[i] = rng.uniform(-kResetNoise, kResetNoise);
  }

  void after_reset(const mjModel*, const mjData* d, double* state) const override {
    state[0] = 0.0;
    push_pelvis(d, state);
  }

  void after_step(const mjModel*, const mjData* d, double* state) const override { push_pelvis(d, state); }

  void progress(const mjModel*, const mjData* d, double* xy) const override {
    xy[0] = d->qpos[0];
    xy[1] = d->qpos[1];
  }

  StepOutcome outcome(const mjModel*, const mjData* d, const double*, const double*, const double*,
                      double) const override {
    return {0.0, d->site_xpos[3 * site_[0] + 2] < kFallHeight};
  }

  void observe(const mjModel* m, const mjData* d, const double* state, double* obs) const override {
    obs = std::copy(d->qpos + 2, d->qpos + m->nq, obs);
    for (int i = 0; i < m->nv; ++i) *obs++ = std::clamp(d->qvel[i], -kVelocityClip, kVelocityClip);
    // Site positions are those mj_step left: the state at the start of its last substep
    // (5 ms back), as for every derived quantity; after a reset they are current.
    double points[3 * kPosePoints];
    for (int k = 0; k < kPosePoints; ++k) std::copy_n(d->site_xpos + 3 * site_[k], 3, points + 3 * k);
    // The pelvis frame's x axis, projected on the ground, is the heading.
    const double* r = d->site_xmat + 9 * site_[0];
    const double forward[2] = {r[0], r[3]};
    const int count = static_cast<int>(state[0]);
    const int back = std::min(count - 1, kHistory);
    const double* past = state + 1 + 3 * ((count - 1 - back) % (kHistory + 1));
    pose_features(points, forward, scale_, past, back, obs);
  }

 private:
  void push_pelvis(const mjData* d, double* state) const {
    const int count = static_cast<int>(state[0]);
    std::copy_n(d->site_xpos + 3 * site_[0], 3, state + 1 + 3 * (count % (kHistory + 1)));
    state[0] = count + 1;
  }

  int site_[kPosePoints] = {};
  double scale_ = 1.0;
};

}  // namespace

std::unique_ptr<Task> make_humanoid_imitation(const std::string& name) {
  if (name == "Humanoid21Imitation") return std::make_unique<HumanoidImitation>();
  return nullptr;
}

}  // namespace gail_fast
