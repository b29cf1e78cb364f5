"""Whole-loop env-steps/s of GAIL against the simulator alone on the same episodes.

    python benchmarks/loop_speed.py [--setting humanoid --setting hopper] [--rounds 5]
        [--iterations 20] [--num-threads N] [--step-threads N] [--hidden 64 64]
        [--fvp-subsample F] [--vf-epochs N] [--mirror] [--mirror-loss W]

A round trains the setting's GAIL (`loop_settings.py`) from scratch for `--iterations`
iterations, timed from the first rollout to the end of the last iteration (setup and
the drawing of curves.png left out), recording the actions the environments received.
Then a fresh copy of the environments, reset with the same seed, is stepped with those
actions through the same `VectorEnv.step`: the same episodes and lengths, no learner
(checked: both end in the same state). Rounds alternate the two; reported are the
medians over rounds of both rates and of their ratio within a round, since this
machine is shared and its speed drifts.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from loop_settings import SETTINGS, config, make_demos

from gail_fast import envs, runs
from gail_fast.gail import train_gail
from gail_fast.rollout import RolloutCollector


class RecordingCollector(RolloutCollector):
    """The default collector, noting the actions the environments received and when the
    first rollout started."""

    def __init__(self, env) -> None:
        super().__init__(env)
        self.actions: list[np.ndarray] = []
        self.first: float | None = None
        self.start_pool: tuple | None = None

    def reset(self, seed: int) -> None:
        self.seed = seed
        super().reset(seed)

    def set_start_pool(self, *pool) -> None:
        self.start_pool = pool  # the replay starts its episodes from the same recorded states
        super().set_start_pool(*pool)

    def collect(self, policy, nstep, deterministic=False):
        if self.first is None:
            self.first = time.perf_counter()
        batch = super().collect(policy, nstep, deterministic)
        self.actions.append(np.clip(batch.actions, self.action_low, self.action_high))
        return batch


def loop_round(cfg, out: Path) -> tuple[float, RecordingCollector]:
    """Env-steps/s of one training run, and its collector."""
    plotting = [0.0]
    plot = runs.Run.plot

    def timed_plot(self, keys):
        start = time.perf_counter()
        plot(self, keys)
        plotting[0] += time.perf_counter() - start

    runs.Run.plot = timed_plot
    try:
        collector = RecordingCollector(envs.make(cfg.env, num_envs=cfg.num_envs, num_threads=cfg.num_threads))
        train_gail(cfg, out, collector=collector)
        elapsed = time.perf_counter() - collector.first - plotting[0]
    finally:
        runs.Run.plot = plot
    return cfg.total_steps / elapsed, collector


def simulator_round(cfg, recorded: RecordingCollector) -> float:
    """Env-steps/s of the environments alone, stepped with the recorded actions."""
    env = envs.make(cfg.env, num_envs=cfg.num_envs, num_threads=cfg.num_threads)
    if getattr(recorded, "start_pool", None) is not None:
        env.set_start_pool(*recorded.start_pool)
    obs, _ = env.reset(seed=recorded.seed)
    start = time.perf_counter()
    for actions in recorded.actions:
        for a in actions:
            obs, *_ = env.step(a)
    elapsed = time.perf_counter() - start
    env.close()
    if not np.array_equal(obs, recorded.obs):
        raise RuntimeError("the replay did not retrace the training run's episodes")
    return sum(a.shape[0] * a.shape[1] for a in recorded.actions) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--setting", action="append", choices=SETTINGS)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--num-threads", type=int, default=None, help="simulator threads (default: the loop's)")
    parser.add_argument("--step-threads", type=int, default=None, help="PyTorch threads of the policy's step")
    parser.add_argument("--hidden", type=int, nargs="+", default=(), help="network sizes (default: the env's)")
    parser.add_argument("--fvp-subsample", type=float, help="TRPO's, in place of the setting's")
    parser.add_argument("--vf-epochs", type=int, help="TRPO's, in place of the setting's")
    parser.add_argument("--mirror", action="store_true", help="TRPO's step on mirror images too (humanoid)")
    parser.add_argument("--mirror-loss", type=float, help="TRPO's symmetry loss weight (humanoid)")
    args = parser.parse_args()
    overrides = {
        "fvp_subsample": args.fvp_subsample,
        "vf_epochs": args.vf_epochs,
        "mirror": args.mirror or None,
        # the humanoid recipe's symmetry loss gives way to augmentation: TRPO takes one of the two
        "mirror_loss": 0.0 if args.mirror and args.mirror_loss is None else args.mirror_loss,
    }
    trpo = {k: v for k, v in overrides.items() if v is not None}
    with tempfile.TemporaryDirectory() as tmp:
        for setting in args.setting or SETTINGS:
            cfg = config(setting, make_demos(setting, Path(tmp)), args.iterations, args.num_threads, tuple(args.hidden))
            cfg.step_threads = args.step_threads
            cfg.trpo = dataclasses.replace(cfg.trpo, **trpo)
            loop, sim, ratio = [], [], []
            for k in range(args.rounds):
                rate, recorded = loop_round(cfg, Path(tmp) / f"{setting}{k}")
                loop.append(rate)
                sim.append(simulator_round(cfg, recorded))
                ratio.append(loop[-1] / sim[-1])
                print(f"{setting} round {k + 1}: loop {loop[-1]:.0f}/s, simulator {sim[-1]:.0f}/s, {ratio[-1]:.2f}")
            threads = cfg.num_threads or min(os.cpu_count() or 1, cfg.num_envs)
            print(
                f"{setting} ({cfg.env}, {cfg.num_envs} envs x {cfg.nstep}, {threads} simulator threads, {cfg.hidden} nets, "
                f"policy step on {cfg.policy_step_threads} threads, Fisher products on {cfg.trpo.fvp_subsample:g} of the batch, "
                f"{cfg.trpo.vf_epochs} value epochs, {'mirror images, ' if cfg.trpo.mirror else ''}{f'symmetry loss {cfg.trpo.mirror_loss:g}, ' if cfg.trpo.mirror_loss else ''}"
                f"{args.iterations} iterations, {args.rounds} rounds): loop {statistics.median(loop):.0f} env-steps/s, "
                f"simulator alone {statistics.median(sim):.0f}, ratio {statistics.median(ratio):.2f} "
                f"({min(ratio):.2f}-{max(ratio):.2f})",
                flush=True,
            )


if __name__ == "__main__":
    main()
