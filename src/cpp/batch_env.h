// nenv simulations of one MJCF model stepped on a fixed thread pool.
//
// Each simulation is a row of integration state (mj_getState's mjSTATE_INTEGRATION: all
// that decides its next step); each thread steps the simulations it takes in one mjData
// of its own, loading a row before and saving it after. That mjData stays in the
// thread's cache, where one mjData per simulation would be fetched cold at every step,
// and memory grows by a row, not an mjData, per simulation.
#pragma once

#include <mujoco/mujoco.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "rng.h"
#include "tasks/task.h"
#include "thread_pool.h"

namespace gail_fast {

// Caller-owned outputs of one BatchEnv::step; shapes in the comments, row-major.
struct StepOutputs {
  double* obs;        // (nenv, nobs), after the automatic reset of ended episodes
  double* reward;     // (nenv,)
  bool* terminated;   // (nenv,)
  bool* truncated;    // (nenv,)
  double* final_obs;  // (nenv, nobs), written only for rows whose episode ended
  bool* diverged;     // (nenv,), the physics went bad and the simulation was reset
  double* body_pos;   // (nenv, nbody_out, 3) or nullptr
};

// Caller-owned arrays of everything that decides the simulations' future: what a
// checkpoint keeps so that a resumed run steps on exactly as the interrupted one would.
struct SimState {
  double* integration;  // (nenv, state_size()), mj_getState's mjSTATE_INTEGRATION rows
  double* progress;     // (nenv, 2), the task's progress the next step starts from
  double* task_state;   // (nenv, task_nstate())
  int* elapsed;         // (nenv,) steps of the running episodes
  std::uint64_t* rng;   // (nenv, 4) each simulation's generator
  int* start_rows;      // (nenv,) the start-pool row each episode began from, -1 for none
};

class BatchEnv {
 public:
  // Throws std::invalid_argument for an unloadable model, an unknown body name or a
  // model whose sizes differ from those the task reads.
  BatchEnv(const std::string& xml_path, std::unique_ptr<Task> task, int nenv, int nthread, int max_episode_steps,
           const std::vector<std::string>& body_names);
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

  // Copies every simulation's state out, or in. set_sim_state trusts its input (the
  // bindings check it: finite rows, elapsed below the time limit, nonzero generators,
  // start rows within the pool, task_state_problem).
  void get_sim_state(const SimState& out) const;
  void set_sim_state(const SimState& in);
  int state_size() const { return nstate_; }
  // Why a row of task state cannot be a simulation's, or "" (Task::state_problem).
  std::string task_state_problem(const double* row) const { return task_->state_problem(row); }

  // Episodes start from a random row of a pool of recorded states with probability
  // fraction, otherwise from the task's reset: qpos (npool, nq), qvel (npool, nv) and
  // task_state (npool, task_nstate()), the task's per-simulation state at that row (e.g.
  // the humanoid's pelvis history). Simulation i draws with its own generator, so runs
  // stay identical for any thread count. npool == 0 removes the pool. Copies the rows.
  void set_start_pool(const double* qpos, const double* qvel, const double* task_state, int npool, double fraction);
  int start_pool_size() const { return npool_; }
  double start_fraction() const { return start_fraction_; }
  // (nenv,) the pool row each simulation's episode began from, -1 for the task's reset.
  const std::vector<int>& start_rows() const { return start_row_; }
  int task_nstate() const { return task_->nstate(); }

  // The action space's bounds (nact, 2), as the task maps actions to controls.
  void action_range(double* range) const { task_->action_range(model_, range); }

  // One caller at a time: the bindings take this flag around every call, so a second
  // thread calling in gets an exception instead of racing the first.
  bool try_acquire() const { return !busy_.exchange(true, std::memory_order_acquire); }
  void release() const { busy_.store(false, std::memory_order_release); }

  // The plain physics of step(): controls, frame_skip mj_step calls and the task's reset
  // when an episode ends, on the calling thread alone, without observations. The
  // reference that measures what the thread pool and the task code cost.
  void step_physics_serial(const double* actions);

  int nenv() const { return static_cast<int>(elapsed_.size()); }
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
  // Starts a new episode of simulation i in d and records the progress its next step starts from.
  void reset_one(int i, mjData* d);
  double* task_state(int i) { return task_state_.data() + static_cast<std::size_t>(task_->nstate()) * i; }
  double* state_row(int i) { return state_.data() + static_cast<std::size_t>(nstate_) * i; }
  const double* state_row(int i) const { return state_.data() + static_cast<std::size_t>(nstate_) * i; }
  double* progress(int i) { return progress_.data() + 2 * static_cast<std::size_t>(i); }
  void observe(int i, const mjData* d, double* obs) { task_->observe(model_, d, task_state(i), obs); }
  void body_positions(int i, const mjData* d, double* body_pos) const;
  // Runs fn(i, d) on every simulation in the pool, d the running thread's mjData holding
  // simulation i (its state row loaded first if load), saves d's state to the row after,
  // and rethrows the first MuJoCo error.
  template <typename Fn>
  void for_each_sim(bool load, Fn&& fn);

  mjModel* model_ = nullptr;
  std::unique_ptr<Task> task_;
  int nobs_ = 0;
  int max_episode_steps_ = 0;
  std::vector<mjData*> thread_data_;  // one per thread
  int nstate_ = 0;                    // doubles in a state row
  std::vector<double> state_;         // (nenv, nstate_)
  // (nenv, 2): the task's progress after the last step or reset of each simulation; the
  // next step's "before", as Gymnasium reads it from derived quantities left by mj_step.
  std::vector<double> progress_;
  std::vector<Rng> rng_;
  std::vector<int> elapsed_;
  std::vector<double> task_state_;  // (nenv, task nstate)
  std::vector<int> body_ids_;
  std::vector<std::string> errors_;  // per simulation, empty unless MuJoCo raised
  int npool_ = 0;
  double start_fraction_ = 0.0;
  std::vector<double> start_qpos_, start_qvel_, start_task_state_;  // (npool, nq), (npool, nv), (npool, task nstate)
  std::vector<int> start_row_;                                      // (nenv,)
  mutable std::atomic<bool> busy_{false};
  ThreadPool pool_;
};

// Installs the MuJoCo error handler that turns mju_error into a C++ exception (unless a
// handler is already installed, e.g. by the mujoco Python package, whose exception is
// caught the same way) and silences MuJoCo's warning printer: warnings are read from
// mjData.warning instead.
void install_mujoco_handlers();

}  // namespace gail_fast
