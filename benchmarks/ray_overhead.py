"""What rollout workers on Ray cost on one machine: 2 workers x 1 simulator thread against
the in-process run with 2 threads, the same environments.

    python benchmarks/ray_overhead.py [--setting humanoid --setting hopper] [--rounds 5]
        [--iterations 6] [--rollouts-only]

Settings: humanoid, the walking recipe of `python -m gail_fast.train mocap` (GAIL on the
pose features of a step, `--mode zv`, AMP's discriminator, 64 envs x 256 steps, 3 x 150
networks, on the two shipped walks retargeted); hopper, `loop_settings.py`'s (`--mode
sa`, 16 envs x 256, 2 x 64). A round trains the setting from scratch for `--iterations`
iterations, once in this process and once with 2 Ray workers, in alternating order; its
rate is the median of the iterations' env-steps/s (progress.csv's `charts/SPS`) after
the first, which includes the start. `--rollouts-only` times `collect` alone with a fixed
policy instead (no learner). One local Ray (2 CPUs) serves every round. Reported are the
medians over rounds of both rates and of their ratio within a round, with the load
average, since a shared machine's speed drifts.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import statistics
import tempfile
import time
from pathlib import Path

import ray
import torch
from loop_settings import config, make_demos

from gail_fast import envs
from gail_fast.gail import GAILConfig, train_gail
from gail_fast.mocap_pipeline import MocapConfig, gail_config, retarget
from gail_fast.nets import GaussianPolicy
from gail_fast.rollout import RolloutCollector
from gail_fast.runs import read_progress
from gail_fast.workers import RayCollector

SETTINGS = ("humanoid", "hopper")
WORKERS, THREADS = 2, 2  # 2 workers of 1 thread against 1 process of 2 threads


def setting_config(setting: str, folder: Path, iterations: int) -> GAILConfig:
    """The setting's GAIL configuration in this process, for `iterations` iterations."""
    if setting == "humanoid":
        mocap = MocapConfig()
        demos = retarget(list(mocap.clips), folder / "walk.npz", mirror=True)
        cfg = gail_config(mocap, demos)
    else:
        cfg = config("hopper", make_demos("hopper", folder), iterations)
    return dataclasses.replace(cfg, num_threads=THREADS, total_steps=iterations * cfg.num_envs * cfg.nstep)


def with_workers(cfg: GAILConfig) -> GAILConfig:
    return dataclasses.replace(cfg, workers=WORKERS, num_threads=THREADS // WORKERS)


def loop_rate(cfg: GAILConfig, out: Path) -> float:
    """Median env-steps/s of a training run's iterations after the first."""
    train_gail(dataclasses.replace(cfg, plot_every=1e9), out)
    sps = [row["charts/SPS"] for row in read_progress(out / "progress.csv")]
    return statistics.median(sps[1:])


def rollout_rate(cfg: GAILConfig, collectors: dict, workers: bool) -> float:
    """Env-steps/s of one collect of the setting's batch with a fixed policy."""
    collector = collectors[workers]
    policy = GaussianPolicy(collector.observation_space.shape[0], collector.action_space.shape[0], cfg.hidden)
    start = time.perf_counter()
    collector.collect(policy, cfg.nstep)
    return cfg.num_envs * cfg.nstep / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--setting", action="append", choices=SETTINGS)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--iterations", type=int, default=6)
    parser.add_argument("--rollouts-only", action="store_true", help="time collect alone, without the learner")
    args = parser.parse_args()
    os.environ.setdefault("CI", "1")  # no progress bars
    torch.set_num_threads(1)
    ray.init(num_cpus=WORKERS, include_dashboard=False, logging_level=logging.WARNING)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for setting in args.setting or SETTINGS:
                cfg = setting_config(setting, Path(tmp), args.iterations)
                collectors = {}
                if args.rollouts_only:
                    collectors[False] = RolloutCollector(envs.make(cfg.env, cfg.num_envs, THREADS), seed=cfg.seed)
                    collectors[True] = RayCollector(cfg.env, cfg.num_envs, WORKERS, THREADS // WORKERS)
                    collectors[True].reset(cfg.seed)
                    for workers in (False, True):  # warm-up
                        rollout_rate(cfg, collectors, workers)
                rates: dict[bool, list[float]] = {False: [], True: []}
                for k in range(args.rounds):
                    for workers in (False, True) if k % 2 == 0 else (True, False):
                        if args.rollouts_only:
                            rate = rollout_rate(cfg, collectors, workers)
                        else:
                            run_cfg = with_workers(cfg) if workers else cfg
                            rate = loop_rate(run_cfg, Path(tmp) / f"{setting}{k}{'ray' if workers else ''}")
                        rates[workers].append(rate)
                    print(
                        f"{setting} round {k + 1}: in-process {rates[False][-1]:.0f}/s, "
                        f"{WORKERS} workers {rates[True][-1]:.0f}/s",
                        flush=True,
                    )
                for collector in collectors.values():
                    collector.close()
                ratios = [w / p for p, w in zip(rates[False], rates[True])]
                what = "rollouts" if args.rollouts_only else f"whole loop, {args.iterations} iterations"
                print(
                    f"{setting} ({cfg.env}, mode {cfg.mode}, {cfg.num_envs} envs x {cfg.nstep}, {cfg.hidden} nets; "
                    f"{what}; {args.rounds} rounds; load average {os.getloadavg()[0]:.1f}): "
                    f"in-process {THREADS} threads {statistics.median(rates[False]):.0f} env-steps/s, "
                    f"{WORKERS} Ray workers x {THREADS // WORKERS} thread {statistics.median(rates[True]):.0f}, "
                    f"ratio {statistics.median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f})",
                    flush=True,
                )
    finally:
        ray.shutdown()


if __name__ == "__main__":
    main()
