"""The feet's motion on the floor (discriminator mode zvf): the C++ SiteKinematics kernel
against MuJoCo's own functions, its errors, and the features' meaning on a still,
a moving and a recorded body."""

import mujoco
import numpy as np
import pytest

from gail_fast import _core, envs, humanoid

SITES = ["left_sole", "right_sole", "head"]


def random_states(n, seed=0):
    m = mujoco.MjModel.from_xml_path(str(humanoid.MODEL_XML))
    rng = np.random.default_rng(seed)
    qpos = np.tile(m.qpos0, (n, 1))
    qpos[:, :3] += rng.normal(size=(n, 3))
    quat = rng.normal(size=(n, 4))
    qpos[:, 3:7] = quat / np.linalg.norm(quat, axis=1, keepdims=True)
    qpos[:, 7:] += rng.normal(0, 0.4, size=(n, m.nq - 7))
    return m, qpos, rng.normal(size=(n, m.nv))


def compute(kin, qpos, qvel):
    n = len(qpos)
    out = [np.empty((n, kin.nsite, k)) for k in (3, 9, 3, 3)]
    kin.compute(qpos, qvel, *out)
    return out


def test_site_kinematics_matches_mujoco():
    m, qpos, qvel = random_states(200)
    kin = _core.SiteKinematics(str(humanoid.MODEL_XML), SITES, nthread=3)
    assert (kin.nq, kin.nv, kin.nsite, kin.nthread) == (m.nq, m.nv, 3, 3)
    pos, xmat, linvel, angvel = compute(kin, qpos, qvel)
    d, velocity = mujoco.MjData(m), np.zeros(6)
    for i in range(len(qpos)):
        d.qpos[:], d.qvel[:] = qpos[i], qvel[i]
        mujoco.mj_kinematics(m, d)
        mujoco.mj_comPos(m, d)
        mujoco.mj_comVel(m, d)
        for k, name in enumerate(SITES):
            site = m.site(name).id
            mujoco.mj_objectVelocity(m, d, mujoco.mjtObj.mjOBJ_SITE, site, velocity, 0)
            np.testing.assert_allclose(pos[i, k], d.site_xpos[site], atol=1e-12)
            np.testing.assert_allclose(xmat[i, k], d.site_xmat[site], atol=1e-12)
            np.testing.assert_allclose(angvel[i, k], velocity[:3], atol=1e-12)
            np.testing.assert_allclose(linvel[i, k], velocity[3:], atol=1e-12)
    one = compute(_core.SiteKinematics(str(humanoid.MODEL_XML), SITES, nthread=1), qpos, qvel)
    for a, b in zip(one, (pos, xmat, linvel, angvel)):
        np.testing.assert_array_equal(a, b)  # threads change nothing


def test_site_kinematics_rejects_bad_input(tmp_path):
    with pytest.raises(ValueError, match="no site named 'toe'"):
        _core.SiteKinematics(str(humanoid.MODEL_XML), ["left_sole", "toe"])
    with pytest.raises(ValueError, match="cannot load MJCF"):
        _core.SiteKinematics(str(tmp_path / "missing.xml"), ["left_sole"])
    with pytest.raises(ValueError, match="sites must name at least one"):
        _core.SiteKinematics(str(humanoid.MODEL_XML), [])
    with pytest.raises(ValueError, match="nthread must be in"):
        _core.SiteKinematics(str(humanoid.MODEL_XML), ["left_sole"], nthread=0)
    kin = _core.SiteKinematics(str(humanoid.MODEL_XML), SITES)
    _, qpos, qvel = random_states(4)
    out = [np.empty((4, 3, k)) for k in (3, 9, 3, 3)]
    with pytest.raises(ValueError, match=r"qvel must have shape \(4, 27\)"):
        kin.compute(qpos, qvel[:, 1:], *out)
    with pytest.raises(ValueError, match=r"xmat must have shape \(4, 3, 9\)"):
        kin.compute(qpos, qvel, out[0], out[0], out[2], out[3])
    with pytest.raises(TypeError, match="qpos must have dtype float64"):
        kin.compute(qpos.astype(np.float32), qvel, *out)
    qpos[2, 9] = np.nan
    with pytest.raises(ValueError, match="qpos must be finite; row 2"):
        kin.compute(qpos, qvel, *out)
    with pytest.raises(ValueError, match="qpos and qvel must be"):
        humanoid.foot_motion(qpos[0], qvel[0])


def turned(qpos, qvel, yaw):
    """The same states with the whole body turned by yaw about the vertical."""
    w1, v1 = np.cos(yaw / 2), np.array([0, 0, np.sin(yaw / 2)])
    w2, v2 = qpos[:, 3], qpos[:, 4:7]
    q, v = qpos.copy(), qvel.copy()
    q[:, 3] = w1 * w2 - v2 @ v1
    q[:, 4:7] = w1 * v2 + w2[:, None] * v1 + np.cross(v1, v2)
    c, s = np.cos(yaw), np.sin(yaw)
    q[:, 0], q[:, 1] = c * qpos[:, 0] - s * qpos[:, 1], s * qpos[:, 0] + c * qpos[:, 1]
    v[:, 0], v[:, 1] = c * qvel[:, 0] - s * qvel[:, 1], s * qvel[:, 0] + c * qvel[:, 1]
    return q, v


def test_foot_motion_of_a_still_a_moving_and_a_turned_body():
    m = mujoco.MjModel.from_xml_path(str(humanoid.MODEL_XML))
    qpos, qvel = m.qpos0[None].copy(), np.zeros((1, m.nv))
    feet = humanoid.foot_motion(qpos, qvel).reshape(2, 5)
    np.testing.assert_allclose(feet[:, 2], 0.0, atol=1e-9)  # the standing pose's soles are on the floor
    np.testing.assert_allclose(feet[:, [0, 1, 3, 4]], 0.0, atol=1e-12)  # still, facing the pelvis's way

    # the whole body gliding forward and turning about the pelvis: each sole moves with it
    qvel[0, 0], qvel[0, 5] = 1.2, 0.5  # forward (m/s) and yaw rate (rad/s) of the free joint
    feet = humanoid.foot_motion(qpos, qvel).reshape(2, 5)
    d = mujoco.MjData(m)
    d.qpos[:] = qpos[0]
    mujoco.mj_kinematics(m, d)
    r = np.array([d.site(name).xpos - qpos[0, :3] for name in humanoid.SOLE_SITES])
    np.testing.assert_allclose(feet[:, 0], 1.2 - 0.5 * r[:, 1], atol=1e-12)  # v + omega x r
    np.testing.assert_allclose(feet[:, 1], 0.5 * r[:, 0], atol=1e-12)
    np.testing.assert_allclose(feet[:, 4], 0.5, atol=1e-12)
    assert feet[0, 0] < 1.2 < feet[1, 0]  # the left sole, on the inside of the turn, goes slower

    # any state, seen facing another way: the same features
    _, qpos, qvel = random_states(50, seed=3)
    feet = humanoid.foot_motion(qpos, qvel)
    np.testing.assert_allclose(humanoid.foot_motion(*turned(qpos, qvel, 2.1)), feet, atol=1e-9)
    assert np.abs(feet[:, [0, 1, 3, 4]]).min(axis=0).max() > 0  # none of them trivially zero
    fast = qvel.copy()
    fast[:, 0] = 10 * humanoid.VELOCITY_CLIP  # faster than the observation shows: clipped as it is
    clipped = qvel.copy()
    clipped[:, 0] = humanoid.VELOCITY_CLIP
    np.testing.assert_array_equal(humanoid.foot_motion(qpos, fast), humanoid.foot_motion(qpos, clipped))


def test_foot_motion_of_the_observation_and_of_the_state():
    env = envs.make("Humanoid21Imitation-v0", num_envs=3, num_threads=2)
    env.reset(seed=0)
    _, qpos, qvel = random_states(3, seed=4)
    env.set_state(qpos, qvel)
    obs, *_ = env.step(np.zeros((3, 21)))
    qpos, qvel = env.get_state()
    np.testing.assert_allclose(humanoid.foot_motion_of_obs(obs), humanoid.foot_motion(qpos, qvel), atol=1e-12)
    env.close()


def test_a_recorded_walk_plants_one_foot_and_swings_the_other(mocap_dir):
    """On the retargeted walk a sole on the floor barely moves or turns; one in the air
    moves forward at a swing's speed."""
    from gail_fast.mocap.convert import convert

    cmu = mocap_dir / "cmu"
    walk = convert(cmu / "02.asf", [cmu / "02_01.amc"], "Humanoid21Imitation-v0")[0]
    feet = humanoid.foot_motion(walk.qpos, walk.qvel).reshape(len(walk.qpos), 2, 5)
    speed, height, turn = np.hypot(feet[..., 0], feet[..., 1]), feet[..., 2], np.abs(feet[..., 4])
    stance, swing = height < 0.02, height > 0.08
    assert 0.2 < stance.mean() < 0.6 and swing.mean() > 0.1
    assert np.median(speed[stance]) < 0.05 and speed[swing].mean() > 1.5
    assert turn[stance].mean() < 0.3 * turn[swing].mean()
    assert feet[..., 0][swing].mean() > 1.5  # forward, in the pelvis's heading frame
    # the slide feature keeps the stance sole's speed and all but drops the swing's
    slide = humanoid.foot_slide(feet.reshape(len(walk.qpos), -1))
    np.testing.assert_allclose(slide[stance], speed[stance] * np.exp(-((height[stance] / 0.02) ** 2)))
    assert np.median(slide[stance]) < 0.05 and slide[swing].max() < 0.01 * speed[swing].min()


def test_foot_slide_weights_speed_by_nearness_to_the_floor():
    motion = np.zeros((3, len(humanoid.FOOT_MOTION_NAMES)))
    motion[0, :3] = [0.06, 0.08, 0.0]  # left: 0.1 m/s on the floor
    motion[1, 5:8] = [3.0, 0.0, 0.1]  # right: a swing at 3 m/s, 10 cm up
    motion[2, :3] = [0.1, 0.0, humanoid.FOOT_SLIDE_HEIGHT]
    np.testing.assert_allclose(
        humanoid.foot_slide(motion), [[0.1, 0.0], [0.0, 3.0 * np.exp(-25.0)], [0.1 / np.e, 0.0]], atol=1e-12
    )
    with pytest.raises(ValueError, match=r"foot motion must be \(n, 10\)"):
        humanoid.foot_slide(np.zeros((3, 5)))
