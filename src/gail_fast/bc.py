"""Behaviour cloning: the policy's mean regressed on expert actions.

A baseline of its own (`python -m gail_fast.train bc`) and GAIL's optional warm start.
"""

from __future__ import annotations

import numpy as np
import torch

from gail_fast.demos import Demonstrations
from gail_fast.nets import GaussianPolicy


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
    optimizer = torch.optim.Adam(policy.mean.parameters(), lr=lr)
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
