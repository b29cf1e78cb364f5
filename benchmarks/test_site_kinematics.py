"""The feet's motion at 4096 humanoid states (discriminator mode zvf's kinematics): the C++
SiteKinematics kernel on 1 and 2 threads beside MuJoCo's Python bindings making the same
calls per state, in one group."""

import mujoco
import numpy as np
import pytest

from gail_fast import _core, humanoid

N = 4096
GROUP = f"site kinematics, 2 sites x {N} humanoid states"


@pytest.fixture(scope="module")
def states():
    m = mujoco.MjModel.from_xml_path(str(humanoid.MODEL_XML))
    rng = np.random.default_rng(0)
    qpos = np.tile(m.qpos0, (N, 1))
    quat = rng.normal(size=(N, 4))
    qpos[:, 3:7] = quat / np.linalg.norm(quat, axis=1, keepdims=True)
    qpos[:, 7:] += rng.normal(0, 0.4, size=(N, m.nq - 7))
    return m, qpos, rng.normal(size=(N, m.nv))


def mujoco_python(m, d, site_ids, qpos, qvel, pos, linvel, angvel):
    velocity = np.zeros(6)
    for i in range(len(qpos)):
        d.qpos[:], d.qvel[:] = qpos[i], qvel[i]
        mujoco.mj_kinematics(m, d)
        mujoco.mj_comPos(m, d)
        mujoco.mj_comVel(m, d)
        for k, site in enumerate(site_ids):
            mujoco.mj_objectVelocity(m, d, mujoco.mjtObj.mjOBJ_SITE, site, velocity, 0)
            pos[i, k], angvel[i, k], linvel[i, k] = d.site_xpos[site], velocity[:3], velocity[3:]


@pytest.mark.parametrize("nthread", [1, 2])
def test_gail_fast_site_kinematics(benchmark, states, nthread):
    benchmark.group = GROUP
    m, qpos, qvel = states
    kin = _core.SiteKinematics(str(humanoid.MODEL_XML), list(humanoid.SOLE_SITES), nthread)
    out = [np.empty((N, 2, k)) for k in (3, 9, 3, 3)]
    benchmark(kin.compute, qpos, qvel, *out)
    ref = [np.empty((N, 2, 3)) for _ in range(3)]
    mujoco_python(m, mujoco.MjData(m), [m.site(s).id for s in humanoid.SOLE_SITES], qpos, qvel, *ref)
    for got, want in zip((out[0], out[2], out[3]), ref):
        np.testing.assert_allclose(got, want, atol=1e-12)


def test_mujoco_python(benchmark, states):
    benchmark.group = GROUP
    m, qpos, qvel = states
    out = [np.empty((N, 2, 3)) for _ in range(3)]
    site_ids = [m.site(s).id for s in humanoid.SOLE_SITES]
    benchmark.pedantic(mujoco_python, (m, mujoco.MjData(m), site_ids, qpos, qvel, *out), rounds=5)
