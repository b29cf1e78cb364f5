// The only file that knows Python: checks every array argument (dtype, layout, shape,
// writability) with a message naming it, then releases the GIL around the kernel.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "batch_env.h"
#include "mocap/pose_features.h"
#include "mocap/skeleton.h"
#include "mocap/spline.h"
#include "site_kinematics.h"
#include "tasks/humanoid_imitation.h"
#include "tasks/task.h"

namespace py = pybind11;

namespace gail_fast {
namespace {

std::string shape_string(const std::vector<py::ssize_t>& shape) {
  std::ostringstream s;
  s << "(";
  for (std::size_t k = 0; k < shape.size(); ++k) s << (k ? ", " : "") << shape[k];
  s << (shape.size() == 1 ? ",)" : ")");
  return s.str();
}

// Returns the data of arr after checking it is a C-contiguous array of T with the
// given shape (and writeable, for outputs); never copies.
template <typename T>
T* checked(const py::handle& obj, const char* name, const std::vector<py::ssize_t>& shape, bool output) {
  if (!py::isinstance<py::array>(obj))
    throw py::type_error(std::string(name) + " must be a numpy array, got " +
                         std::string(py::str(py::type::handle_of(obj).attr("__name__"))));
  auto arr = py::reinterpret_borrow<py::array>(obj);
  const auto want = py::dtype::of<T>();
  if (!arr.dtype().is(want))
    throw py::type_error(std::string(name) + " must have dtype " + std::string(py::str(want)) + ", got " +
                         std::string(py::str(arr.dtype())));
  std::vector<py::ssize_t> got(arr.shape(), arr.shape() + arr.ndim());
  if (got != shape)
    throw py::value_error(std::string(name) + " must have shape " + shape_string(shape) + ", got " + shape_string(got));
  if (!(arr.flags() & py::array::c_style)) throw py::value_error(std::string(name) + " must be C-contiguous");
  if (output && !arr.writeable()) throw py::value_error(std::string(name) + " must be writeable");
  return static_cast<T*>(const_cast<void*>(arr.data()));
}

// The shape of an array argument that must have ndim dimensions (layout: the shape in
// words, for the message), read before checked<T> pins every dimension.
std::vector<py::ssize_t> shape_of(const py::handle& obj, const char* name, int ndim, const char* layout) {
  if (!py::isinstance<py::array>(obj) || py::reinterpret_borrow<py::array>(obj).ndim() != ndim)
    throw py::value_error(std::string(name) + " must be a " + std::to_string(ndim) + "-D array" +
                          (*layout ? std::string(" ") + layout : std::string()));
  auto arr = py::reinterpret_borrow<py::array>(obj);
  return {arr.shape(), arr.shape() + ndim};
}

void check_finite(const double* x, py::ssize_t rows, py::ssize_t cols, const char* name) {
  for (py::ssize_t r = 0; r < rows; ++r)
    for (py::ssize_t c = 0; c < cols; ++c)
      if (!std::isfinite(x[r * cols + c]))
        throw py::value_error(std::string(name) + " must be finite; row " + std::to_string(r) + " holds " +
                              std::to_string(x[r * cols + c]));
}

constexpr int kMaxThreads = 1024;

// Held around every call into a BatchEnv: a second thread calling in while the first is
// inside (its GIL released) gets a RuntimeError rather than a data race.
class InUse {
 public:
  explicit InUse(const BatchEnv& env) : env_(env) {
    if (!env_.try_acquire())
      throw std::runtime_error(
          "this BatchEnv is in use by another thread; one environment takes one caller at a time (use one "
          "environment per thread, or a lock)");
  }
  ~InUse() { env_.release(); }
  InUse(const InUse&) = delete;
  InUse& operator=(const InUse&) = delete;

 private:
  const BatchEnv& env_;
};

// The arrays of a SimState after their dtype, shape and layout checks.
SimState sim_state_arrays(const BatchEnv& env, py::handle integration, py::handle progress, py::handle task_state,
                          py::handle elapsed, py::handle rng, py::handle start_rows, bool output) {
  const py::ssize_t n = env.nenv();
  return {checked<double>(integration, "integration", {n, env.state_size()}, output),
          checked<double>(progress, "progress", {n, 2}, output),
          checked<double>(task_state, "task_state", {n, env.task_nstate()}, output),
          checked<int>(elapsed, "elapsed", {n}, output),
          checked<std::uint64_t>(rng, "rng", {n, 4}, output),
          checked<int>(start_rows, "start_rows", {n}, output)};
}

// Rows of task state from outside, finite and as the task can read them.
void check_task_state(const BatchEnv& env, const double* state, py::ssize_t rows, const char* name) {
  const int ns = env.task_nstate();
  check_finite(state, rows, ns, name);
  for (py::ssize_t r = 0; r < rows; ++r) {
    const std::string problem = env.task_state_problem(state + r * ns);
    if (!problem.empty()) throw py::value_error(std::string(name) + " row " + std::to_string(r) + ": " + problem);
  }
}

// Everything set_sim_state trusts: a state the simulations could have reached.
void check_sim_state(const BatchEnv& env, const SimState& s) {
  const py::ssize_t n = env.nenv();
  check_finite(s.integration, n, env.state_size(), "integration");
  check_finite(s.progress, n, 2, "progress");
  check_task_state(env, s.task_state, n, "task_state");
  const int limit = env.max_episode_steps();
  for (py::ssize_t i = 0; i < n; ++i) {
    const std::string row = " (simulation " + std::to_string(i) + ")";
    if (s.elapsed[i] < 0 || (limit > 0 && s.elapsed[i] >= limit))
      throw py::value_error("elapsed must be in [0, " + (limit > 0 ? std::to_string(limit) : std::string("inf")) +
                            "), got " + std::to_string(s.elapsed[i]) + row);
    if (!Rng::valid_state(s.rng + 4 * i)) throw py::value_error("rng must not be all zero" + row);
    if (s.start_rows[i] < -1 || s.start_rows[i] >= env.start_pool_size())
      throw py::value_error("start_rows must be in [-1, " + std::to_string(env.start_pool_size()) + "), got " +
                            std::to_string(s.start_rows[i]) + row);
  }
}

std::unique_ptr<BatchEnv> make_batch_env(const std::string& xml_path, const std::string& task, int nenv, int nthread,
                                         int max_episode_steps, const std::vector<std::string>& body_names) {
  if (nenv < 1) throw py::value_error("nenv must be >= 1, got " + std::to_string(nenv));
  if (nthread < 1 || nthread > kMaxThreads)
    throw py::value_error("nthread must be in [1, " + std::to_string(kMaxThreads) + "], got " +
                          std::to_string(nthread));
  nthread = std::min(nthread, nenv);  // a thread without a simulation would only wait
  if (max_episode_steps < 0)
    throw py::value_error("max_episode_steps must be >= 0 (0: no limit), got " + std::to_string(max_episode_steps));
  auto t = make_task(task);
  py::gil_scoped_release release;
  return std::make_unique<BatchEnv>(xml_path, std::move(t), nenv, nthread, max_episode_steps, body_names);
}

}  // namespace
}  // namespace gail_fast

PYBIND11_MODULE(_core, m) {
  using gail_fast::BatchEnv;
  using gail_fast::checked;
  m.doc() = "gail_fast C++ kernels: batched MuJoCo simulation, splines, skeleton kinematics";
  gail_fast::install_mujoco_handlers();

  m.attr("MUJOCO_HEADER_VERSION") = mjVERSION_HEADER;
  m.def(
      "mujoco_version", [] { return mj_version(); },
      "Version of the loaded MuJoCo library, as an int (3017000 for 3.17.0).");
  m.def("task_names", &gail_fast::task_names, "Names of the tasks compiled in, as BatchEnv takes them.");
  m.def(
      "environments",
      [] {
        py::list rows;
        for (const auto& e : gail_fast::environments())
          rows.append(py::dict(py::arg("id") = e.id, py::arg("task") = e.task, py::arg("assets") = e.assets,
                               py::arg("model") = e.model, py::arg("max_episode_steps") = e.max_episode_steps,
                               py::arg("pose_features") = e.pose_features));
        return rows;
      },
      R"doc(The registry of fast environments, one dict each.

id: the environment's id; task: its task, as BatchEnv takes it; assets: "gymnasium" (the
model is one of Gymnasium's MuJoCo assets) or "gail_fast" (one of ours); model: the MJCF
file among them; max_episode_steps: the time limit in control steps; pose_features:
whether observations end with the pose features z_t (the last POSE_FEATURES entries).)doc");

  py::class_<BatchEnv>(m, "BatchEnv", R"doc(
nenv simulations of one MJCF model stepped on a pool of nthread threads.

Outputs go into caller-owned arrays: float64 and bool, C-contiguous, of the shapes
given in each method. Simulation i draws its reset noise from a generator seeded with
seed + i, so results do not depend on nthread (at most nenv threads are started).
)doc")
      .def(py::init(&gail_fast::make_batch_env), py::arg("xml_path"), py::arg("task"), py::arg("nenv"),
           py::arg("nthread") = 1, py::arg("max_episode_steps") = 1000,
           py::arg("body_names") = std::vector<std::string>{})
      .def_property_readonly("nenv", &BatchEnv::nenv)
      .def_property_readonly("nthread", &BatchEnv::nthread)
      .def_property_readonly("nobs", &BatchEnv::nobs)
      .def_property_readonly("nact", &BatchEnv::nact)
      .def_property_readonly("nq", &BatchEnv::nq)
      .def_property_readonly("nv", &BatchEnv::nv)
      .def_property_readonly("nbody", &BatchEnv::nbody_out)
      .def_property_readonly("frame_skip", &BatchEnv::frame_skip)
      .def_property_readonly("max_episode_steps", &BatchEnv::max_episode_steps)
      .def_property_readonly("dt", &BatchEnv::dt)
      .def_property_readonly(
          "action_range",
          [](const BatchEnv& env) {
            py::array_t<double> out(std::vector<py::ssize_t>{env.nact(), 2});
            env.action_range(out.mutable_data());
            return out;
          },
          "(nact, 2) bounds of the actions step() takes, as the task maps them to controls.")
      .def_property_readonly("task_nstate", &BatchEnv::task_nstate)
      .def_property_readonly("start_pool_size", &BatchEnv::start_pool_size)
      .def_property_readonly("start_fraction", &BatchEnv::start_fraction)
      .def_property_readonly(
          "start_rows",
          [](const BatchEnv& env) {
            gail_fast::InUse in_use(env);
            return py::array_t<int>(env.nenv(), env.start_rows().data());
          },
          "(nenv,) the start-pool row each simulation's episode began from; -1 for the task's own reset.")
      .def(
          "set_start_pool",
          [](BatchEnv& env, py::handle qpos, py::handle qvel, py::handle task_state, double fraction) {
            gail_fast::InUse in_use(env);
            const py::ssize_t n = gail_fast::shape_of(qpos, "qpos", 2, "(npool, nq)")[0];
            const double* p = checked<double>(qpos, "qpos", {n, env.nq()}, false);
            const double* v = checked<double>(qvel, "qvel", {n, env.nv()}, false);
            const double* s = checked<double>(task_state, "task_state", {n, env.task_nstate()}, false);
            if (n > std::numeric_limits<int>::max()) throw py::value_error("the start pool is too large");
            gail_fast::check_finite(p, n, env.nq(), "qpos");
            gail_fast::check_finite(v, n, env.nv(), "qvel");
            gail_fast::check_task_state(env, s, n, "task_state");
            if (!(fraction >= 0.0 && fraction <= 1.0))
              throw py::value_error("fraction must be in [0, 1], got " + std::to_string(fraction));
            env.set_start_pool(p, v, s, static_cast<int>(n), fraction);
          },
          py::arg("qpos"), py::arg("qvel"), py::arg("task_state"), py::arg("fraction"),
          R"doc(Episodes start from a random row of these states with probability fraction.

qpos (npool, nq), qvel (npool, nv), task_state (npool, task_nstate): the task's
per-simulation state at each row. npool = 0 removes the pool. Takes effect at the next
reset of each simulation; simulation i draws with its own generator.)doc")
      .def_property_readonly(
          "elapsed_steps",
          [](const BatchEnv& env) {
            gail_fast::InUse in_use(env);
            return py::array_t<int>(env.nenv(), env.elapsed_steps().data());
          },
          "(nenv,) control steps since each simulation's episode began.")
      .def(
          "reset",
          [](BatchEnv& env, std::uint64_t seed, py::handle obs, py::handle body_pos) {
            gail_fast::InUse in_use(env);
            double* o = checked<double>(obs, "obs", {env.nenv(), env.nobs()}, true);
            double* b = body_pos.is_none()
                            ? nullptr
                            : checked<double>(body_pos, "body_pos", {env.nenv(), env.nbody_out(), 3}, true);
            py::gil_scoped_release release;
            env.reset(seed, o, b);
          },
          py::arg("seed"), py::arg("obs"), py::arg("body_pos") = py::none(),
          "Starts new episodes; writes obs (nenv, nobs) and body_pos (nenv, nbody, 3).")
      .def(
          "step",
          [](BatchEnv& env, py::handle actions, py::handle obs, py::handle reward, py::handle terminated,
             py::handle truncated, py::handle final_obs, py::handle diverged, py::handle body_pos) {
            gail_fast::InUse in_use(env);
            const py::ssize_t n = env.nenv();
            const double* a = checked<double>(actions, "actions", {n, env.nact()}, false);
            gail_fast::check_finite(a, n, env.nact(), "actions");
            gail_fast::StepOutputs out{
                checked<double>(obs, "obs", {n, env.nobs()}, true),
                checked<double>(reward, "reward", {n}, true),
                checked<bool>(terminated, "terminated", {n}, true),
                checked<bool>(truncated, "truncated", {n}, true),
                checked<double>(final_obs, "final_obs", {n, env.nobs()}, true),
                checked<bool>(diverged, "diverged", {n}, true),
                body_pos.is_none() ? nullptr : checked<double>(body_pos, "body_pos", {n, env.nbody_out(), 3}, true)};
            py::gil_scoped_release release;
            env.step(a, out);
          },
          py::arg("actions"), py::arg("obs"), py::arg("reward"), py::arg("terminated"), py::arg("truncated"),
          py::arg("final_obs"), py::arg("diverged"), py::arg("body_pos") = py::none(),
          R"doc(One control step of every simulation, with automatic reset.

actions (nenv, nact) float64 in; out: obs (nenv, nobs) after the reset of ended
episodes, reward, terminated, truncated and diverged (nenv,), final_obs (nenv, nobs)
for the rows that ended, body_pos (nenv, nbody, 3) world positions of the named bodies.)doc")
      .def(
          "get_state",
          [](const BatchEnv& env, py::handle qpos, py::handle qvel) {
            gail_fast::InUse in_use(env);
            double* p = checked<double>(qpos, "qpos", {env.nenv(), env.nq()}, true);
            double* v = checked<double>(qvel, "qvel", {env.nenv(), env.nv()}, true);
            env.get_state(p, v);
          },
          py::arg("qpos"), py::arg("qvel"), "Writes qpos (nenv, nq) and qvel (nenv, nv).")
      .def(
          "set_state",
          [](BatchEnv& env, py::handle qpos, py::handle qvel) {
            gail_fast::InUse in_use(env);
            const double* p = checked<double>(qpos, "qpos", {env.nenv(), env.nq()}, false);
            const double* v = checked<double>(qvel, "qvel", {env.nenv(), env.nv()}, false);
            gail_fast::check_finite(p, env.nenv(), env.nq(), "qpos");
            gail_fast::check_finite(v, env.nenv(), env.nv(), "qvel");
            py::gil_scoped_release release;
            env.set_state(p, v);
          },
          py::arg("qpos"), py::arg("qvel"), "Sets qpos (nenv, nq) and qvel (nenv, nv) and runs mj_forward.")
      .def_property_readonly("state_size", &BatchEnv::state_size,
                             "Doubles in a simulation's integration state row (mjSTATE_INTEGRATION).")
      .def(
          "get_sim_state",
          [](const BatchEnv& env, py::handle integration, py::handle progress, py::handle task_state,
             py::handle elapsed, py::handle rng, py::handle start_rows) {
            gail_fast::InUse in_use(env);
            env.get_sim_state(
                gail_fast::sim_state_arrays(env, integration, progress, task_state, elapsed, rng, start_rows, true));
          },
          py::arg("integration"), py::arg("progress"), py::arg("task_state"), py::arg("elapsed"), py::arg("rng"),
          py::arg("start_rows"),
          R"doc(Writes everything that decides the simulations' future, for a checkpoint.

integration (nenv, state_size) and progress (nenv, 2) float64: the integration state
rows and the task's progress the next step starts from; task_state (nenv, task_nstate)
float64; elapsed (nenv,) int32 steps of the running episodes; rng (nenv, 4) uint64 the
generators; start_rows (nenv,) int32. set_sim_state of these arrays resumes the
simulations exactly.)doc")
      .def(
          "set_sim_state",
          [](BatchEnv& env, py::handle integration, py::handle progress, py::handle task_state, py::handle elapsed,
             py::handle rng, py::handle start_rows) {
            gail_fast::InUse in_use(env);
            const auto s =
                gail_fast::sim_state_arrays(env, integration, progress, task_state, elapsed, rng, start_rows, false);
            gail_fast::check_sim_state(env, s);
            env.set_sim_state(s);
          },
          py::arg("integration"), py::arg("progress"), py::arg("task_state"), py::arg("elapsed"), py::arg("rng"),
          py::arg("start_rows"),
          "Sets what get_sim_state wrote (same arrays), after checking it: finite rows, elapsed below the time "
          "limit, nonzero generators, start rows within the start pool, task state the task can read.")
      .def(
          "step_physics_serial",
          [](BatchEnv& env, py::handle actions) {
            gail_fast::InUse in_use(env);
            const double* a = checked<double>(actions, "actions", {env.nenv(), env.nact()}, false);
            gail_fast::check_finite(a, env.nenv(), env.nact(), "actions");
            py::gil_scoped_release release;
            env.step_physics_serial(a);
          },
          py::arg("actions"), "The physics of step() alone on one thread: the reference rate for benchmarks.");

  py::class_<gail_fast::SiteKinematics>(m, "SiteKinematics", R"doc(
Where named sites of one MJCF model are and how they move, at many given states:
forward kinematics and velocities (mj_kinematics, mj_comPos, mj_comVel,
mj_objectVelocity) without stepping, on a pool of nthread threads.
)doc")
      .def(py::init([](const std::string& xml_path, const std::vector<std::string>& sites, int nthread) {
             if (sites.empty()) throw py::value_error("sites must name at least one site");
             if (nthread < 1 || nthread > gail_fast::kMaxThreads)
               throw py::value_error("nthread must be in [1, " + std::to_string(gail_fast::kMaxThreads) + "], got " +
                                     std::to_string(nthread));
             return std::make_unique<gail_fast::SiteKinematics>(xml_path, sites, nthread);
           }),
           py::arg("xml_path"), py::arg("sites"), py::arg("nthread") = 1)
      .def_property_readonly("nq", &gail_fast::SiteKinematics::nq)
      .def_property_readonly("nv", &gail_fast::SiteKinematics::nv)
      .def_property_readonly("nsite", &gail_fast::SiteKinematics::nsite)
      .def_property_readonly("nthread", &gail_fast::SiteKinematics::nthread)
      .def(
          "compute",
          [](gail_fast::SiteKinematics& kin, py::handle qpos, py::handle qvel, py::handle pos, py::handle xmat,
             py::handle linvel, py::handle angvel) {
            const py::ssize_t n = gail_fast::shape_of(qpos, "qpos", 2, "(n, nq)")[0];
            const py::ssize_t ns = kin.nsite();
            const double* q = checked<double>(qpos, "qpos", {n, kin.nq()}, false);
            const double* v = checked<double>(qvel, "qvel", {n, kin.nv()}, false);
            const gail_fast::SiteMotion out{checked<double>(pos, "pos", {n, ns, 3}, true),
                                            checked<double>(xmat, "xmat", {n, ns, 9}, true),
                                            checked<double>(linvel, "linvel", {n, ns, 3}, true),
                                            checked<double>(angvel, "angvel", {n, ns, 3}, true)};
            gail_fast::check_finite(q, n, kin.nq(), "qpos");
            gail_fast::check_finite(v, n, kin.nv(), "qvel");
            py::gil_scoped_release release;
            kin.compute(q, v, n, out);
          },
          py::arg("qpos"), py::arg("qvel"), py::arg("pos"), py::arg("xmat"), py::arg("linvel"), py::arg("angvel"),
          "For each state of qpos (n, nq) and qvel (n, nv), each site's world position into pos (n, nsite, 3), "
          "rotation matrix into xmat (n, nsite, 9), and its point's linear and its body's angular velocity into "
          "linvel and angvel (n, nsite, 3), world frame.");

  m.def(
      "cubic_spline",
      [](py::handle x, py::handle y, py::handle xq, const std::string& boundary, double period, py::handle value,
         py::handle deriv) {
        const auto bc = gail_fast::parse_spline_boundary(boundary);
        const py::ssize_t n = gail_fast::shape_of(x, "x", 1, "")[0];
        const py::ssize_t nc = gail_fast::shape_of(y, "y", 2, "(nknot, nchannel)")[1];
        const py::ssize_t nq = gail_fast::shape_of(xq, "xq", 1, "")[0];
        const double* xp = checked<double>(x, "x", {n}, false);
        const double* yp = checked<double>(y, "y", {n, nc}, false);
        const double* qp = checked<double>(xq, "xq", {nq}, false);
        double* vp = checked<double>(value, "value", {nq, nc}, true);
        double* dp = deriv.is_none() ? nullptr : checked<double>(deriv, "deriv", {nq, nc}, true);
        if (n < 2) throw py::value_error("a spline needs at least 2 knots, got " + std::to_string(n));
        for (py::ssize_t i = 0; i + 1 < n; ++i)
          if (!(xp[i] < xp[i + 1]))
            throw py::value_error("x must be strictly increasing (index " + std::to_string(i + 1) + ")");
        gail_fast::check_finite(yp, n, nc, "y");
        gail_fast::check_finite(qp, 1, nq, "xq");
        if (!(period >= 0) || !std::isfinite(period)) throw py::value_error("period must be >= 0 (0: no unwrapping)");
        py::gil_scoped_release release;
        gail_fast::cubic_spline(xp, yp, static_cast<int>(n), static_cast<int>(nc), qp, static_cast<int>(nq), bc, period,
                                vp, dp);
      },
      py::arg("x"), py::arg("y"), py::arg("xq"), py::arg("boundary"), py::arg("period"), py::arg("value"),
      py::arg("deriv") = py::none(),
      "Cubic spline through y (nknot, nchannel) at x, evaluated at xq into value (and deriv), (nquery, nchannel).");

  m.def(
      "forward_kinematics",
      [](py::handle parent, py::handle axis, py::handle offset, py::handle dof_axis, py::handle dof_column,
         py::handle translation_column, py::handle motion, py::handle positions) {
        const py::ssize_t nbone = gail_fast::shape_of(parent, "parent", 1, "")[0];
        const auto motion_shape = gail_fast::shape_of(motion, "motion", 2, "(nframe, ncolumn)");
        const py::ssize_t nframe = motion_shape[0], ncol = motion_shape[1];
        gail_fast::SkeletonArrays sk;
        sk.nbone = static_cast<int>(nbone);
        const int* par = checked<int>(parent, "parent", {nbone}, false);
        const double* ax = checked<double>(axis, "axis", {nbone, 3, 3}, false);
        const double* off = checked<double>(offset, "offset", {nbone, 3}, false);
        const int* da = checked<int>(dof_axis, "dof_axis", {nbone, 3}, false);
        const int* dc = checked<int>(dof_column, "dof_column", {nbone, 3}, false);
        const int* tc = checked<int>(translation_column, "translation_column", {3}, false);
        const double* mo = checked<double>(motion, "motion", {nframe, ncol}, false);
        double* out = checked<double>(positions, "positions", {nframe, nbone, 3}, true);
        if (nbone < 1 || par[0] != -1) throw py::value_error("bone 0 must be the root, with parent -1");
        for (py::ssize_t b = 1; b < nbone; ++b)
          if (par[b] < 0 || par[b] >= b)
            throw py::value_error("parent[" + std::to_string(b) + "] must be in [0, " + std::to_string(b) + ")");
        for (py::ssize_t k = 0; k < 3 * nbone; ++k) {
          if (da[k] < -1 || da[k] > 2) throw py::value_error("dof_axis entries must be -1, 0, 1 or 2");
          if (da[k] >= 0 && (dc[k] < 0 || dc[k] >= ncol))
            throw py::value_error("dof_column entry " + std::to_string(k) + " is outside the motion's columns");
        }
        for (int k = 0; k < 3; ++k)
          if (tc[k] < -1 || tc[k] >= ncol) throw py::value_error("translation_column is outside the motion's columns");
        gail_fast::check_finite(mo, nframe, ncol, "motion");
        sk.parent.assign(par, par + nbone);
        sk.axis.assign(ax, ax + 9 * nbone);
        sk.offset.assign(off, off + 3 * nbone);
        sk.dof_axis.assign(da, da + 3 * nbone);
        sk.dof_column.assign(dc, dc + 3 * nbone);
        std::copy(tc, tc + 3, sk.translation_column);
        py::gil_scoped_release release;
        gail_fast::forward_kinematics(sk, mo, static_cast<int>(nframe), static_cast<int>(ncol), out);
      },
      py::arg("parent"), py::arg("axis"), py::arg("offset"), py::arg("dof_axis"), py::arg("dof_column"),
      py::arg("translation_column"), py::arg("motion"), py::arg("positions"),
      "World positions (nframe, nbone, 3) of an Acclaim skeleton's bone ends; see mocap/skeleton.h.");

  m.attr("POSE_FEATURES") = gail_fast::kPoseFeatures;
  m.attr("POSE_POINTS") = gail_fast::kPosePoints;
  m.attr("HUMANOID_HISTORY") = gail_fast::kHumanoidHistory;
  m.attr("HUMANOID_TASK_STATE") = gail_fast::kHumanoidTaskState;
  m.attr("HUMANOID_VELOCITY_CLIP") = gail_fast::kHumanoidVelocityClip;
  m.attr("HUMANOID_FEATURE_SITES") = std::vector<std::string>(std::begin(gail_fast::kHumanoidFeatureSites),
                                                              std::end(gail_fast::kHumanoidFeatureSites));
  m.def(
      "clip_features",
      [](py::handle points, py::handle forward, double scale, int k, py::handle out) {
        const py::ssize_t n = gail_fast::shape_of(points, "points", 3, "(nframe, 6, 3)")[0];
        const double* p = checked<double>(points, "points", {n, gail_fast::kPosePoints, 3}, false);
        const double* f = checked<double>(forward, "forward", {n, 2}, false);
        double* o = checked<double>(out, "out", {n, gail_fast::kPoseFeatures}, true);
        if (!(scale > 0) || !std::isfinite(scale)) throw py::value_error("scale must be a positive number");
        if (k < 1) throw py::value_error("k must be >= 1, got " + std::to_string(k));
        gail_fast::check_finite(p, n, 3 * gail_fast::kPosePoints, "points");
        gail_fast::check_finite(f, n, 2, "forward");
        py::gil_scoped_release release;
        gail_fast::clip_features(p, f, static_cast<int>(n), scale, k, o);
      },
      py::arg("points"), py::arg("forward"), py::arg("scale"), py::arg("k"), py::arg("out"),
      "Pose features (nframe, POSE_FEATURES) of a clip of points (nframe, 6, 3); see mocap/pose_features.h.");
  m.def(
      "batch_features",
      [](py::handle points, py::handle forward, double scale, py::handle pelvis_past, py::handle nstep_past,
         py::handle out) {
        const py::ssize_t n = gail_fast::shape_of(points, "points", 3, "(n, 6, 3)")[0];
        const double* p = checked<double>(points, "points", {n, gail_fast::kPosePoints, 3}, false);
        const double* f = checked<double>(forward, "forward", {n, 2}, false);
        const double* past = checked<double>(pelvis_past, "pelvis_past", {n, 3}, false);
        const int* back = checked<int>(nstep_past, "nstep_past", {n}, false);
        double* o = checked<double>(out, "out", {n, gail_fast::kPoseFeatures}, true);
        if (!(scale > 0) || !std::isfinite(scale)) throw py::value_error("scale must be a positive number");
        py::gil_scoped_release release;
        gail_fast::batch_features(p, f, past, back, n, scale, o);
      },
      py::arg("points"), py::arg("forward"), py::arg("scale"), py::arg("pelvis_past"), py::arg("nstep_past"),
      py::arg("out"), "Pose features (n, POSE_FEATURES) of n independent poses; see mocap/pose_features.h.");
}
