// A task turns a MuJoCo model into an environment: what the policy observes, the reward,
// when an episode ends and how it starts. One object serves every simulation of a
// batch, so its methods are const and read only the mjData they are given.
#pragma once

#include <mujoco/mujoco.h>

#include <memory>
#include <string>
#include <vector>

#include "rng.h"

namespace gail_fast {

// The sizes of the model a task reads: it indexes qpos, qvel and ctrl by position.
struct ModelSize {
  int nq, nv, nu;
};

struct StepOutcome {
  double reward = 0.0;
  bool terminated = false;
};

class Task {
 public:
  virtual ~Task() = default;

  virtual ModelSize model_size() const = 0;
  // Resolves the names the task reads (sites, bodies) in the model; throws
  // std::invalid_argument if one is missing. Called once, before anything else.
  virtual void bind(const mjModel*) {}

  // MuJoCo steps per control step.
  virtual int frame_skip() const = 0;
  virtual int nobs(const mjModel* m) const = 0;
  // Doubles of per-simulation state the task keeps between steps (e.g. a history).
  virtual int nstate() const { return 0; }

  // Writes the initial state onto an mjData fresh from mj_resetData; the caller then
  // runs mj_forward and after_reset.
  virtual void reset(const mjModel* m, mjData* d, Rng& rng) const = 0;
  virtual void after_reset(const mjModel*, const mjData*, double* /*state*/) const {}
  // Why a row of task state (nstate() finite doubles) from outside (a start pool, a
  // checkpoint) cannot be a simulation's, or "" if it can: the task indexes with it.
  virtual std::string state_problem(const double* /*state*/) const { return {}; }

  // The task's notion of progress (e.g. torso x), whose difference per second over a
  // step rewards moving forward. Read after every reset, set_state and step; a step's
  // "before" is the previous reading, as Gymnasium reads it from what mj_step left.
  virtual void progress(const mjModel* m, const mjData* d, double* xy) const = 0;

  // Updates the task state after the physics step, before outcome() and observe().
  virtual void after_step(const mjModel*, const mjData*, double* /*state*/) const {}

  // Reward and termination after the physics step; action has m->nu entries.
  virtual StepOutcome outcome(const mjModel* m, const mjData* d, const double* action, const double* xy_before,
                              const double* xy_after, double dt) const = 0;

  virtual void observe(const mjModel* m, const mjData* d, const double* state, double* obs) const = 0;

  // Whether observe() or outcome() reads cfrc_ext, which mj_step leaves stale.
  virtual bool needs_contact_forces() const { return false; }

  // Whether observe(), outcome() and after_step() read positions of the state after the
  // step (mj_kinematics is run for them); otherwise they read what mj_step left, the state
  // at the start of its last substep, as Gymnasium's tasks do.
  virtual bool needs_current_kinematics() const { return false; }

  // The actuators' controls ctrl (m->nu,) for a policy action (m->nu,); by default the
  // action is the control.
  virtual void control(const mjModel* m, const double* action, double* ctrl) const;
  // Bounds of the action space, range (m->nu, 2); by default the actuators' control
  // ranges, +-inf where an actuator is not limited.
  virtual void action_range(const mjModel* m, double* range) const;
};

// One fast environment: a task on a model, with what Python needs to build it.
struct Environment {
  const char* id;    // as gail_fast.envs.make takes it ("Hopper-v5", ...)
  const char* task;  // the task's name, as BatchEnv takes it; rows that share one share make_task
  std::unique_ptr<Task> (*make_task)();
  const char* assets;  // whose model: "gymnasium" (its MuJoCo assets) or "gail_fast" (ours)
  const char* model;   // the MJCF file among those assets
  int max_episode_steps;
  bool pose_features;  // whether observations end with the pose features z_t
};

// The registry: every environment compiled in, one row each.
const std::vector<Environment>& environments();

// The tasks of environments(), each once, in the registry's order.
std::vector<std::string> task_names();

// Throws std::invalid_argument naming the known tasks if name is not one of them.
std::unique_ptr<Task> make_task(const std::string& name);

}  // namespace gail_fast
