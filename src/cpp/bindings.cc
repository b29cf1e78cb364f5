// The only file that knows Python: checks every array argument (dtype, layout, shape,
// writability) with a message naming it, then releases the GIL around the kernel.
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "batch_env.h"
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
T* checked(const py::handle& obj, const char* name, const std::vector<py::ssize_t>& shape,
           bool output) {
  if (!py::isinstance<py::array>(obj))
    throw py::type_error(std::string(name) + " must be a numpy array, got " +
                         std::string(py::str(py::type::handle_of(obj).attr("__name__"))));
  auto arr = py::reinterpret_borrow<py::array>(obj);
  const auto want = py::dtype::of<T>();
  if (!arr.dtype().is(want))
    throw py::type_error(std::string(name) + " must have dtype " +
                         std::string(py::str(want)) + ", got " +
                         std::string(py::str(arr.dtype())));
  std::vector<py::ssize_t> got(arr.shape(), arr.shape() + arr.ndim());
  if (got != shape)
    throw py::value_error(std::string(name) + " must have shape " + shape_string(shape) +
                          ", got " + shape_string(got));
  if (!(arr.flags() & py::array::c_style))
    throw py::value_error(std::string(name) + " must be C-contiguous");
  if (output && !arr.writeable())
    throw py::value_error(std::string(name) + " must be writeable");
  return static_cast<T*>(const_cast<void*>(arr.data()));
}

void check_finite(const double* x, py::ssize_t rows, py::ssize_t cols, const char* name) {
  for (py::ssize_t r = 0; r < rows; ++r)
    for (py::ssize_t c = 0; c < cols; ++c)
      if (!std::isfinite(x[r * cols + c]))
        throw py::value_error(std::string(name) + " must be finite; row " + std::to_string(r) +
                              " holds " + std::to_string(x[r * cols + c]));
}

std::unique_ptr<BatchEnv> make_batch_env(const std::string& xml_path, const std::string& task,
                                         int nenv, int nthread, int max_episode_steps,
                                         const std::vector<std::string>& body_names) {
  if (nenv < 1) throw py::value_error("nenv must be >= 1, got " + std::to_string(nenv));
  if (nthread < 1) throw py::value_error("nthread must be >= 1, got " + std::to_string(nthread));
  if (max_episode_steps < 0)
    throw py::value_error("max_episode_steps must be >= 0 (0: no limit), got " +
                          std::to_string(max_episode_steps));
  auto t = make_task(task);
  py::gil_scoped_release release;
  return std::make_unique<BatchEnv>(xml_path, std::move(t), nenv, nthread, max_episode_steps,
                                    body_names);
}

}  // namespace
}  // namespace gail_fast

PYBIND11_MODULE(_core, m) {
  using gail_fast::BatchEnv;
  using gail_fast::checked;
  m.doc() = "gail_fast C++ kernels: batched MuJoCo simulation";
  gail_fast::install_mujoco_handlers();

  m.attr("MUJOCO_HEADER_VERSION") = mjVERSION_HEADER;
  m.def("mujoco_version", [] { return mj_version(); },
        "Version of the loaded MuJoCo library, as an int (3017000 for 3.17.0).");
  m.def("task_names", &gail_fast::task_names, "Names of the tasks compiled in.");

  py::class_<BatchEnv>(m, "BatchEnv", R"doc(
nenv simulations of one MJCF model stepped on a pool of nthread threads.

Outputs go into caller-owned arrays: float64 and bool, C-contiguous, of the shapes
given in each method. Simulation i draws its reset noise from a generator seeded with
seed + i, so results do not depend on nthread.
)doc")
      .def(py::init(&gail_fast::make_batch_env), py::arg("xml_path"), py::arg("task"),
           py::arg("nenv"), py::arg("nthread") = 1, py::arg("max_episode_steps") = 1000,
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
          "ctrl_range",
          [](const BatchEnv& env) {
            const mjModel* mm = env.model();
            py::array_t<double> out(std::vector<py::ssize_t>{mm->nu, 2});
            auto r = out.mutable_unchecked<2>();
            for (int i = 0; i < mm->nu; ++i) {
              const bool limited = mm->actuator_ctrllimited[i];
              r(i, 0) = limited ? mm->actuator_ctrlrange[2 * i] : -INFINITY;
              r(i, 1) = limited ? mm->actuator_ctrlrange[2 * i + 1] : INFINITY;
            }
            return out;
          },
          "(nact, 2) control bounds; +-inf where an actuator is not limited.")
      .def_property_readonly(
          "elapsed_steps",
          [](const BatchEnv& env) { return py::array_t<int>(env.nenv(), env.elapsed_steps().data()); },
          "(nenv,) control steps since each simulation's episode began.")
      .def(
          "reset",
          [](BatchEnv& env, std::uint64_t seed, py::handle obs, py::handle body_pos) {
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
          [](BatchEnv& env, py::handle actions, py::handle obs, py::handle reward,
             py::handle terminated, py::handle truncated, py::handle final_obs,
             py::handle diverged, py::handle body_pos) {
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
                body_pos.is_none()
                    ? nullptr
                    : checked<double>(body_pos, "body_pos", {n, env.nbody_out(), 3}, true)};
            py::gil_scoped_release release;
            env.step(a, out);
          },
          py::arg("actions"), py::arg("obs"), py::arg("reward"), py::arg("terminated"),
          py::arg("truncated"), py::arg("final_obs"), py::arg("diverged"),
          py::arg("body_pos") = py::none(),
          R"doc(One control step of every simulation, with automatic reset.

actions (nenv, nact) float64 in; out: obs (nenv, nobs) after the reset of ended
episodes, reward, terminated, truncated and diverged (nenv,), final_obs (nenv, nobs)
for the rows that ended, body_pos (nenv, nbody, 3) world positions of the named bodies.)doc")
      .def(
          "get_state",
          [](const BatchEnv& env, py::handle qpos, py::handle qvel) {
            double* p = checked<double>(qpos, "qpos", {env.nenv(), env.nq()}, true);
            double* v = checked<double>(qvel, "qvel", {env.nenv(), env.nv()}, true);
            env.get_state(p, v);
          },
          py::arg("qpos"), py::arg("qvel"), "Writes qpos (nenv, nq) and qvel (nenv, nv).")
      .def(
          "set_state",
          [](BatchEnv& env, py::handle qpos, py::handle qvel) {
            const double* p = checked<double>(qpos, "qpos", {env.nenv(), env.nq()}, false);
            const double* v = checked<double>(qvel, "qvel", {env.nenv(), env.nv()}, false);
            gail_fast::check_finite(p, env.nenv(), env.nq(), "qpos");
            gail_fast::check_finite(v, env.nenv(), env.nv(), "qvel");
            py::gil_scoped_release release;
            env.set_state(p, v);
          },
          py::arg("qpos"), py::arg("qvel"),
          "Sets qpos (nenv, nq) and qvel (nenv, nv) and runs mj_forward.")
      .def(
          "step_physics_serial",
          [](BatchEnv& env, py::handle actions) {
            const double* a = checked<double>(actions, "actions", {env.nenv(), env.nact()}, false);
            gail_fast::check_finite(a, env.nenv(), env.nact(), "actions");
            py::gil_scoped_release release;
            env.step_physics_serial(a);
          },
          py::arg("actions"),
          "The physics of step() alone on one thread: the reference rate for benchmarks.");
}
