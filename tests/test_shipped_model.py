"""The shipped humanoid model still walks: a change to the model, the task or the policy
code that breaks it fails here."""

from pathlib import Path

from gail_fast import envs, humanoid, walking
from gail_fast.runs import load_policy

MODEL = Path(__file__).parents[1] / "models" / "humanoid21_walk"


def test_the_shipped_model_loads_like_a_run_and_is_small():
    policy, env_id, state = load_policy(MODEL, check_env=True)
    assert env_id == "Humanoid21Imitation-v0" and state["config"]["task_speed"] == 0.0  # pure imitation
    assert sum(p.stat().st_size for p in MODEL.rglob("*") if p.is_file()) < 2_000_000


def test_the_shipped_model_walks_from_standing():
    """The evaluation's eight deterministic episodes from the standing reset, 10 s each:
    at most one falls (its 15-s evaluation: none of 8, README "Results"), and every one that
    stays up walks forward at a walking speed and steps."""
    policy, env_id, _ = load_policy(MODEL)
    run = walking.rollout(policy, env_id, episodes=8, steps=667, seed=20_000)
    kin = humanoid.Kinematics(envs.FAST_ENVS[env_id].xml_path)
    assert sum(run.fell) <= 1, run.fell
    for qpos, fell in zip(run.qpos, run.fell):
        if fell:
            continue
        m = walking.episode_metrics(kin, [qpos], [fell], run.dt)
        assert m.upright_s > 9.9, m
        assert 0.7 < m.speed_mps < 2.0, m  # the trained clips walk at 1.44 m/s
        assert m.step_rate_hz > 0.5, m  # steps, not a glide (standing still: 0)
