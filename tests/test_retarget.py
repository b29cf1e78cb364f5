"""Retargeting CMU clips onto the humanoid, and episodes that start from recorded states."""

import threading

import mujoco
import numpy as np
import pytest

from gail_fast import _core, envs, humanoid
from gail_fast.mocap import parse_amc, parse_asf
from gail_fast.mocap.convert import convert, landmarks_from_amc
from gail_fast.mocap.landmarks import LANDMARKS, NLANDMARK, LandmarkClip
from gail_fast.mocap.retarget import Retargeter, spline_velocities

ENV = "Humanoid21Imitation-v0"
RATE = 1 / 0.015
WALKS = [("02.asf", "02_01.amc"), ("02.asf", "02_02.amc"), ("07-walk.asf", "07_05-walk.amc")]


@pytest.fixture(scope="module")
def retargeter():
    return Retargeter()


@pytest.fixture(scope="module")
def walks(mocap_dir, retargeter):
    out = {}
    for asf, amc in WALKS:
        skeleton = parse_asf(mocap_dir / "cmu" / asf)
        clip = landmarks_from_amc(skeleton, parse_amc(mocap_dir / "cmu" / amc, skeleton), 120.0)
        out[amc] = (clip, retargeter.retarget(clip, RATE))
    return out


@pytest.mark.parametrize("amc", [amc for _, amc in WALKS])
def test_landmarks_are_matched_within_3_cm(walks, amc):
    _, solved = walks[amc]
    summary = solved.error_summary()
    assert summary["median_m"] < 0.03
    assert summary["max_m"] < 0.10, summary


@pytest.mark.parametrize("amc", [amc for _, amc in WALKS])
def test_joint_limits_hold_and_feet_stay_on_the_floor(walks, retargeter, amc):
    _, solved = walks[amc]
    m = retargeter.m
    hinge = solved.qpos[:, 7:]
    assert (hinge >= m.jnt_range[1:, 0] - 1e-12).all() and (hinge <= m.jnt_range[1:, 1] + 1e-12).all()
    low = retargeter.kin.lowest_foot_point(solved.qpos)
    assert low.min() > -0.01  # no foot below the floor by more than 1 cm
    # the floor levelled, every walk has a foot planted in nearly every frame (02_02 had one in
    # half its frames before), and there the humanoid has one on the floor
    assert 0.5 < solved.floor_tilt_deg < 1.5  # the takes' floors drop about 2 cm a metre
    assert solved.support.mean() > 0.9
    assert (low.min(axis=1)[solved.support] < 0.01).all()


def test_planted_feet_barely_slide(walks, retargeter):
    for amc, (_, solved) in walks.items():
        contact, slide = humanoid.foot_contact_and_slide(retargeter.kin, solved.qpos, 1 / RATE)
        planted = contact & solved.planted[:-1] & solved.planted[1:]
        assert planted.mean() > 0.15, amc
        # m/s, the sole point in contact: the recordings' own planted feet drift by more
        assert np.median(slide[planted]) < 0.05, amc


def resting_feet(grade: tuple[float, float], spread: float, heading: float = 0.5) -> np.ndarray:
    """Foot points of a walk of 4 steps at the control rate along `heading` (rad), resting in
    turn over `spread` m on a floor rising `grade` m a metre along x and y; between rests a
    point swings to its next place over 50 frames (1 m/s over 3 m), 10 cm up at the top."""
    target = np.zeros((400, NLANDMARK, 3))
    t = np.arange(400)
    for k, name in enumerate(("left_toe", "right_toe", "left_ankle", "right_ankle")):
        phase = (t + 50 * (k % 2)) % 100
        step = (t + 50 * (k % 2)) // 100
        s = spread / 4 * (step + np.clip((phase - 50) / 50, 0, 1))  # rests, then swings to the next
        x, y = s * np.cos(heading), s * np.sin(heading) + 0.2 * (k % 2)  # the right foot beside the left
        swing = 0.1 * (phase >= 50) * np.sin(np.pi * (phase - 50) / 50)
        target[:, LANDMARKS.index(name)] = np.stack([x, y, grade[0] * x + grade[1] * y + 0.05 * (k >= 2) + swing], 1)
    return target


def test_the_floor_is_levelled():
    from gail_fast.mocap.retarget import floor_tilt, ground_speed

    present = np.ones(NLANDMARK, dtype=bool)
    feet = [LANDMARKS.index(n) for n in ("left_toe", "right_toe", "left_ankle", "right_ankle")]
    grade = (0.04, -0.01)
    target = resting_feet(grade, 3.0)
    target[100:150, feet[0], 2] += 0.05  # the left toe held still 5 cm up through one rest
    # across the walk each point rests along one line, which shows no slope: the rise along it
    tilt = np.degrees(np.arctan(grade[0] * np.cos(0.5) + grade[1] * np.sin(0.5)))
    assert abs(tilt) > 0.1
    no_toes = present.copy()
    no_toes[feet[:2]] = False  # a source with ankles alone
    for have in (present, no_toes):
        level = floor_tilt(target, have, RATE)
        np.testing.assert_allclose(level @ level.T, np.eye(3), atol=1e-12)
        assert np.degrees(np.arccos(level[2, 2])) == pytest.approx(abs(tilt), abs=0.01)
        turned = target @ level.T
        for i in feet[2:] if have is no_toes else feet:  # each point rests at one height over the walk
            resting = ground_speed(target[:, i], RATE) < 0.15
            resting[100:150] &= i != feet[0]
            assert np.ptp(turned[resting, i, 2]) < 1e-3
    # feet that rest over less than half a metre, or a ramp: left as recorded
    np.testing.assert_array_equal(floor_tilt(resting_feet(grade, 0.3), present, RATE), np.eye(3))
    np.testing.assert_array_equal(floor_tilt(resting_feet((0.18, 0.0), 3.0), present, RATE), np.eye(3))
    # no feet in the clip, or a single frame: nothing to fit
    np.testing.assert_array_equal(floor_tilt(target, ~present, RATE), np.eye(3))
    np.testing.assert_array_equal(floor_tilt(target[:1], present, RATE), np.eye(3))


def test_a_clip_shorter_than_two_control_steps(walks, retargeter):
    import dataclasses

    clip, _ = walks["02_01.amc"]
    with pytest.raises(ValueError, match="2 frames at 120 Hz are under two frames at the control rate"):
        retargeter.retarget(dataclasses.replace(clip, positions=clip.positions[:2]), RATE)


def test_velocities_are_the_derivatives_of_the_positions(walks, retargeter):
    _, solved = walks["02_01.amc"]
    m = retargeter.m
    # central differences of the solved frames, through MuJoCo's own quaternion algebra
    fd = np.empty((len(solved.qpos) - 2, m.nv))
    for t in range(1, len(solved.qpos) - 1):
        mujoco.mj_differentiatePos(m, fd[t - 1], 2 / RATE, solved.qpos[t - 1], solved.qpos[t + 1])
    err = np.abs(solved.qvel[1:-1] - fd)
    # the same motion: differences are a small part of the speeds (frame-to-frame jitter
    # of the solve, which the differences see and the spline smooths)
    assert np.median(err) < 0.1 * np.median(np.abs(fd))
    assert np.linalg.norm(solved.qvel[1:-1] - fd) < 0.25 * np.linalg.norm(fd)


def test_spline_velocities_of_a_turning_body():
    # a body spinning about z at 1 rad/s while tilted: the body-frame angular velocity is
    # the world spin expressed in the body frame
    t = np.arange(100) / RATE
    yaw = t.copy()
    qpos = np.zeros((len(t), 7))
    qpos[:, 0] = 2 * t
    qpos[:, 3], qpos[:, 6] = np.cos(yaw / 2), np.sin(yaw / 2)
    qvel = spline_velocities(qpos, RATE)
    np.testing.assert_allclose(qvel[:, 0], 2.0, atol=1e-9)
    np.testing.assert_allclose(qvel[:, 5], 1.0, atol=1e-6)
    np.testing.assert_allclose(qvel[:, [1, 2, 3, 4]], 0.0, atol=1e-6)


@pytest.fixture(scope="module")
def walk_dataset(mocap_dir):
    cmu = mocap_dir / "cmu"
    demos, _ = convert(cmu / "02.asf", [cmu / "02_01.amc"], ENV, mirror=True)
    return demos


def test_dataset_features_are_the_simulators_own(walk_dataset):
    """Every recorded state, started from the pool, reproduces its row's qpos, qvel and z_t."""
    demos = walk_dataset
    nrow = len(demos.qpos)
    env = envs.make(ENV, nrow, num_threads=2)
    env.set_start_pool(demos.qpos, demos.qvel, humanoid.start_states(demos.qpos, demos.episode_lengths), 1.0)
    obs, _ = env.reset(seed=3)
    rows = env.start_rows
    assert (rows >= 0).all() and len(np.unique(rows)) > nrow // 2
    qpos, qvel = env.get_state()
    np.testing.assert_allclose(qpos, demos.qpos[rows], atol=1e-12)
    np.testing.assert_allclose(qvel, demos.qvel[rows], atol=1e-12)
    np.testing.assert_allclose(obs[:, -_core.POSE_FEATURES :], demos.features[rows], atol=1e-9)


def test_mirrored_clip_is_the_clip_reflected(walk_dataset):
    demos = walk_dataset
    a, b = (demos.features[s] for s, _ in demos.episode_slices())
    names = humanoid.FEATURE_NAMES
    swap = [names.index(n.replace("left", "#").replace("right", "left").replace("#", "right")) for n in names]
    reflected = b[:, swap] * np.where([n.endswith("_y") for n in names], -1, 1)
    assert np.abs(reflected - a).max() < 0.02  # body heights; the model is symmetric to solver precision


def test_starts_are_drawn_per_simulation_and_thread_count_free(walk_dataset):
    demos = walk_dataset
    pool = (demos.qpos, demos.qvel, humanoid.start_states(demos.qpos, demos.episode_lengths))
    env = envs.make(ENV, 400)
    env.set_start_pool(*pool, 0.5)
    env.reset(seed=0)
    assert 0.4 < (env.start_rows >= 0).mean() < 0.6  # about half from the pool
    runs = []
    for threads in (1, 2):
        env = envs.make(ENV, 16, num_threads=threads)
        env.set_start_pool(*pool, 0.5)
        env.reset(seed=7)
        rows = [env.start_rows.copy()]
        for _ in range(150):
            env.step(np.zeros((16, 21)))
            rows.append(env.start_rows.copy())
        runs.append((np.array(rows), env.get_state()[0]))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    np.testing.assert_array_equal(runs[0][1], runs[1][1])


def test_bad_pools_are_clear_errors(walk_dataset):
    env = envs.make(ENV, 2)
    q, v = walk_dataset.qpos, walk_dataset.qvel
    s = humanoid.start_states(q, walk_dataset.episode_lengths)
    with pytest.raises(ValueError, match=r"qpos must have shape \(\d+, 28\)"):
        env.set_start_pool(q[:, :20], v, s, 1.0)  # a pool for another model
    with pytest.raises(ValueError, match="task_state must have shape"):
        env.set_start_pool(q, v, s[:, :5], 1.0)
    bad = q.copy()
    bad[3, 4] = np.nan
    with pytest.raises(ValueError, match="qpos must be finite; row 3"):
        env.set_start_pool(bad, v, s, 1.0)
    with pytest.raises(ValueError, match=r"fraction must be in \[0, 1\]"):
        env.set_start_pool(q, v, s, 1.5)


def test_bad_clips_are_clear_errors():
    pos = np.zeros((10, NLANDMARK, 3))
    pos[:, LANDMARKS.index("left_knee")] = np.nan
    with pytest.raises(ValueError, match=r"clip.npy: lacks the landmarks \['left_knee'\]"):
        LandmarkClip(pos, 30.0, "clip.npy")
    pos = np.zeros((10, NLANDMARK, 3))
    pos[4, LANDMARKS.index("head")] = np.nan
    with pytest.raises(ValueError, match=r"landmarks \['head'\] are missing in some frames"):
        LandmarkClip(pos, 30.0, "clip.npy")
    with pytest.raises(ValueError, match="must be"):
        LandmarkClip(np.zeros((10, 5, 3)), 30.0, "clip.npy")
    with pytest.raises(ValueError, match="frame rate must be positive"):
        LandmarkClip(np.zeros((10, NLANDMARK, 3)), 0.0, "clip.npy")


def test_standing_reset_with_zero_action_stays_up():
    env = envs.make(ENV, 8)
    env.reset(seed=0)
    assert (env.single_action_space.low == -1).all() and (env.single_action_space.high == 1).all()
    for _ in range(env.core.max_episode_steps - 1):
        _, _, terminated, truncated, _ = env.step(np.zeros((8, 21)))
        assert not (terminated | truncated).any()
    _, _, terminated, truncated, _ = env.step(np.zeros((8, 21)))
    assert truncated.all() and not terminated.any()  # the time limit, not a fall


def test_a_body_on_the_floor_ends_the_episode():
    env = envs.make(ENV, 1)
    env.reset(seed=0)
    qpos, qvel = env.get_state()
    # upside down, tipped 150 degrees backwards: the head on the floor, the pelvis above
    # the fall height, so only the contact can end the episode
    angle = np.radians(-150)
    qpos[0, 2] = 0.65
    qpos[0, 3:7] = [np.cos(angle / 2), 0, np.sin(angle / 2), 0]
    env.set_state(qpos, qvel)
    _, _, terminated, _, infos = env.step(np.zeros((1, 21)))
    assert terminated[0] and infos["final_obs"][0, 0] > 0.6


def test_two_threads_on_one_environment_get_an_error_not_a_crash():
    env = envs.make("Humanoid-v5", 64, num_threads=1)
    env.reset(seed=0)
    errors, stop = [], threading.Event()

    def hammer():
        actions = np.zeros((64, 17))
        while not stop.is_set():
            try:
                env.step(actions)
            except RuntimeError as e:
                errors.append(str(e))

    threads = [threading.Thread(target=hammer) for _ in range(2)]
    for t in threads:
        t.start()
    threading.Event().wait(1.0)
    stop.set()
    for t in threads:
        t.join()
    assert errors and all("in use by another thread" in e for e in errors)
    env.step(np.zeros((64, 17)))  # and it still works afterwards
