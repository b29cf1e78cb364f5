"""An expert by reinforcement learning: TRPO on the environment's reward.

Per iteration: rollouts of the current policy, then one TRPO step on the environment's
rewards (`gail_fast.trpo`). The expert's demonstrations are what GAIL and BC imitate.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from tqdm import tqdm

from gail_fast.agent import Agent, TrainingConfig, sample_mirror
from gail_fast.loop import TrainingLoop, make_collector
from gail_fast.rollout import Collector
from gail_fast.trpo import fit_value, policy_step

CURVES = ["charts/episodic_return", "losses/kl", "losses/entropy", "losses/value_loss"]


@dataclass
class ExpertConfig(TrainingConfig):
    """Reinforcement learning of an expert with TRPO on the environment's reward."""


def train_expert(
    cfg: ExpertConfig,
    out: Path,
    resume: bool = False,
    progress: tqdm | None = None,
    collector: Collector | None = None,
) -> Path:
    """Trains (or resumes) an expert in the run folder `out`; returns `out`.

    `collector` defaults to `cfg.num_envs` environments of `cfg.env` in this process.
    """
    torch.set_num_threads(cfg.torch_threads)
    collector = collector or make_collector(cfg)
    agent = Agent.create(
        collector.observation_space.shape[0],
        collector.action_space.shape[0],
        cfg.hidden,
        cfg.init_log_std,
        cfg.trpo.vf_lr,
        cfg.seed,
    )
    mirror = sample_mirror(cfg)
    with TrainingLoop("expert", cfg, out, agent, collector, CURVES, progress=progress) as loop:
        if resume:
            loop.resume()
        for batch in loop.batches():
            # TRPO on the environment's rewards: the policy's step, then the value
            # function's fit while the next rollout, which needs only the policy, runs
            with loop.alone():
                stats, value_targets = policy_step(
                    agent.policy, agent.value_fn, batch, batch.rewards, cfg.trpo, agent.generator, mirror
                )
            loop.collect_next()
            stats |= fit_value(agent.value_fn, agent.vf_optimizer, value_targets, cfg.trpo, agent.generator)
            loop.log(batch, {f"losses/{k}": v for k, v in stats.items()}, kl=f"{stats['kl']:.4f}")
    return out
