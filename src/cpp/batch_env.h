// nenv simulations of one MJCF model stepped on a fixed thread pool, one mjData each.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <mujoco/mujoco.h>

#include "rng.h"
#include "tasks/task.h"
#include "thread_pool.h"

namespace gail_fast {

// Caller-owned outputs of one BatchEnv::step; shapes in the comments, row-major.
struct StepOutputs {
  double* obs;             // (nenv, nobs), after the automatic reset of ended episodes
  double* reward;          // (nenv,)
  bool* terminated;        // (nenv,)
  bool* truncated;         // (nenv,)
  double* final_obs;       // (nenv, nobs), written only for rows whose episode ended
  bool* diverged;          // (nenv,), the physics went bad and the simulation was reset
  double* body_pos;        // (nenv, nbody_out, 3) or nullptr
};

class BatchEnv {
 public:
  // Throws std::invalid_argument for an unloadable model, an unknown body name or a
  // model whose sizes differ from those the task reads.
  BatchEnv(const std::string& xml_path, std::unique_ptr<Task> task, int nenv, int nthread,
           int max_episode_steps, const std::vector<std::string>& body_names);
  ~BatchEnv();
  BatchEnv(const BatchEnv&) = delete;
  BatchEnv& operator=(const BatchEnv&) = delete;

  // Reseeds simulation i with seed + i and starts a new episode in every simulation.
  void reset(std::uint64_t seed, double* obs, double* body_pos);

  // One control step of every simulation; actions is (nenv, nact).
  void step(const double* actions, const StepOutputs& out);

  // qpos (nenv, nq) and qvel (nenv, nv) of every simulation.
  void get_state(double* qpos, double* qvel) const;
  // Sets qpos and qvel and recomputes the derived quantities (mj_forward), as
  // Gymnasium's set_state does; episode step counters are left as they are.
  void set_state(const double* qpos, const double* qvel);

  // The plain physics of step(): controls, frame_skip mj_step calls and the task's reset
  // when an episode ends, on the calling thread alone, without observations. The
  // reference that measures what the thread pool and the task code cost.
  void step_physics_serial(const double* actions);

  int nenv() const { return static_cast<int>(data_.size()); }
  int nthread() const { return pool_.nthread(); }
  int nobs() const { return nobs_; }
  int nact() const { return model_->nu; }
  int nq() const { return model_->nq; }
  int nv() const { return model_->nv; }
  int nbody_out() const { return static_cast<int>(body_ids_.size()); }
  int frame_skip() const { return task_->frame_skip(); }
  int max_episode_steps() const { return max_episode_steps_; }
  double dt() const { return model_->opt.timestep * task_->frame_skip(); }
  const mjModel* model() const { return model_; }
  const std::vector<int>& elapsed_steps() const { return elapsed_; }

 private:
  void reset_one(int i);
  double* task_state(int i) { return task_state_.data() + static_cast<std::size_t>(task_->nstate()) * i; }
  void observe(int i, double* obs) { task_->observe(model_, data_[i], task_state(i), obs); }
  void body_positions(int i, double* body_pos) const;
  // Runs fn(i) on every simulation in the pool and rethrows the first MuJoCo error.
  template <typename Fn>
  void for_each_sim(Fn&& fn);

  mjModel* model_ = nullptr;
  std::unique_ptr<Task> task_;
  int nobs_ = 0;
  int max_episode_steps_ = 0;
  std::vector<mjData*> data_;
  std::vector<Rng> rng_;
  std::vector<int> elapsed_;
  std::vector<double> task_state_;  // (nenv, task nstate)
  std::vector<int> body_ids_;
  std::vector<std::string> errors_;  // per simulation, empty unless MuJoCo raised
  ThreadPool pool_;
};

// Installs the MuJoCo error handler that turns mju_error into a C++ exception (unless a
// handler is already installed, e.g. by the mujoco Python package, whose exception is
// caught the same way) and silences MuJoCo's warning printer: warnings are read from
// mjData.warning instead.
void install_mujoco_handlers();

}  // namespace gail_fast
