"""How a humanoid policy's poses compare with the recordings it imitates.

    python experiments/pose_stats.py RUN_FOLDER DATASET.npz [--steps 1000]

Rolls the deterministic policy out in 8 simulations for --steps steps and prints, for the
policy's pose features z_t and the dataset's: forward speed in body heights per second
(the displacement term, heading frame), the height of each foot and the head above the
pelvis, and per feature: how far its mean lies from the recordings' in their standard
deviations, its spread as a fraction of theirs (a foot's forward range shows the stride)
and its mean change per step as a multiple of theirs (jitter). An honest look at what
GAIL learnt, beside the episode lengths and walking metrics of `python -m
gail_fast.evaluate`.
"""

from __future__ import annotations

import argparse

import numpy as np

from gail_fast import _core, envs, humanoid
from gail_fast.demos import Demonstrations
from gail_fast.rollout import RolloutCollector
from gail_fast.runs import load_policy


def summarise(name: str, z: np.ndarray, dt: float) -> None:
    column = humanoid.FEATURE_NAMES.index
    speed = z[:, column("pelvis_step_x")] / dt
    feet_head = [z[:, column(f"{site}_z")].mean() for site in ("left_foot", "right_foot", "head")]
    print(
        f"{name:10s} forward {speed.mean():+.3f} ± {speed.std():.3f} heights/s | "
        f"height above pelvis: left foot {feet_head[0]:+.3f}, right foot {feet_head[1]:+.3f}, head {feet_head[2]:+.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run")
    parser.add_argument("dataset")
    parser.add_argument("--steps", type=int, default=1000)
    args = parser.parse_args()

    policy, env_id, _ = load_policy(args.run, check_env=True)
    if env_id not in envs.POSE_FEATURE_ENVS:
        raise SystemExit(f"{env_id} has no pose features")
    env = envs.make(env_id, num_envs=8)
    batch = RolloutCollector(env, seed=30_000).collect(policy, args.steps, deterministic=True)
    z_run = batch.obs[..., -_core.POSE_FEATURES :]  # (nstep, nenv, nz)
    z_policy = z_run.reshape(-1, _core.POSE_FEATURES)
    demos = Demonstrations.load(args.dataset, env_id)
    z_expert = demos.features
    lengths = batch.episode_lengths
    print(
        f"{len(lengths)} episodes ended in {args.steps} steps x 8 simulations"
        + (f", mean length {lengths.mean():.0f}" if len(lengths) else " (none fell)")
    )
    summarise("recording", z_expert, env.dt)
    summarise("policy", z_policy, env.dt)
    within = ~(batch.terminated | batch.truncated)[:-1]  # pairs of steps inside one episode
    policy_change = np.abs(np.diff(z_run, axis=0)[within]).mean(0)
    z, z_next, _ = demos.transitions("features")
    expert_change = np.abs(z_next - z).mean(0)
    sd = z_expert.std(0) + 1e-8
    print(f"{'feature':14s} {'mean gap / sd':>14s} {'spread ratio':>13s} {'change ratio':>13s}")
    for i, name in enumerate(humanoid.FEATURE_NAMES):
        print(
            f"{name:14s} {(z_policy[:, i].mean() - z_expert[:, i].mean()) / sd[i]:+14.2f} "
            f"{z_policy[:, i].std() / sd[i]:13.2f} {policy_change[i] / (expert_change[i] + 1e-12):13.2f}"
        )


if __name__ == "__main__":
    main()
