"""Behaviour cloning: the policy's mean regressed on expert actions.

A baseline of its own (`train_bc`, `python -m gail_fast.train bc`) and GAIL's optional
warm start (`behaviour_cloning`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from gail_fast import envs
from gail_fast.agent import Agent
from gail_fast.config import param, to_dict
from gail_fast.demos import Demonstrations
from gail_fast.nets import GaussianPolicy
from gail_fast.runs import Run, checkpoint

BC_STEPS = 5000  # gradient steps, of the baseline and of GAIL's warm start alike


@dataclass
class BCConfig:
    """Behaviour cloning on demonstrated (state, action) pairs."""

    env: str = param("Hopper-v5", "Environment id.")
    demos: str = param("", "Demonstrations file (see gail_fast.demos).")
    num_trajectories: int = param(10, "Expert trajectories used from the file.")
    bc_steps: int = param(BC_STEPS, "Gradient steps.")
    seed: int = param(0, "Seed.")
    hidden: tuple[int, ...] = param((64, 64), "Hidden layer sizes of the policy.")

    def __post_init__(self) -> None:
        for name in ("num_trajectories", "bc_steps"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.seed < 0:
            raise ValueError(f"seed must be >= 0, got {self.seed}")
        if not self.hidden or min(self.hidden) < 1:
            raise ValueError(f"hidden must be one or more positive layer sizes, got {self.hidden}")


def behaviour_cloning(
    policy: GaussianPolicy,
    demos: Demonstrations,
    steps: int = 2000,
    batch_size: int = 256,
    lr: float = 1e-3,
    generator: torch.Generator | None = None,
) -> list[float]:
    """Fits the policy mean to the demonstrated actions by mean squared error.

    The policy's observation normaliser is set from the demonstrations first. Returns
    the loss every 100 steps.
    """
    if demos.actions is None:
        raise ValueError(f"behaviour cloning needs actions; the demonstrations from {demos.source} are state-only")
    s, _, a = demos.transitions()
    if s.shape[1] != policy.nobs or a.shape[1] != policy.nact:
        raise ValueError(
            f"demonstrations have {s.shape[1]} observation and {a.shape[1]} action dims; "
            f"the policy takes {policy.nobs} and {policy.nact}"
        )
    obs = torch.as_tensor(s, dtype=torch.float32)
    actions = torch.as_tensor(a, dtype=torch.float32)
    policy.obs_norm.update(torch.as_tensor(demos.obs))
    optimizer = torch.optim.Adam(policy.mean.parameters(), lr=lr, foreach=True)
    losses = []
    for step in range(steps):
        idx = torch.randint(len(obs), (min(batch_size, len(obs)),), generator=generator)
        loss = (policy.mean(policy.obs_norm(obs[idx])) - actions[idx]).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 100 == 0 or step == steps - 1:
            losses.append(loss.item())
    return losses


def residual_log_std(policy: GaussianPolicy, demos: Demonstrations) -> np.ndarray:
    """log of the per-dimension standard deviation of the expert actions around the fit."""
    s, _, a = demos.transitions()
    with torch.no_grad():
        mu = policy.mean(policy.obs_norm(torch.as_tensor(s, dtype=torch.float32))).numpy()
    return np.log(np.maximum((a - mu).std(0), 1e-3))


def train_bc(cfg: BCConfig, out: Path) -> Path:
    """Behaviour cloning; writes the run folder `out`, whose checkpoint `evaluate` reads.

    The policy's log standard deviation is set to that of the expert's actions around
    the fit, so that its samples spread as the expert's do.
    """
    if not cfg.demos:
        raise ValueError("bc needs --demos FILE")
    demos = Demonstrations.load(cfg.demos, env_id=cfg.env).take(cfg.num_trajectories)
    env = envs.make(cfg.env)
    nobs, nact = env.single_observation_space.shape[0], env.single_action_space.shape[0]
    env.close()
    if demos.obs is not None and demos.obs.shape[1] != nobs:
        raise ValueError(f"{cfg.demos} has {demos.obs.shape[1]}-dim observations; {cfg.env} has {nobs}")
    agent = Agent.create(nobs, nact, cfg.hidden, 0.0, 1e-3, cfg.seed)
    losses = behaviour_cloning(agent.policy, demos, cfg.bc_steps, generator=agent.generator)
    with torch.no_grad():
        agent.policy.log_std.copy_(torch.as_tensor(residual_log_std(agent.policy, demos)))
    run = Run(out, {"algo": "bc", **to_dict(cfg)})
    for k, loss in enumerate(losses):
        run.log(k + 1, 0, {"losses/bc_mse": loss})
    run.save(checkpoint("bc", cfg, len(losses), 0, agent.policy))
    run.close()
    return out
