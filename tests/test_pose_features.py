"""Pose features z_t: the C++ kernel against numpy, its invariances, the humanoid
environment that computes them every step, and motion capture converted to them."""

import numpy as np
import pytest

from gail_fast import _core, demos, envs, humanoid
from gail_fast.mocap import __main__ as mocap_cli
from gail_fast.mocap.convert import HISTORY, clip_features, convert


def numpy_features(points, forward, scale, k):
    """Reference: relative points and k-step pelvis displacement, rotated by -heading."""
    heading = np.arctan2(forward[:, 1], forward[:, 0])
    c, s = np.cos(heading), np.sin(heading)
    rot = np.stack(
        [np.stack([c, s, 0 * c], -1), np.stack([-s, c, 0 * c], -1), np.tile([0.0, 0.0, 1.0], (len(c), 1))], 1
    )
    rel = points[:, 1:] - points[:, :1]
    out = np.einsum("nij,npj->npi", rot, rel).reshape(len(points), -1) / scale
    disp = np.zeros((len(points), 3))
    for t in range(1, len(points)):
        back = min(t, k)
        disp[t] = rot[t] @ (points[t, 0] - points[t - back, 0]) / back / scale
    return np.concatenate([out, disp], axis=1)


def random_clip(n=50, seed=0):
    rng = np.random.default_rng(seed)
    points = rng.normal(size=(n, 6, 3)) + np.cumsum(rng.normal(0.02, 0.01, size=(n, 1, 3)), axis=0)
    heading = rng.uniform(-np.pi, np.pi, n)
    return points, np.stack([np.cos(heading), np.sin(heading)], 1) * rng.uniform(0.5, 2.0, (n, 1))


def test_matches_numpy():
    points, forward = random_clip()
    np.testing.assert_allclose(
        clip_features(points, forward, 1.7, 10), numpy_features(points, forward, 1.7, 10), atol=1e-12
    )
    np.testing.assert_allclose(
        clip_features(points, forward, 1.7, 3), numpy_features(points, forward, 1.7, 3), atol=1e-12
    )


def test_invariant_to_where_the_body_stands_faces_and_its_size():
    points, forward = random_clip()
    base = clip_features(points, forward, 1.7)
    yaw = 1.1
    rot = np.array([[np.cos(yaw), -np.sin(yaw), 0], [np.sin(yaw), np.cos(yaw), 0], [0, 0, 1]])
    moved = points @ rot.T + np.array([5.0, -3.0, 0.0])
    np.testing.assert_allclose(clip_features(moved, forward @ rot[:2, :2].T, 1.7), base, atol=1e-12)
    np.testing.assert_allclose(clip_features(points * 1.2, forward, 1.7 * 1.2), base, atol=1e-12)


def test_batch_kernel_equals_clip_kernel():
    points, forward = random_clip()
    clip = clip_features(points, forward, 1.7, HISTORY)
    back = np.minimum(np.arange(len(points)), HISTORY).astype(np.int32)
    past = points[np.arange(len(points)) - back, 0]
    out = np.empty_like(clip)
    _core.batch_features(points, forward, 1.7, np.ascontiguousarray(past), back, out)
    np.testing.assert_allclose(out, clip, atol=1e-15)


def test_bad_feature_input():
    points, forward = random_clip(5)
    with pytest.raises(ValueError, match="scale must be a positive"):
        clip_features(points, forward, 0.0)
    with pytest.raises(ValueError, match=r"points must have shape \(5, 6, 3\)"):
        clip_features(points[:, :5], forward, 1.0)
    with pytest.raises(ValueError, match=r"forward must have shape \(5, 2\)"):
        clip_features(points, forward[:3], 1.0)
    # no facing direction at all (a zero vector) means +x, not a division by zero
    np.testing.assert_array_equal(
        clip_features(points, np.zeros((5, 2)), 1.0), clip_features(points, np.tile([1.0, 0.0], (5, 1)), 1.0)
    )
    points[2, 1, 0] = np.nan
    with pytest.raises(ValueError, match="points must be finite"):
        clip_features(points, forward, 1.0)


# ---- the humanoid -------------------------------------------------------------------


@pytest.mark.parametrize("env_id", sorted(envs.POSE_FEATURE_ENVS))
def test_humanoid_environment(env_id):
    env = envs.make(env_id, num_envs=3, num_threads=2)
    obs, _ = env.reset(seed=0)
    assert obs.shape == (3, 26 + 27 + _core.POSE_FEATURES) and env.single_action_space.shape == (21,)
    z = obs[:, -_core.POSE_FEATURES :]
    # standing: feet below the pelvis, left foot on the left (+y in the heading frame),
    # head above, no displacement yet
    assert (z[:, 2] < -0.4).all() and (z[:, 5] < -0.4).all()
    assert (z[:, 1] > 0).all() and (z[:, 4] < 0).all()
    assert (z[:, 14] > 0.3).all()
    np.testing.assert_array_equal(z[:, 15:], 0.0)
    ended = np.zeros(3, dtype=bool)
    rng = np.random.default_rng(0)
    for _ in range(400):
        obs, reward, terminated, truncated, info = env.step(rng.uniform(-1, 1, (3, 21)))
        assert (reward == 0).all()  # imitation: no task reward
        ended |= terminated
    assert ended.all(), "random actions make the humanoid fall, which ends its episode"


def test_humanoid_features_along_an_episode_are_the_clip_kernels():
    """Past its reset, the simulator's z_t (the pelvis history's ring of HISTORY + 1
    slots wrapped around, then restarted by the time limit's reset) against the clip
    kernel run on the feature points and headings the simulation passed through. The
    servo model, which stays up under small actions; the task code is the torque model's."""
    env_id, nenv, nstep, limit = "Humanoid21Imitation-v0", 2, 40, 30
    env = envs.make(env_id, num_envs=nenv, num_threads=2, max_episode_steps=limit)
    env.reset(seed=0)
    qpos, qvel = env.get_state()
    yaw = np.array([0.7, -2.0])  # facing away from +x: the heading frame matters
    qpos[:, 3:7] = np.stack([np.cos(yaw / 2), 0 * yaw, 0 * yaw, np.sin(yaw / 2)], 1)
    qvel[:, :2] = [[0.5, 0.2], [-0.3, 0.4]]  # pushed over the ground
    qvel[:, 5] = [0.6, -0.9]  # and turning
    env.set_state(qpos, qvel)  # a new pelvis history starts here
    trajectory, observed = [qpos], []
    rng = np.random.default_rng(0)
    for t in range(1, nstep + 1):
        obs, _, terminated, truncated, _ = env.step(rng.uniform(-0.2, 0.2, (nenv, 21)))
        assert not terminated.any() and (truncated == (t == limit)).all()
        trajectory.append(env.get_state()[0])
        observed.append(obs[:, -_core.POSE_FEATURES :])
    trajectory, observed = np.array(trajectory), np.array(observed)  # (nstep + 1, nenv, nq), (nstep, nenv, nz)
    kin = humanoid.Kinematics(envs.FAST_ENVS[env_id].xml_path)
    for i in range(nenv):
        # the first episode's frames 1..limit - 1 (frame 0 is set_state's), then the next
        # episode's from its reset (frame 0) on
        first = kin.features(trajectory[:limit, i])
        second = kin.features(trajectory[limit:, i])
        np.testing.assert_allclose(observed[: limit - 1, i], first[1:], rtol=0, atol=1e-9)
        np.testing.assert_allclose(observed[limit - 1 :, i], second, rtol=0, atol=1e-9)
        moved = first[HISTORY + 1 :, -3:]  # displacement per step, in body heights
        assert np.abs(moved).max() > 1e-3, "the pushed pelvis should move"
    np.testing.assert_array_equal(observed[limit - 1, :, -3:], 0.0)  # a new episode has no past


def test_root_features_of_the_observation_and_of_the_state():
    """Mode zzr's root state: from the observation as from qpos/qvel (the layout the C++
    task writes), upright and still at the reset, the same whichever way the body faces."""
    env = envs.make("Humanoid21Imitation-v0", num_envs=3, num_threads=2)
    obs, _ = env.reset(seed=0)
    qpos, qvel = env.get_state()
    root = humanoid.root_features_of_obs(obs)
    assert root.shape == (3, len(humanoid.ROOT_NAMES))
    np.testing.assert_allclose(root, humanoid.root_features(qpos, qvel), atol=1e-12)
    np.testing.assert_allclose(root[:, 0], qpos[:, 2])
    np.testing.assert_allclose(root[:, 1:4], [[0, 0, 1]] * 3, atol=1e-6)  # upright
    np.testing.assert_allclose(root[:, 4:], 0, atol=0.05)  # still, up to the reset's noise

    # tilted, pushed and turning, then seen facing another way: the features stay
    rng = np.random.default_rng(1)
    quat = rng.normal(size=(3, 4)) * [1, 0.2, 0.2, 1]
    qpos[:, 3:7] = quat / np.linalg.norm(quat, axis=1, keepdims=True)
    qvel[:, :6] = rng.normal(size=(3, 6))
    env.set_state(qpos, qvel)
    obs, *_ = env.step(np.zeros((3, 21)))
    qpos, qvel = env.get_state()
    root = humanoid.root_features_of_obs(obs)
    np.testing.assert_allclose(root, humanoid.root_features(qpos, qvel), atol=1e-12)
    yaw = 1.3
    turn = np.array([np.cos(yaw / 2), 0, 0, np.sin(yaw / 2)])
    w1, v1 = turn[0], turn[1:]
    w2, v2 = qpos[:, 3], qpos[:, 4:7]
    turned = qpos.copy()
    turned[:, 3] = w1 * w2 - v2 @ v1
    turned[:, 4:7] = w1 * v2 + w2[:, None] * v1 + np.cross(v1, v2)  # the yaw composed onto the body
    vel = qvel.copy()
    c, s = np.cos(yaw), np.sin(yaw)
    vel[:, 0], vel[:, 1] = c * qvel[:, 0] - s * qvel[:, 1], s * qvel[:, 0] + c * qvel[:, 1]
    np.testing.assert_allclose(humanoid.root_features(turned, vel), root, atol=1e-9)
    assert np.abs(root[:, 1:3]).max() > 0.1 and np.abs(root[:, 4:6]).max() > 0.1  # tilt and speed seen
    fast = qvel.copy()
    fast[:, 3] = 3 * humanoid.VELOCITY_CLIP  # spinning faster than the observation shows
    np.testing.assert_array_equal(humanoid.root_features(qpos, fast)[:, 7], humanoid.VELOCITY_CLIP)
    with pytest.raises(ValueError, match="not the humanoid's"):
        humanoid.root_features_of_obs(obs[:, 1:])


def test_pd_humanoid_holds_its_weight():
    env = envs.make("Humanoid21Imitation-v0", num_envs=2)
    env.reset(seed=0)
    for _ in range(60):  # 0.9 s at the nominal pose
        obs, _, terminated, _, _ = env.step(np.zeros((2, 21)))
        assert not terminated.any()
    qpos, _ = env.get_state()
    assert (qpos[:, 2] > 0.9).all()  # the pelvis has not sunk
    assert np.abs(qpos[:, 7:]).max() < 0.1  # nor the joints buckled


# ---- motion capture to features -----------------------------------------------------


@pytest.mark.parametrize(
    "asf,amc",
    [
        ("02.asf", "02_01.amc"),
        ("02.asf", "02_03.amc"),
        ("02.asf", "02_04.amc"),
        ("07-walk.asf", "07_05-walk.amc"),
        ("13.asf", "13_39.amc"),
        ("02.asf", "02_02.amc"),
    ],
)
def test_every_clip_converts(mocap_dir, asf, amc):
    d, _ = convert(mocap_dir / "cmu" / asf, [mocap_dir / "cmu" / amc], "Humanoid21Imitation-v0")
    n_src = sum(1 for line in (mocap_dir / "cmu" / amc).read_text().splitlines() if line.strip().isdigit())
    duration = (n_src - 1) / 120.0
    assert d.episode_lengths[0] == int(duration / 0.015 + 1e-9)  # resampled to the 0.015 s control step
    assert d.features.shape == (d.episode_lengths[0] + 1, _core.POSE_FEATURES)
    # the recorded person's proportions match the humanoid's after scaling by size
    humanoid = envs.make("Humanoid21Imitation-v0").reset(seed=0)[0][0, -_core.POSE_FEATURES :]
    assert abs(np.median(d.features[:, 14]) - humanoid[14]) < 0.15  # head above the pelvis


def test_walk_features_move_forward(mocap_dir):
    d, _ = convert(mocap_dir / "cmu" / "02.asf", [mocap_dir / "cmu" / "02_01.amc"], "Humanoid21Imitation-v0")
    forward, lateral = d.features[HISTORY:, 15], d.features[HISTORY:, 16]
    # walking moves the pelvis forward in its own heading frame, hardly sideways
    assert (forward > 0).mean() > 0.95 and np.abs(lateral).mean() < 0.3 * forward.mean()


def test_convert_and_info_cli(mocap_dir, tmp_path, capsys):
    cmu = mocap_dir / "cmu"
    out = tmp_path / "walks.npz"
    mocap_cli.main(
        [
            "convert",
            "--asf",
            str(cmu / "02.asf"),
            "--amc",
            str(cmu / "02_01.amc"),
            "--amc",
            str(cmu / "02_02.amc"),
            "--out",
            str(out),
        ]
    )
    d = demos.Demonstrations.load(out, env_id="Humanoid21Imitation-v0")
    assert d.num_episodes == 2 and d.obs is None and d.actions is None
    mocap_cli.main(["info", "--asf", str(cmu / "02.asf"), "--amc", str(cmu / "02_01.amc")])
    text = capsys.readouterr().out
    assert "frames:        343 at 120 Hz" in text and "pelvis speed:" in text  # its value: test_mocap_info.py


def test_convert_bad_input(mocap_dir, tmp_path, capsys):
    cmu = mocap_dir / "cmu"
    with pytest.raises(SystemExit):
        mocap_cli.main(
            [
                "convert",
                "--asf",
                str(cmu / "02.asf"),
                "--amc",
                str(cmu / "02_01.amc"),
                "--env",
                "Hopper-v5",
                "--out",
                str(tmp_path / "x.npz"),
            ]
        )
    assert "Hopper-v5 has no pose features" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        mocap_cli.main(
            [
                "convert",
                "--asf",
                str(cmu / "02_01.amc"),
                "--amc",
                str(cmu / "02_01.amc"),
                "--out",
                str(tmp_path / "x.npz"),
            ]
        )
    assert "02_01.amc" in capsys.readouterr().err


def test_humanoid_proportions():
    import mujoco

    for env_id in sorted(envs.POSE_FEATURE_ENVS):
        model = mujoco.MjModel.from_xml_path(str(envs.FAST_ENVS[env_id].xml_path))
        data = mujoco.MjData(model)
        mujoco.mj_kinematics(model, data)
        hinges = [j for j in range(model.njnt) if model.jnt_type[j] == mujoco.mjtJoint.mjJNT_HINGE]
        assert len(hinges) == 21 and model.nu == 21
        assert model.body_subtreemass[1] == pytest.approx(70.0, abs=1.0)
        assert data.site("head").xpos[2] == pytest.approx(1.75, abs=0.02)
        for body in ("pelvis", "left_foot", "right_foot", "left_hand", "right_hand", "head"):
            assert mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_BODY, body) >= 0, body
    # the ratios of Winter's tables: thigh ~ 0.245 H, shank ~ 0.246 H, upper arm ~ 0.186 H
    env = envs.BatchVectorEnv("Humanoid21Imitation-v0", 1, body_names=("left_thigh", "left_shin", "left_foot"))
    _, info = env.reset(seed=0)
    thigh, shank = np.diff(info["body_pos"][0, :, 2])
    assert -thigh / 1.75 == pytest.approx(0.245, abs=0.01) and -shank / 1.75 == pytest.approx(0.246, abs=0.01)
