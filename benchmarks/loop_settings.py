"""The GAIL settings whose training loop the loop benchmarks measure, and their data.

- humanoid: the walking recipe of `python -m gail_fast.train mocap`
  (`mocap_pipeline.gail_config`): two CMU walks and their mirror images, `--mode zv`,
  least-squares discriminator, replay, starts from recorded states, 64 envs x 256 steps,
  Fisher products on a fifth of the batch, the symmetry loss, 3 x 150 networks;
- hopper: the Hopper experiment (`experiments/gail_hopper.sh`): `--mode sa`, 16 envs x
  256 steps, gradient penalty 1, 2 x 64 networks, on 10 synthetic demonstrations of
  1000 steps (what is in them does not change what the loop costs).

Simulator threads default to the loop's own default (one per CPU, at most one per
environment); the experiments' scripts pass 1.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gail_fast.demos import Demonstrations
from gail_fast.gail import GAILConfig
from gail_fast.mocap_pipeline import MocapConfig, gail_config

SETTINGS = ("humanoid", "hopper")


def make_demos(setting: str, folder: Path) -> Path:
    """Writes the setting's demonstrations into `folder`; returns the file."""
    path = folder / f"{setting}.npz"
    if setting == "humanoid":
        from gail_fast.mocap_pipeline import retarget

        retarget(list(MocapConfig().clips), path, mirror=True)
    else:
        rng = np.random.default_rng(0)
        lengths = np.full(10, 1000)
        Demonstrations(
            "Hopper-v5",
            "synthetic",
            lengths,
            rng.normal(size=(lengths.sum() + len(lengths), 11)),
            np.zeros(len(lengths), bool),
            np.ones(len(lengths), bool),
            rng.uniform(-1, 1, size=(lengths.sum(), 3)),
        ).save(path)
    return path


def config(
    setting: str, demos: Path, iterations: int, num_threads: int | None = None, hidden: tuple[int, ...] = ()
) -> GAILConfig:
    """The setting's GAIL configuration, for `iterations` iterations (`hidden`: the
    networks' sizes, by default the environment's)."""
    if setting == "humanoid":
        cfg = gail_config(MocapConfig(), demos)
        cfg.num_threads = num_threads
        cfg.hidden = hidden or cfg.hidden
    else:
        common = dict(env="Hopper-v5", mode="sa", num_trajectories=10, num_envs=16, nstep=256)
        cfg = GAILConfig(**common, grad_penalty=1.0, demos=str(demos), num_threads=num_threads, hidden=hidden)
    cfg.total_steps = iterations * cfg.num_envs * cfg.nstep
    return cfg
