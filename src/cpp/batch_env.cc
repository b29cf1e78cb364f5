#include "batch_env.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>
#include <stdexcept>

#include "mjcf.h"

namespace gail_fast {
namespace {

class MujocoError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

void throw_mujoco_error(const char* msg) { throw MujocoError(msg); }
void ignore_mujoco_warning(const char*) {}

// Warnings after which MuJoCo has reset the simulation itself (mj_checkPos/Vel/Acc).
int divergence_count(const mjData* d) {
  return d->warning[mjWARN_BADQPOS].number + d->warning[mjWARN_BADQVEL].number + d->warning[mjWARN_BADQACC].number;
}

// Everything that decides a simulation's next step.
constexpr int kStateSpec = mjSTATE_INTEGRATION;

bool state_is_finite(const mjModel* m, const mjData* d) {
  for (int i = 0; i < m->nq; ++i)
    if (!std::isfinite(d->qpos[i])) return false;
  for (int i = 0; i < m->nv; ++i)
    if (!std::isfinite(d->qvel[i])) return false;
  return true;
}

}  // namespace

void install_mujoco_handlers() {
  if (!mju_user_error) mju_user_error = throw_mujoco_error;
  if (!mju_user_warning) mju_user_warning = ignore_mujoco_warning;
}

BatchEnv::BatchEnv(const std::string& xml_path, std::unique_ptr<Task> task, int nenv, int nthread,
                   int max_episode_steps, const std::vector<std::string>& body_names)
    : task_(std::move(task)), max_episode_steps_(max_episode_steps), pool_(nthread) {
  if (nenv < 1) throw std::invalid_argument("nenv must be >= 1, got " + std::to_string(nenv));
  model_ = load_mjcf(xml_path);
  try {
    const ModelSize want = task_->model_size();
    if (model_->nq != want.nq || model_->nv != want.nv || model_->nu != want.nu)
      throw std::invalid_argument("MJCF '" + xml_path + "' has nq=" + std::to_string(model_->nq) +
                                  ", nv=" + std::to_string(model_->nv) + ", nu=" + std::to_string(model_->nu) +
                                  "; its task expects nq=" + std::to_string(want.nq) +
                                  ", nv=" + std::to_string(want.nv) + ", nu=" + std::to_string(want.nu));
    task_->bind(model_);
    nobs_ = task_->nobs(model_);
    for (const auto& name : body_names) {
      const int id = mj_name2id(model_, mjOBJ_BODY, name.c_str());
      if (id < 0) {
        std::string known;
        for (int b = 0; b < model_->nbody; ++b) {
          const char* n = mj_id2name(model_, mjOBJ_BODY, b);
          if (n) known += (known.empty() ? "" : ", ") + std::string(n);
        }
        throw std::invalid_argument("no body named '" + name + "' in '" + xml_path + "'; bodies: " + known);
      }
      body_ids_.push_back(id);
    }
    thread_data_ = make_thread_data(model_, pool_.nthread(), xml_path);
  } catch (...) {
    mj_deleteModel(model_);
    throw;
  }
  // Every row starts as a fresh mjData's state, as mj_makeData would leave it.
  nstate_ = mj_stateSize(model_, kStateSpec);
  state_.resize(static_cast<std::size_t>(nenv) * nstate_);
  std::vector<double> fresh(nstate_);
  mj_getState(model_, thread_data_[0], fresh.data(), kStateSpec);
  for (int i = 0; i < nenv; ++i) std::copy(fresh.begin(), fresh.end(), state_row(i));
  progress_.assign(2 * static_cast<std::size_t>(nenv), 0.0);
  rng_.resize(nenv);
  elapsed_.assign(nenv, 0);
  task_state_.assign(static_cast<std::size_t>(nenv) * task_->nstate(), 0.0);
  errors_.resize(nenv);
  start_row_.assign(nenv, -1);
}

BatchEnv::~BatchEnv() {
  for (auto* d : thread_data_) mj_deleteData(d);
  mj_deleteModel(model_);
}

template <typename Fn>
void BatchEnv::for_each_sim(bool load, Fn&& fn) {
  pool_.parallel_for(nenv(), [&](int i, int thread) {
    mjData* d = thread_data_[thread];
    try {
      if (load) mj_setState(model_, d, state_row(i), kStateSpec);
      fn(i, d);
      mj_getState(model_, d, state_row(i), kStateSpec);
    } catch (const std::exception& e) {
      errors_[i] = e.what();
    } catch (...) {
      errors_[i] = "unknown error";
    }
  });
  for (int i = 0; i < nenv(); ++i) {
    if (errors_[i].empty()) continue;
    std::string message = "MuJoCo error in simulation " + std::to_string(i) + ": " + errors_[i];
    for (auto& e : errors_) e.clear();
    throw std::runtime_error(message);
  }
}

void BatchEnv::reset_one(int i, mjData* d) {
  mj_resetData(model_, d);
  // Draws only where a pool is set, so runs without one keep their reset noise.
  int row = -1;
  if (npool_ > 0 && rng_[i].uniform() < start_fraction_)
    row = std::min(static_cast<int>(rng_[i].uniform() * npool_), npool_ - 1);
  start_row_[i] = row;
  if (row < 0) {
    task_->reset(model_, d, rng_[i]);
    mj_forward(model_, d);
    task_->after_reset(model_, d, task_state(i));
  } else {
    std::copy_n(start_qpos_.data() + static_cast<std::size_t>(model_->nq) * row, model_->nq, d->qpos);
    std::copy_n(start_qvel_.data() + static_cast<std::size_t>(model_->nv) * row, model_->nv, d->qvel);
    mj_forward(model_, d);
    const int ns = task_->nstate();
    std::copy_n(start_task_state_.data() + static_cast<std::size_t>(ns) * row, ns, task_state(i));
  }
  task_->progress(model_, d, progress(i));
  elapsed_[i] = 0;
}

void BatchEnv::set_start_pool(const double* qpos, const double* qvel, const double* task_state, int npool,
                              double fraction) {
  if (npool < 0) throw std::invalid_argument("npool must be >= 0");
  if (!(fraction >= 0.0 && fraction <= 1.0)) throw std::invalid_argument("fraction must be in [0, 1]");
  const std::size_t n = npool;
  start_qpos_.assign(qpos, qpos + n * model_->nq);
  start_qvel_.assign(qvel, qvel + n * model_->nv);
  start_task_state_.assign(task_state, task_state + n * task_->nstate());
  npool_ = npool;
  start_fraction_ = npool > 0 ? fraction : 0.0;
}

void BatchEnv::body_positions(int i, const mjData* d, double* body_pos) const {
  double* row = body_pos + 3 * body_ids_.size() * static_cast<std::size_t>(i);
  for (std::size_t k = 0; k < body_ids_.size(); ++k) std::copy_n(d->xpos + 3 * body_ids_[k], 3, row + 3 * k);
}

void BatchEnv::reset(std::uint64_t seed, double* obs, double* body_pos) {
  for_each_sim(false, [&](int i, mjData* d) {
    rng_[i].seed(seed + static_cast<std::uint64_t>(i));
    reset_one(i, d);
    observe(i, d, obs + static_cast<std::size_t>(nobs_) * i);
    if (body_pos) body_positions(i, d, body_pos);
  });
}

void BatchEnv::step(const double* actions, const StepOutputs& out) {
  const int nu = model_->nu;
  const int nskip = task_->frame_skip();
  const double step_dt = dt();
  for_each_sim(true, [&](int i, mjData* d) {
    const double* action = actions + static_cast<std::size_t>(nu) * i;
    double* obs = out.obs + static_cast<std::size_t>(nobs_) * i;

    const double before[2] = {progress(i)[0], progress(i)[1]};
    double after[2];
    const int warnings = divergence_count(d);
    task_->control(model_, action, d->ctrl);
    for (int k = 0; k < nskip; ++k) mj_step(model_, d);
    if (task_->needs_contact_forces()) mj_rnePostConstraint(model_, d);
    if (task_->needs_current_kinematics()) mj_kinematics(model_, d);
    task_->progress(model_, d, after);
    task_->after_step(model_, d, task_state(i));

    const bool diverged = divergence_count(d) != warnings || !state_is_finite(model_, d);
    StepOutcome result = task_->outcome(model_, d, action, before, after, step_dt);
    ++elapsed_[i];
    const bool truncated = diverged || (max_episode_steps_ > 0 && elapsed_[i] >= max_episode_steps_);
    observe(i, d, obs);
    if (diverged) {
      result.reward = 0.0;
      result.terminated = false;
    }
    out.reward[i] = result.reward;
    out.terminated[i] = result.terminated;
    out.truncated[i] = truncated;
    out.diverged[i] = diverged;
    if (result.terminated || truncated) {
      std::copy_n(obs, nobs_, out.final_obs + static_cast<std::size_t>(nobs_) * i);
      reset_one(i, d);
      observe(i, d, obs);
    } else {
      std::copy_n(after, 2, progress(i));
    }
    if (out.body_pos) body_positions(i, d, out.body_pos);
  });
}

void BatchEnv::get_state(double* qpos, double* qvel) const {
  for (int i = 0; i < nenv(); ++i) {
    mj_extractState(model_, state_row(i), kStateSpec, qpos + static_cast<std::size_t>(model_->nq) * i, mjSTATE_QPOS);
    mj_extractState(model_, state_row(i), kStateSpec, qvel + static_cast<std::size_t>(model_->nv) * i, mjSTATE_QVEL);
  }
}

void BatchEnv::set_state(const double* qpos, const double* qvel) {
  for_each_sim(true, [&](int i, mjData* d) {
    std::copy_n(qpos + static_cast<std::size_t>(model_->nq) * i, model_->nq, d->qpos);
    std::copy_n(qvel + static_cast<std::size_t>(model_->nv) * i, model_->nv, d->qvel);
    mj_forward(model_, d);
    task_->after_reset(model_, d, task_state(i));
    task_->progress(model_, d, progress(i));
  });
}

void BatchEnv::get_sim_state(const SimState& out) const {
  const std::size_t n = nenv();
  std::copy(state_.begin(), state_.end(), out.integration);
  std::copy(progress_.begin(), progress_.end(), out.progress);
  std::copy(task_state_.begin(), task_state_.end(), out.task_state);
  std::copy(elapsed_.begin(), elapsed_.end(), out.elapsed);
  for (std::size_t i = 0; i < n; ++i) rng_[i].get(out.rng + 4 * i);
  std::copy(start_row_.begin(), start_row_.end(), out.start_rows);
}

void BatchEnv::set_sim_state(const SimState& in) {
  const std::size_t n = nenv();
  std::copy_n(in.integration, state_.size(), state_.begin());
  std::copy_n(in.progress, progress_.size(), progress_.begin());
  std::copy_n(in.task_state, task_state_.size(), task_state_.begin());
  std::copy_n(in.elapsed, n, elapsed_.begin());
  for (std::size_t i = 0; i < n; ++i) rng_[i].set(in.rng + 4 * i);
  std::copy_n(in.start_rows, n, start_row_.begin());
}

void BatchEnv::step_physics_serial(const double* actions) {
  const int nu = model_->nu;
  const double step_dt = dt();
  mjData* d = thread_data_[0];
  for (int i = 0; i < nenv(); ++i) {
    mj_setState(model_, d, state_row(i), kStateSpec);
    const double* action = actions + static_cast<std::size_t>(nu) * i;
    task_->control(model_, action, d->ctrl);
    for (int k = 0; k < task_->frame_skip(); ++k) mj_step(model_, d);
    if (task_->needs_current_kinematics()) mj_kinematics(model_, d);
    // Termination is part of the physics workload: it decides when resets happen.
    const double none[2] = {0.0, 0.0};
    const bool ended = task_->outcome(model_, d, action, none, none, step_dt).terminated ||
                       (max_episode_steps_ > 0 && ++elapsed_[i] >= max_episode_steps_);
    if (ended)
      reset_one(i, d);
    else
      task_->progress(model_, d, progress(i));  // so that a step() after this one starts right
    mj_getState(model_, d, state_row(i), kStateSpec);
  }
}

}  // namespace gail_fast
