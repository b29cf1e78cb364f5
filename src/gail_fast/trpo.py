"""Trust Region Policy Optimization (Schulman et al. 2015), read top to bottom.

One `trpo_update` does, in the order of the algorithm:
  1. advantages by GAE (Schulman et al. 2016), standardised;
  2. the surrogate gradient g of E[pi/pi_old * A];
  3. the natural direction s = F^-1 g by conjugate gradient on Fisher-vector products;
  4. the largest step along s allowed by the KL bound, shrunk by a backtracking line
     search until the surrogate improves and the KL stays within the bound (else the
     old parameters are kept);
  5. the value function fitted to its GAE targets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.distributions import kl_divergence

from gail_fast.config import param
from gail_fast.nets import GaussianPolicy, ValueFunction
from gail_fast.rollout import Batch, to_tensor


@dataclass
class TRPOConfig:
    """TRPO hyperparameters."""

    gamma: float = param(0.995, "Discount factor.")
    gae_lambda: float = param(0.97, "GAE lambda: bias-variance trade-off of the advantages.")
    max_kl: float = param(0.01, "Trust region: bound on the mean KL(old || new) of a policy step.")
    cg_iters: int = param(10, "Conjugate-gradient iterations.")
    cg_damping: float = param(0.1, "Damping added to the Fisher matrix: F + damping * I.")
    fvp_subsample: float = param(1.0, "Fraction of the batch used for Fisher-vector products.")
    backtrack_steps: int = param(10, "Line-search halvings before the step is given up.")
    vf_lr: float = param(1e-3, "Adam learning rate of the value function.")
    vf_epochs: int = param(5, "Passes over the batch when fitting the value function.")
    vf_minibatches: int = param(8, "Minibatches per value-function pass.")


# ---- 1. advantages -------------------------------------------------------------------


def gae(
    rewards: np.ndarray,
    values: np.ndarray,
    next_values: np.ndarray,
    terminated: np.ndarray,
    ended: np.ndarray,
    gamma: float,
    lam: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Generalised advantage estimation over `(nstep, nenv)` arrays.

    `next_values[t]` is V of the observation step t led to: the final observation of an
    episode that was truncated, the next state otherwise. A terminated step bootstraps
    from nothing; any ended step stops the recursion from the next episode.

    Returns:
        (advantages, returns), `returns = advantages + values`, the value targets.
    """
    nstep = rewards.shape[0]
    advantages = np.zeros_like(rewards)
    next_advantage = np.zeros_like(rewards[0])
    for t in reversed(range(nstep)):
        delta = rewards[t] + gamma * next_values[t] * (1.0 - terminated[t]) - values[t]
        next_advantage = delta + gamma * lam * (1.0 - ended[t]) * next_advantage
        advantages[t] = next_advantage
    return advantages, advantages + values


# ---- 2.-3. natural gradient ------------------------------------------------------------


def flat_grad(y: torch.Tensor, params: list[nn.Parameter], **kwargs) -> torch.Tensor:
    return torch.cat([g.reshape(-1) for g in torch.autograd.grad(y, params, **kwargs)])


def get_flat(params: list[nn.Parameter]) -> torch.Tensor:
    return torch.cat([p.data.reshape(-1) for p in params])


def set_flat(params: list[nn.Parameter], flat: torch.Tensor) -> None:
    i = 0
    for p in params:
        p.data.copy_(flat[i : i + p.numel()].view_as(p))
        i += p.numel()


def conjugate_gradient(
    matvec: Callable[[torch.Tensor], torch.Tensor], b: torch.Tensor, iters: int, tol: float = 1e-10
) -> torch.Tensor:
    """Solves A x = b for symmetric positive definite A given only x -> A x."""
    x = torch.zeros_like(b)
    r, p = b.clone(), b.clone()
    rr = r @ r
    for _ in range(iters):
        if rr < tol:
            break
        Ap = matvec(p)
        alpha = rr / (p @ Ap)
        x += alpha * p
        r -= alpha * Ap
        rr_new = r @ r
        p = r + (rr_new / rr) * p
        rr = rr_new
    return x


def fisher_vector_product(policy: GaussianPolicy, obs: torch.Tensor, v: torch.Tensor, damping: float) -> torch.Tensor:
    """(F + damping I) v, F the Fisher matrix of the policy averaged over `obs`.

    F is the Hessian of KL(pi_fixed || pi) at pi = pi_fixed, so F v is the gradient of
    (grad KL . v): two backward passes, never the matrix itself.
    """
    params = [p for p in policy.parameters() if p.requires_grad]
    dist = policy(obs)
    fixed = torch.distributions.Normal(dist.mean.detach(), dist.stddev.detach())
    kl = kl_divergence(fixed, dist).sum(-1).mean()
    grad = flat_grad(kl, params, create_graph=True)
    return flat_grad(grad @ v, params) + damping * v


# ---- 4. the step -----------------------------------------------------------------------


def line_search(
    params: list[nn.Parameter],
    old_flat: torch.Tensor,
    full_step: torch.Tensor,
    surrogate: Callable[[], float],
    kl: Callable[[], float],
    max_kl: float,
    steps: int,
) -> tuple[bool, float, int]:
    """Tries old + 0.5^k full_step for k = 0, 1, ...; keeps the first that improves the
    surrogate with KL <= max_kl. Restores the old parameters if none does.

    Returns:
        (accepted, fraction of the full step taken, tries).
    """
    old_value = surrogate()
    for k in range(steps):
        fraction = 0.5**k
        set_flat(params, old_flat + fraction * full_step)
        if kl() <= max_kl and surrogate() > old_value:
            return True, fraction, k + 1
    set_flat(params, old_flat)
    return False, 0.0, steps


def trpo_update(
    policy: GaussianPolicy,
    value_fn: ValueFunction,
    vf_optimizer: torch.optim.Optimizer,
    batch: Batch,
    rewards: np.ndarray,
    cfg: TRPOConfig,
    generator: torch.Generator | None = None,
) -> dict[str, float]:
    """One TRPO iteration on `batch`, with `rewards` `(nstep, nenv)` (the environment's,
    or the discriminator's in GAIL). Updates the observation normaliser first.

    Returns:
        Statistics for the logs.
    """
    policy.obs_norm.update(to_tensor(batch.obs))
    nstep, nenv = rewards.shape
    obs = to_tensor(batch.obs).reshape(nstep * nenv, -1)
    with torch.no_grad():
        norm_obs = policy.obs_norm(obs)
        values = value_fn(norm_obs).numpy().reshape(nstep, nenv)
        next_obs = policy.obs_norm(to_tensor(batch.next_obs()).reshape(nstep * nenv, -1))
        next_values = value_fn(next_obs).numpy().reshape(nstep, nenv)

    # 1. advantages
    advantages, returns = gae(rewards, values, next_values, batch.terminated, batch.ended, cfg.gamma, cfg.gae_lambda)
    adv = torch.as_tensor(advantages.reshape(-1), dtype=torch.float32)
    adv = (adv - adv.mean()) / (adv.std() + 1e-8)
    actions = to_tensor(batch.actions).reshape(nstep * nenv, -1)
    # The old policy is the current one under the updated normaliser, so that the
    # probability ratio starts at 1 and the KL is measured from where the step starts.
    with torch.no_grad():
        old_dist = policy(obs)
        old_dist = torch.distributions.Normal(old_dist.mean.clone(), old_dist.stddev.clone())
        old_log_probs = old_dist.log_prob(actions).sum(-1)

    def surrogate_loss() -> torch.Tensor:
        ratio = torch.exp(policy(obs).log_prob(actions).sum(-1) - old_log_probs)
        return (ratio * adv).mean()

    def mean_kl() -> torch.Tensor:
        return kl_divergence(old_dist, policy(obs)).sum(-1).mean()

    # 2. surrogate gradient
    params = [p for p in policy.parameters() if p.requires_grad]
    surrogate = surrogate_loss()
    g = flat_grad(surrogate, params)

    # 3. natural direction by conjugate gradient
    fvp_obs = obs
    if cfg.fvp_subsample < 1.0:
        n = max(1, int(len(obs) * cfg.fvp_subsample))
        fvp_obs = obs[torch.randperm(len(obs), generator=generator)[:n]]
    step_dir = conjugate_gradient(lambda v: fisher_vector_product(policy, fvp_obs, v, cfg.cg_damping), g, cfg.cg_iters)

    # 4. largest step within the trust region, then backtracking
    shs = 0.5 * step_dir @ fisher_vector_product(policy, fvp_obs, step_dir, cfg.cg_damping)
    full_step = step_dir * torch.sqrt(cfg.max_kl / shs.clamp_min(1e-12))
    with torch.no_grad():
        accepted, fraction, tries = line_search(
            params,
            get_flat(params),
            full_step,
            lambda: surrogate_loss().item(),
            lambda: mean_kl().item(),
            cfg.max_kl,
            cfg.backtrack_steps,
        )
        kl = mean_kl().item()
        entropy = policy(obs).entropy().sum(-1).mean().item()

    # 5. value function
    targets = torch.as_tensor(returns.reshape(-1), dtype=torch.float32)
    norm_obs = policy.obs_norm(obs)  # the normaliser was updated above
    nsample = len(targets)
    size = max(1, nsample // cfg.vf_minibatches)
    for _ in range(cfg.vf_epochs):
        order = torch.randperm(nsample, generator=generator)
        for start in range(0, nsample, size):
            idx = order[start : start + size]
            loss = (value_fn(norm_obs[idx]) - targets[idx]).pow(2).mean()
            vf_optimizer.zero_grad()
            loss.backward()
            vf_optimizer.step()
    with torch.no_grad():
        value_loss = (value_fn(norm_obs) - targets).pow(2).mean().item()
        explained = 1.0 - np.var(returns - value_fn(norm_obs).numpy().reshape(nstep, nenv)) / (np.var(returns) + 1e-8)

    return {
        "kl": kl,
        "entropy": entropy,
        "surrogate_before": surrogate.item(),
        "step_accepted": float(accepted),
        "step_fraction": fraction,
        "line_search_tries": float(tries),
        "value_loss": value_loss,
        "explained_variance": float(explained),
        "policy_std": policy.log_std.exp().mean().item(),
    }
