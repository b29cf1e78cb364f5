"""Evaluate a policy: mean and standard deviation of return and length over episodes.

    python -m gail_fast.evaluate RUN_OR_CHECKPOINT --episodes 10 [--json]
    python -m gail_fast.evaluate RUN --reference CLIP.npz [--episodes 8] [--steps 1000] [--json]

With --reference (the humanoid), the walking metrics of `gail_fast.walking` for the
policy, from the standing reset, and for the retargeted clip side by side; a policy trained
with AMP's task term says so (`task_speed`, its target, `task_weight` and `task_start`, the
step it was paid from; all 0 for pure imitation).

The policy acts deterministically (its mean action) unless --stochastic is given.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass

import numpy as np

from gail_fast import envs
from gail_fast.config import cli_errors
from gail_fast.nets import GaussianPolicy
from gail_fast.rollout import RolloutCollector


@dataclass(frozen=True)
class Evaluation:
    env_id: str
    episodes: int
    mean_return: float
    std_return: float
    mean_length: float
    std_length: float
    returns: list[float]
    lengths: list[int]


def evaluate_policy(
    policy: GaussianPolicy,
    env_id: str,
    episodes: int = 10,
    seed: int = 10_000,
    deterministic: bool = True,
    num_envs: int | None = None,
) -> Evaluation:
    """Runs `episodes` complete episodes, `num_envs` at a time, and summarises them.

    Only the first `episodes` episodes to finish count, each environment contributing
    in turn, so that short episodes are not favoured.
    """
    if episodes < 1:
        raise ValueError(f"episodes must be >= 1, got {episodes}")
    num_envs = num_envs or min(episodes, 16)
    env = envs.make(env_id, num_envs=num_envs)
    collector = RolloutCollector(env, seed=seed)
    per_env: list[list[tuple[float, int]]] = [[] for _ in range(num_envs)]
    quota = -(-episodes // num_envs)  # episodes taken from each environment
    while min(len(p) for p in per_env) < quota:
        batch = collector.collect(policy, 100, deterministic)
        # collect() reports episodes in the order they ended; attribute them per env
        ends = np.argwhere(batch.ended)  # rows (t, env) in time order
        for (_, i), ret, length in zip(ends, batch.episode_returns, batch.episode_lengths):
            per_env[i].append((float(ret), int(length)))
    env.close()
    taken = [ep for k in range(quota) for p in per_env for ep in p[k : k + 1]][:episodes]
    returns = np.array([r for r, _ in taken])
    lengths = np.array([n for _, n in taken])
    return Evaluation(
        env_id,
        episodes,
        float(returns.mean()),
        float(returns.std()),
        float(lengths.mean()),
        float(lengths.std()),
        returns.tolist(),
        lengths.tolist(),
    )


def main(argv: list[str] | None = None) -> None:
    from gail_fast.runs import load_policy

    parser = argparse.ArgumentParser(
        prog="python -m gail_fast.evaluate", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("path", help="a run folder or a checkpoint file")
    parser.add_argument("--episodes", type=int, default=10)
    parser.add_argument("--seed", type=int, default=10_000)
    parser.add_argument("--stochastic", action="store_true", help="sample actions instead of taking the mean")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument(
        "--reference",
        help="a retargeted clip (.npz): walking metrics of the humanoid's policy and the clip side by side",
    )
    parser.add_argument("--steps", type=int, default=1000, help="steps per episode for the walking metrics")
    args = parser.parse_args(argv)
    with cli_errors(parser):
        if args.episodes < 1:
            raise ValueError(f"--episodes must be >= 1, got {args.episodes}")
        if args.seed < 0:
            raise ValueError(f"--seed must be >= 0, got {args.seed}")
        policy, env_id, state = load_policy(args.path, check_env=True)
        if args.reference:
            from gail_fast import walking
            from gail_fast.demos import Demonstrations

            reference = Demonstrations.load(args.reference, env_id=env_id)
            walk = walking.compare(policy, env_id, reference, args.episodes, args.steps, args.seed, not args.stochastic)
            walk["task_speed"], walk["task_weight"], walk["task_start"] = walking.task_term(state)
        else:
            result = evaluate_policy(policy, env_id, args.episodes, args.seed, not args.stochastic)
    if args.reference:
        if args.json:
            print(json.dumps(walk))
        else:
            if note := walking.task_note(walk["task_speed"], walk["task_weight"], walk["task_start"]):
                print(note)
            print(f"{'':20s}{'policy':>10s}{'reference':>12s}")
            for key, value in walk["policy"].items():
                print(f"{key:20s}{value:10.3f}{walk['reference'][key]:12.3f}")
            print(f"{'frechet_z2':20s}{walk['frechet_z2']:10.3f}")
        return
    if args.json:
        print(json.dumps(asdict(result)))
    else:
        print(
            f"{env_id}: return {result.mean_return:.1f} ± {result.std_return:.1f}, "
            f"length {result.mean_length:.0f} ± {result.std_length:.0f} over {result.episodes} episodes"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
