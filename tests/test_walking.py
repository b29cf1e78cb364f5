"""Walking metrics on retargeted recordings: a walk walks, a run flies, a jump stays put."""

import numpy as np
import pytest

from gail_fast import humanoid
from gail_fast.mocap import parse_amc, parse_asf
from gail_fast.mocap.convert import landmarks_from_amc
from gail_fast.mocap.retarget import Retargeter
from gail_fast.walking import episode_metrics, frechet_distance, gait_goals, heading, heading_drift, windows

RATE = 1 / 0.015


@pytest.fixture(scope="module")
def clips(mocap_dir):
    retargeter = Retargeter()
    out = {}
    for amc in ("02_01.amc", "02_02.amc", "02_03.amc"):
        skeleton = parse_asf(mocap_dir / "cmu" / "02.asf")
        clip = landmarks_from_amc(skeleton, parse_amc(mocap_dir / "cmu" / amc, skeleton), 120.0)
        out[amc] = retargeter.retarget(clip, RATE)
    return retargeter.kin, out


def metrics(kin, solved):
    return episode_metrics(kin, [solved.qpos], [False], 1 / RATE)


def test_walks_walk(clips):
    kin, solved = clips
    for amc in ("02_01.amc", "02_02.amc"):
        m = metrics(kin, solved[amc])
        assert 0.8 < m.speed_mps < 1.8, m  # the recordings' pelvis moves at 0.98-1.63 m/s
        assert 1.0 < m.step_rate_hz < 3.0, m  # people walk at about two steps a second
        assert m.fall_fraction == 0.0 and m.heading_drift_deg < 30
    # a foot on the floor throughout where the retargeting finds a planted foot in every
    # frame (02_02's detection misses half its frames, which then float: see the README)
    assert solved["02_01.amc"].support.all() and metrics(kin, solved["02_01.amc"]).flight_fraction < 0.05


def test_the_run_is_faster_and_flies(clips):
    kin, solved = clips
    walk, run = metrics(kin, solved["02_01.amc"]), metrics(kin, solved["02_03.amc"])
    assert run.speed_mps > 1.3 * walk.speed_mps
    assert run.flight_fraction > walk.flight_fraction + 0.1


def test_frechet_distance_orders_the_clips(clips):
    kin, solved = clips
    z = {amc: windows([kin.features(s.qpos)]) for amc, s in solved.items()}
    assert frechet_distance(z["02_01.amc"], z["02_01.amc"]) < 1e-9
    walk_walk = frechet_distance(z["02_01.amc"], z["02_02.amc"])
    walk_run = frechet_distance(z["02_01.amc"], z["02_03.amc"])
    assert walk_walk < 0.5 * walk_run


def test_frechet_distance_of_gaussians_is_exact():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(200_000, 2))
    b = rng.normal(size=(200_000, 2)) * 2 + [3, 0]
    # |mu|^2 + tr(I + 4I - 2 * 2I) = 9 + 2
    assert abs(frechet_distance(a, b) - 11.0) < 0.1


def test_heading_of_a_turned_pelvis():
    qpos = np.zeros((3, 7))
    for k, yaw in enumerate((0.0, 1.0, -2.5)):
        qpos[k, 3], qpos[k, 6] = np.cos(yaw / 2), np.sin(yaw / 2)
    np.testing.assert_allclose(heading(qpos), [0.0, 1.0, -2.5], atol=1e-12)


def turning_pelvis(yaw: np.ndarray) -> np.ndarray:
    qpos = np.zeros((len(yaw), 7))
    qpos[:, 3], qpos[:, 6] = np.cos(yaw / 2), np.sin(yaw / 2)
    return qpos


def test_heading_drift_is_the_turn_not_the_swing():
    dt = 0.015
    t = np.arange(1001) * dt
    for rate in (0.5, 0.6, 1.0):  # strides a second: the pelvis's yaw swing at a walk's
        for phase in np.linspace(0, 2 * np.pi, 8, endpoint=False):
            swing = np.radians(15) * np.sin(2 * np.pi * rate * t + phase)
            # walking straight with the swing: whichever phase the episode ends in, little drift
            assert heading_drift(turning_pelvis(swing), dt) < 4.0
            # a steady turn of 10 degrees a second over the 15 s
            turn = np.radians(10) * t
            assert heading_drift(turning_pelvis(turn + swing), dt) == pytest.approx(150, abs=4.0)
    # circling: two whole turns read as such, not as their remainder
    circle = 4 * np.pi * t / t[-1]
    assert heading_drift(turning_pelvis(circle), dt) == pytest.approx(720, abs=1e-6)
    # a short episode
    assert heading_drift(turning_pelvis(np.radians([0.0, 1.0, 2.0])), dt) == pytest.approx(2.0)


def assessed(speed, drift=5.0, rate=1.9, flight=0.0, slide=0.05, frechet=0.02):
    """An `assess` result: the trained clips walk at 1.44 m/s and 1.89 steps a second."""
    policy = dict(
        fall_fraction=0.0,
        speed_mps=speed,
        heading_drift_deg=drift,
        step_rate_hz=rate,
        flight_fraction=flight,
        foot_slide_mps=slide,
    )
    trained = dict(policy, speed_mps=1.44, step_rate_hz=1.89)
    return dict(policy=policy, trained=trained, frechet_z2=frechet, frechet_z2_run=0.12, frechet_z2_trained_pair=0.015)


def test_gait_goals_of_a_walk_and_of_standing_still():
    assert all(gait_goals(assessed(1.40)).values()) and len(gait_goals(assessed(1.40))) == 8
    missed = gait_goals(assessed(1.40, drift=40.0, slide=0.12, frechet=0.035))
    assert [goal for goal, met in missed.items() if not met] == [
        "heading drift under 30 deg",
        "stance foot slide under 0.1 m/s",
        "frechet to the reference walk at most twice the trained pair's",
    ]
    # standing upright: no drift, slide or flight, yet no gait either
    standing = gait_goals(assessed(0.01, drift=0.0, rate=0.0, slide=0.0))
    assert [goal for goal, met in standing.items() if met] == ["no falls"]
    # a slow walk (a quarter of the clips' speed and more) is measured as a gait
    assert gait_goals(assessed(0.40))["stance foot slide under 0.1 m/s"]
    assert not gait_goals(assessed(0.35))["stance foot slide under 0.1 m/s"]


def test_bad_input():
    kin = humanoid.Kinematics()
    with pytest.raises(ValueError, match="at least 2 frames"):
        episode_metrics(kin, [np.zeros((1, 28))], [False], 0.015)


def test_task_term_of_a_checkpoint():
    from gail_fast.walking import task_term

    assert task_term({"config": {"task_speed": 1.4, "task_weight": 0.2, "task_start": 10**7}}) == (1.4, 0.2, 10**7)
    assert task_term({"config": {"task_speed": 1.4}}) == (1.4, 0.5, 0)  # GAILConfig's defaults
    assert task_term({"config": {"task_weight": 0.5}}) == (0, 0, 0) and task_term({}) == (0, 0, 0)  # pure imitation
    for config in ({"task_speed": "fast"}, {"task_speed": -1.0}, {"task_speed": float("nan")}):
        with pytest.raises(ValueError, match="no usable task_speed"):
            task_term({"config": config})
    for weight in (1.5, -0.1, None, True):
        with pytest.raises(ValueError, match="no usable task_weight"):
            task_term({"config": {"task_speed": 1.4, "task_weight": weight}})
    for start in (-1, 2.5, float("inf"), float("nan"), "late"):
        with pytest.raises(ValueError, match="no usable task_start"):
            task_term({"config": {"task_speed": 1.4, "task_start": start}})
    with pytest.raises(ValueError, match="not a mapping"):
        task_term({"config": ["task_speed"]})


def test_policy_and_reference_side_by_side(mocap_dir, tmp_path):
    import json
    import subprocess
    import sys

    from gail_fast import envs
    from gail_fast.gail import GAILConfig
    from gail_fast.mocap.convert import convert
    from gail_fast.nets import GaussianPolicy
    from gail_fast.runs import checkpoint, save_checkpoint
    from gail_fast.walking import compare

    demos, _ = convert(mocap_dir / "cmu" / "02.asf", [mocap_dir / "cmu" / "02_01.amc"], "Humanoid21Imitation-v0")
    env = envs.make("Humanoid21Imitation-v0")
    policy = GaussianPolicy(env.single_observation_space.shape[0], 21, (16,), -2.3)
    result = compare(policy, "Humanoid21Imitation-v0", demos, episodes=2, steps=40)
    assert result["policy"]["episodes"] == 2 and result["policy"]["upright_s"] <= 40 * 0.015
    assert result["reference"]["speed_mps"] > 0.8 and result["policy"]["speed_mps"] < 0.5  # it has not learnt to walk
    assert result["frechet_z2"] > 0
    # and through the command line, as JSON
    demos.save(tmp_path / "walk.npz")
    cfg = GAILConfig(env="Humanoid21Imitation-v0", demos=str(tmp_path / "walk.npz"), hidden=(16,), mode="z")
    save_checkpoint(tmp_path / "pure.pt", checkpoint("gail", cfg, 1, 1, policy))
    cfg = GAILConfig(
        env=cfg.env, demos=cfg.demos, hidden=(16,), mode="z", task_speed=1.4, task_weight=0.2, task_start=10**6
    )
    save_checkpoint(tmp_path / "task.pt", checkpoint("gail", cfg, 1, 1, policy))

    def evaluate(name: str, *flags: str) -> str:
        command = [sys.executable, "-m", "gail_fast.evaluate", str(tmp_path / name), "--reference"]
        command += [str(tmp_path / "walk.npz"), "--episodes", "2", "--steps", "30", *flags]
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout

    out = json.loads(evaluate("pure.pt", "--json"))
    assert set(out) == {"policy", "reference", "frechet_z2", "task_speed", "task_weight", "task_start"}
    assert out["task_speed"] == out["task_weight"] == out["task_start"] == 0
    task = json.loads(evaluate("task.pt", "--json"))
    assert (task["task_speed"], task["task_weight"], task["task_start"]) == (1.4, 0.2, 10**6)
    # a task-term policy's report says it is not imitation alone; a pure one's says nothing of it
    note = "not pure imitation: trained with AMP's task term, a target speed of 1.4 m/s at weight 0.2, paid from step 1,000,000 on"
    assert evaluate("task.pt").startswith(note)
    assert "task term" not in evaluate("pure.pt")
