#include "tasks/humanoid_imitation.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "mocap/pose_features.h"

namespace gail_fast {
namespace {

constexpr double kFallHeight = 0.6;   // pelvis height (m) below which the episode ends
constexpr double kResetNoise = 0.02;  // joint angle and velocity noise at reset
static_assert(std::size(kHumanoidFeatureSites) == kPosePoints);
// The only bodies allowed to touch the floor.
constexpr const char* kFeet[2] = {"left_foot", "right_foot"};

class HumanoidImitation : public Task {
 public:
  ModelSize model_size() const override { return {28, 27, 21}; }
  int frame_skip() const override { return 3; }  // 0.015 s control step at a 0.005 s timestep
  int nobs(const mjModel* m) const override { return m->nq - 2 + m->nv + kPoseFeatures; }
  int nstate() const override { return kHumanoidTaskState; }
  // Features and termination read the state the step ended in, as a clip's frames are.
  bool needs_current_kinematics() const override { return true; }

  void bind(const mjModel* m) override {
    for (int k = 0; k < kPosePoints; ++k) {
      site_[k] = mj_name2id(m, mjOBJ_SITE, kHumanoidFeatureSites[k]);
      if (site_[k] < 0)
        throw std::invalid_argument(std::string("the humanoid model has no site '") + kHumanoidFeatureSites[k] + "'");
    }
    floor_ = mj_name2id(m, mjOBJ_GEOM, "floor");
    if (floor_ < 0) throw std::invalid_argument("the humanoid model has no geom 'floor'");
    for (int k = 0; k < 2; ++k) {
      feet_[k] = mj_name2id(m, mjOBJ_BODY, kFeet[k]);
      if (feet_[k] < 0) throw std::invalid_argument(std::string("the humanoid model has no body '") + kFeet[k] + "'");
    }
    // Position servos take the action as a target angle: a in [-1, 1] moves the target
    // from the joint's nominal angle (qpos0) by a times half the joint's range, so zero
    // action holds the nominal pose. Motors take the action as their control.
    servo_.assign(m->nu, false);
    nominal_.assign(m->nu, 0.0);
    half_range_.assign(m->nu, 0.0);
    for (int i = 0; i < m->nu; ++i) {
      if (m->actuator_biastype[i] != mjBIAS_AFFINE) continue;
      if (m->actuator_trntype[i] != mjTRN_JOINT || !m->actuator_ctrllimited[i])
        throw std::invalid_argument("the humanoid's position servo " + std::to_string(i) +
                                    " must drive a joint and have a control range");
      servo_[i] = true;
      nominal_[i] = m->qpos0[m->jnt_qposadr[m->actuator_trnid[2 * i]]];
      half_range_[i] = 0.5 * (m->actuator_ctrlrange[2 * i + 1] - m->actuator_ctrlrange[2 * i]);
    }
    // Body size: standing height, head top above the lowest foot point, at qpos0.
    mjData* d = mj_makeData(m);
    mj_kinematics(m, d);
    const double foot = std::min(d->site_xpos[3 * site_[1] + 2], d->site_xpos[3 * site_[2] + 2]);
    scale_ = d->site_xpos[3 * site_[5] + 2] - foot;
    mj_deleteData(d);
    if (!(scale_ > 0)) throw std::invalid_argument("the humanoid's head is not above its feet at qpos0");
  }

  void control(const mjModel* m, const double* action, double* ctrl) const override {
    for (int i = 0; i < m->nu; ++i) {
      if (!servo_[i]) {
        ctrl[i] = action[i];
        continue;
      }
      const double* range = m->actuator_ctrlrange + 2 * i;
      ctrl[i] = std::clamp(nominal_[i] + action[i] * half_range_[i], range[0], range[1]);
    }
  }

  void action_range(const mjModel* m, double* range) const override {
    Task::action_range(m, range);
    for (int i = 0; i < m->nu; ++i)
      if (servo_[i]) range[2 * i] = -1.0, range[2 * i + 1] = 1.0;
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

  // The count picks the ring's slots: a whole number of positions, at least the first.
  std::string state_problem(const double* state) const override {
    if (state[0] >= 1 && state[0] <= std::numeric_limits<int>::max() && state[0] == std::floor(state[0])) return {};
    return "its count of pelvis positions (column 0) must be a whole number >= 1, got " + std::to_string(state[0]);
  }

  void progress(const mjModel*, const mjData* d, double* xy) const override {
    xy[0] = d->qpos[0];
    xy[1] = d->qpos[1];
  }

  StepOutcome outcome(const mjModel* m, const mjData* d, const double*, const double*, const double*,
                      double) const override {
    return {0.0, d->site_xpos[3 * site_[0] + 2] < kFallHeight || body_on_floor(m, d)};
  }

  void observe(const mjModel* m, const mjData* d, const double* state, double* obs) const override {
    obs = std::copy(d->qpos + 2, d->qpos + m->nq, obs);
    for (int i = 0; i < m->nv; ++i) *obs++ = std::clamp(d->qvel[i], -kHumanoidVelocityClip, kHumanoidVelocityClip);
    double points[3 * kPosePoints];
    for (int k = 0; k < kPosePoints; ++k) std::copy_n(d->site_xpos + 3 * site_[k], 3, points + 3 * k);
    // The pelvis frame's x axis, projected on the ground, is the heading.
    const double* r = d->site_xmat + 9 * site_[0];
    const double forward[2] = {r[0], r[3]};
    const int count = static_cast<int>(state[0]);
    const int back = std::min(count - 1, kHumanoidHistory);
    const double* past = state + 1 + 3 * ((count - 1 - back) % (kHumanoidHistory + 1));
    pose_features(points, forward, scale_, past, back, obs);
  }

 private:
  void push_pelvis(const mjData* d, double* state) const {
    const int count = static_cast<int>(state[0]);
    std::copy_n(d->site_xpos + 3 * site_[0], 3, state + 1 + 3 * (count % (kHumanoidHistory + 1)));
    state[0] = count + 1;
  }

  // Whether a body other than a foot touches the floor (contacts of the last substep).
  bool body_on_floor(const mjModel* m, const mjData* d) const {
    for (int c = 0; c < d->ncon; ++c) {
      const mjContact& con = d->contact[c];
      int other;
      if (con.geom[0] == floor_)
        other = con.geom[1];
      else if (con.geom[1] == floor_)
        other = con.geom[0];
      else
        continue;
      const int body = m->geom_bodyid[other];
      if (body != feet_[0] && body != feet_[1]) return true;
    }
    return false;
  }

  int site_[kPosePoints] = {};
  int floor_ = -1;
  int feet_[2] = {-1, -1};
  std::vector<bool> servo_;
  std::vector<double> nominal_, half_range_;
  double scale_ = 1.0;
};

}  // namespace

std::unique_ptr<Task> make_humanoid_imitation() { return std::make_unique<HumanoidImitation>(); }

}  // namespace gail_fast
