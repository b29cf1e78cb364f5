#include "tasks/gym_locomotion.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace gail_fast {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

double sum_squares(const double* x, int n) {
  double s = 0.0;
  for (int i = 0; i < n; ++i) s += x[i] * x[i];
  return s;
}

// Copies qpos without its first nskip entries (the global position), then qvel clipped
// to +-vel_clip; returns the next free slot.
double* observe_qpos_qvel(const mjModel* m, const mjData* d, int nskip, double vel_clip, double* obs) {
  obs = std::copy(d->qpos + nskip, d->qpos + m->nq, obs);
  for (int i = 0; i < m->nv; ++i) *obs++ = std::clamp(d->qvel[i], -vel_clip, vel_clip);
  return obs;
}

// qpos = qpos0 + U(-scale, scale); qvel = U(-scale, scale) or scale * N(0, 1).
void reset_with_noise(const mjModel* m, mjData* d, Rng& rng, double scale, bool normal_qvel) {
  for (int i = 0; i < m->nq; ++i) d->qpos[i] = m->qpos0[i] + rng.uniform(-scale, scale);
  for (int i = 0; i < m->nv; ++i) d->qvel[i] = normal_qvel ? scale * rng.normal() : rng.uniform(-scale, scale);
}

// Hopper-v5 and Walker2d-v5: planar walkers rewarded for x velocity and for staying
// healthy, with velocities clipped to +-10 in the observation.
class PlanarWalker : public Task {
 public:
  int frame_skip() const override { return 4; }
  int nobs(const mjModel* m) const override { return m->nq - 1 + m->nv; }
  void reset(const mjModel* m, mjData* d, Rng& rng) const override { reset_with_noise(m, d, rng, 5e-3, false); }
  void progress(const mjModel*, const mjData* d, double* xy) const override {
    xy[0] = d->qpos[0];
    xy[1] = 0.0;
  }
  StepOutcome outcome(const mjModel* m, const mjData* d, const double* action, const double* before,
                      const double* after, double dt) const override {
    const bool healthy = is_healthy(m, d);
    const double x_velocity = (after[0] - before[0]) / dt;
    const double rewards = x_velocity + (healthy ? 1.0 : 0.0);
    return {rewards - 1e-3 * sum_squares(action, m->nu), !healthy};
  }
  void observe(const mjModel* m, const mjData* d, const double*, double* obs) const override {
    observe_qpos_qvel(m, d, 1, 10.0, obs);
  }

 protected:
  virtual bool is_healthy(const mjModel* m, const mjData* d) const = 0;
};

class Hopper : public PlanarWalker {
  ModelSize model_size() const override { return {6, 6, 3}; }
  bool is_healthy(const mjModel* m, const mjData* d) const override {
    const double z = d->qpos[1], angle = d->qpos[2];
    // Every entry of the state vector but x and z must stay within (-100, 100).
    for (int i = 2; i < m->nq; ++i)
      if (!(-100.0 < d->qpos[i] && d->qpos[i] < 100.0)) return false;
    for (int i = 0; i < m->nv; ++i)
      if (!(-100.0 < d->qvel[i] && d->qvel[i] < 100.0)) return false;
    return 0.7 < z && z < kInf && -0.2 < angle && angle < 0.2;
  }
};

class Walker2d : public PlanarWalker {
  ModelSize model_size() const override { return {9, 9, 6}; }
  bool is_healthy(const mjModel*, const mjData* d) const override {
    const double z = d->qpos[1], angle = d->qpos[2];
    return 0.8 < z && z < 2.0 && -1.0 < angle && angle < 1.0;
  }
};

// HalfCheetah-v5: no termination, no healthy reward, unclipped velocities.
class HalfCheetah : public Task {
 public:
  ModelSize model_size() const override { return {9, 9, 6}; }
  int frame_skip() const override { return 5; }
  int nobs(const mjModel* m) const override { return m->nq - 1 + m->nv; }
  void reset(const mjModel* m, mjData* d, Rng& rng) const override { reset_with_noise(m, d, rng, 0.1, true); }
  void progress(const mjModel*, const mjData* d, double* xy) const override {
    xy[0] = d->qpos[0];
    xy[1] = 0.0;
  }
  StepOutcome outcome(const mjModel* m, const mjData*, const double* action, const double* before, const double* after,
                      double dt) const override {
    const double x_velocity = (after[0] - before[0]) / dt;
    return {x_velocity - 0.1 * sum_squares(action, m->nu), false};
  }
  void observe(const mjModel* m, const mjData* d, const double*, double* obs) const override {
    observe_qpos_qvel(m, d, 1, kInf, obs);
  }
};

// Ant-v5: torso (body 1) xy velocity, contact forces clipped to [-1, 1].
class Ant : public Task {
 public:
  ModelSize model_size() const override { return {15, 14, 8}; }
  int frame_skip() const override { return 5; }
  int nobs(const mjModel* m) const override { return m->nq - 2 + m->nv + 6 * (m->nbody - 1); }
  void reset(const mjModel* m, mjData* d, Rng& rng) const override { reset_with_noise(m, d, rng, 0.1, true); }
  void progress(const mjModel*, const mjData* d, double* xy) const override {
    xy[0] = d->xpos[3 * 1 + 0];
    xy[1] = d->xpos[3 * 1 + 1];
  }
  StepOutcome outcome(const mjModel* m, const mjData* d, const double* action, const double* before,
                      const double* after, double dt) const override {
    bool finite = true;
    for (int i = 0; i < m->nq; ++i) finite = finite && std::isfinite(d->qpos[i]);
    for (int i = 0; i < m->nv; ++i) finite = finite && std::isfinite(d->qvel[i]);
    const double z = d->qpos[2];
    const bool healthy = finite && 0.2 <= z && z <= 1.0;
    double contact = 0.0;
    for (int i = 0; i < 6 * m->nbody; ++i) {
      const double f = std::clamp(d->cfrc_ext[i], -1.0, 1.0);
      contact += f * f;
    }
    const double x_velocity = (after[0] - before[0]) / dt;
    const double rewards = x_velocity + (healthy ? 1.0 : 0.0);
    const double costs = 0.5 * sum_squares(action, m->nu) + 5e-4 * contact;
    return {rewards - costs, !healthy};
  }
  void observe(const mjModel* m, const mjData* d, const double*, double* obs) const override {
    obs = observe_qpos_qvel(m, d, 2, kInf, obs);
    for (int i = 6; i < 6 * m->nbody; ++i) *obs++ = std::clamp(d->cfrc_ext[i], -1.0, 1.0);
  }
  bool needs_contact_forces() const override { return true; }
};

// Humanoid-v5: centre-of-mass xy velocity; observes com inertia and velocity, actuator
// forces and contact forces of every body but the world.
class Humanoid : public Task {
 public:
  ModelSize model_size() const override { return {24, 23, 17}; }
  int frame_skip() const override { return 5; }
  int nobs(const mjModel* m) const override { return m->nq - 2 + m->nv + (10 + 6 + 6) * (m->nbody - 1) + (m->nv - 6); }
  void reset(const mjModel* m, mjData* d, Rng& rng) const override { reset_with_noise(m, d, rng, 1e-2, false); }
  void progress(const mjModel* m, const mjData* d, double* xy) const override {
    double mass = 0.0, x = 0.0, y = 0.0;
    for (int b = 0; b < m->nbody; ++b) {
      mass += m->body_mass[b];
      x += m->body_mass[b] * d->xipos[3 * b];
      y += m->body_mass[b] * d->xipos[3 * b + 1];
    }
    xy[0] = x / mass;
    xy[1] = y / mass;
  }
  StepOutcome outcome(const mjModel* m, const mjData* d, const double*, const double* before, const double* after,
                      double dt) const override {
    const double z = d->qpos[2];
    const bool healthy = 1.0 < z && z < 2.0;
    // The control cost reads ctrl, which holds the action (MuJoCo clamps a copy).
    const double ctrl_cost = 0.1 * sum_squares(d->ctrl, m->nu);
    const double contact_cost = std::min(5e-7 * sum_squares(d->cfrc_ext, 6 * m->nbody), 10.0);
    const double x_velocity = (after[0] - before[0]) / dt;
    const double rewards = 1.25 * x_velocity + (healthy ? 5.0 : 0.0);
    return {rewards - (ctrl_cost + contact_cost), !healthy};
  }
  void observe(const mjModel* m, const mjData* d, const double*, double* obs) const override {
    obs = observe_qpos_qvel(m, d, 2, kInf, obs);
    obs = std::copy(d->cinert + 10, d->cinert + 10 * m->nbody, obs);
    obs = std::copy(d->cvel + 6, d->cvel + 6 * m->nbody, obs);
    obs = std::copy(d->qfrc_actuator + 6, d->qfrc_actuator + m->nv, obs);
    std::copy(d->cfrc_ext + 6, d->cfrc_ext + 6 * m->nbody, obs);
  }
  bool needs_contact_forces() const override { return true; }
};

}  // namespace

std::unique_ptr<Task> make_hopper() { return std::make_unique<Hopper>(); }
std::unique_ptr<Task> make_walker2d() { return std::make_unique<Walker2d>(); }
std::unique_ptr<Task> make_half_cheetah() { return std::make_unique<HalfCheetah>(); }
std::unique_ptr<Task> make_ant() { return std::make_unique<Ant>(); }
std::unique_ptr<Task> make_humanoid() { return std::make_unique<Humanoid>(); }

}  // namespace gail_fast
