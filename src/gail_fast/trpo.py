"""Trust Region Policy Optimization (Schulman et al. 2015), read top to bottom.

One `trpo_update` does, in the order of the algorithm:
  1. advantages by GAE (Schulman et al. 2016), standardised;
  2. the surrogate gradient g of E[pi/pi_old * A];
  3. the natural direction s = F^-1 g by conjugate gradient on Fisher-vector products
     (in closed form for the Gaussian policy: `GaussianFisher`);
  4. the largest step along s allowed by the KL bound, shrunk by a backtracking line
     search until the surrogate improves and the KL stays within the bound (else the
     old parameters are kept);
  5. the value function fitted to its GAE targets.

`policy_step` (1-4) and `fit_value` (5) are also apart: the next rollout needs only the
policy, so a trainer can fit the value function while it runs.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch
from torch import nn
from torch.distributions import kl_divergence

from gail_fast.config import check_range, param
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
    mirror: bool = param(
        False,
        "Also step the policy on the batch's left-right mirror images, with the same advantages "
        "(symmetric data augmentation; the 21-joint humanoid only).",
    )
    mirror_loss: float = param(
        0.0,
        "Weight of a symmetry loss in the policy's objective: the squared difference between the mean action "
        "at each state's mirror image and the mirror image of the mean action (the 21-joint humanoid only; 0: off).",
    )

    def __post_init__(self) -> None:
        check_range(self, "gamma", 0.0, 1.0, above=True)
        check_range(self, "gae_lambda", 0.0, 1.0)
        check_range(self, "max_kl", 0.0, above=True)
        check_range(self, "cg_damping", 0.0)
        check_range(self, "fvp_subsample", 0.0, 1.0, above=True)
        check_range(self, "vf_lr", 0.0, above=True)
        check_range(self, "mirror_loss", 0.0)
        if self.mirror and self.mirror_loss > 0:
            raise ValueError(
                "mirror and mirror_loss are two ways to a symmetric policy; choose one "
                "(--mirror with --mirror-loss 0: train mocap's recipe has the loss)"
            )
        for name in ("cg_iters", "backtrack_steps", "vf_epochs", "vf_minibatches"):
            check_range(self, name, 1)

    @property
    def mirrored(self) -> bool:
        """Whether the step needs the environment's mirror (`policy_step`'s `mirror`)."""
        return self.mirror or self.mirror_loss > 0


class MirrorMap(Protocol):
    """An environment's left-right mirror, on observations and actions `(..., n)`."""

    def mirror_obs(self, obs: torch.Tensor) -> torch.Tensor: ...

    def mirror_action(self, actions: torch.Tensor) -> torch.Tensor: ...


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


class GaussianFisher:
    """(F + damping I) v in closed form, for many v at the same policy and observations.

    With a state-independent log std, the Hessian of KL(pi_fixed || pi) at pi = pi_fixed
    is block-diagonal: J^T diag(1 / sigma^2) J / n for the mean network's parameters, J
    the Jacobian of the `(n, nact)` mean actions, and 2 I for the log std. So F v is one
    forward-mode pass (J v) and one reverse-mode pass (J^T u) through the tanh MLP, on
    the activations of a single forward pass kept for every product: about a third of
    the work of differentiating the KL twice (`fisher_vector_product`, its reference).
    """

    def __init__(self, policy: GaussianPolicy, obs: torch.Tensor) -> None:
        layers = list(policy.mean)
        self.linears: list[nn.Linear] = layers[0::2]
        if not all(isinstance(m, nn.Linear) for m in self.linears) or not all(
            isinstance(m, nn.Tanh) for m in layers[1::2]
        ):
            raise TypeError("GaussianFisher needs the policy mean to be Linear layers with Tanh between them")
        with torch.no_grad():
            # inputs[l]: what linear l sees; slopes[l]: tanh' after hidden layer l
            self.inputs, self.slopes = [policy.obs_norm(obs)], []
            for linear in self.linears[:-1]:
                h = torch.tanh(linear(self.inputs[-1]))
                self.inputs.append(h)
                self.slopes.append(1.0 - h * h)
            self.inv_var_n = torch.exp(-2.0 * policy.log_std.detach()) / len(obs)
        self.nact = policy.nact

    @torch.no_grad()
    def __call__(self, v: torch.Tensor, damping: float) -> torch.Tensor:
        # Split v as `policy.parameters()` orders it: the log std, then each linear's weight and bias.
        chunks, i = [], self.nact
        for m in self.linears:
            dw = v[i : i + m.weight.numel()].view_as(m.weight)
            i += m.weight.numel()
            chunks.append((dw, v[i : i + m.bias.numel()]))
            i += m.bias.numel()
        # J v: tangents of the pre-activations, layer by layer
        da = None
        for layer, (m, (dw, db)) in enumerate(zip(self.linears, chunks)):
            if layer > 0:
                dh = da * self.slopes[layer - 1]
                da = torch.addmm(db, self.inputs[layer], dw.t()).addmm_(dh, m.weight.t())
            else:
                da = torch.addmm(db, self.inputs[0], dw.t())
        # J^T (J v / sigma^2 / n), back through the same activations
        g = da * self.inv_var_n
        out = []
        for layer in range(len(self.linears) - 1, -1, -1):
            out.append(g.sum(0))
            out.append((g.t() @ self.inputs[layer]).reshape(-1))
            if layer > 0:
                g = (g @ self.linears[layer].weight) * self.slopes[layer - 1]
        fv = torch.cat([2.0 * v[: self.nact], *reversed(out)])
        return fv + damping * v


# ---- 4. the step -----------------------------------------------------------------------


def line_search(
    params: list[nn.Parameter],
    old_flat: torch.Tensor,
    full_step: torch.Tensor,
    surrogate: Callable[[], float],
    kl: Callable[[], float],
    max_kl: float,
    steps: int,
    old_value: float | None = None,
) -> tuple[bool, float, int]:
    """Tries old + 0.5^k full_step for k = 0, 1, ...; keeps the first that improves the
    surrogate with KL <= max_kl. Restores the old parameters if none does.

    `kl` is asked first at every try, `surrogate` only where the KL is within the bound;
    `old_value` is the surrogate at the old parameters, if already known.

    Returns:
        (accepted, fraction of the full step taken, tries).
    """
    if old_value is None:
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
    stats, targets = policy_step(policy, value_fn, batch, rewards, cfg, generator)
    return {**stats, **fit_value(value_fn, vf_optimizer, targets, cfg, generator)}


@dataclass(frozen=True)
class ValueTargets:
    """What step 5 fits the value function to."""

    norm_obs: torch.Tensor  # (nstep * nenv, nobs), under the normaliser of the policy step
    returns: np.ndarray  # (nstep, nenv), the GAE targets


def policy_step(
    policy: GaussianPolicy,
    value_fn: ValueFunction,
    batch: Batch,
    rewards: np.ndarray,
    cfg: TRPOConfig,
    generator: torch.Generator | None = None,
    mirror: MirrorMap | None = None,
) -> tuple[dict[str, float], ValueTargets]:
    """Steps 1-4 of `trpo_update`: the policy's step. Returns statistics and the value
    function's targets for step 5 (which the next rollout does not need: a trainer may
    fit them while it runs).

    `mirror` (`cfg.mirror` or `cfg.mirror_loss`: the environment's, such as
    `gail_fast.humanoid.Mirror`) gives the mirror images of observations and actions;
    the normaliser then sees the batch's observations and their mirror images. With
    `cfg.mirror` the policy steps on both, each mirror image with its original's
    advantage; with `cfg.mirror_loss` w, the step's objective is the surrogate minus w
    times `symmetry_loss`."""
    if cfg.mirrored and mirror is None:
        raise ValueError("cfg.mirror and cfg.mirror_loss need the environment's mirror map (policy_step's `mirror`)")
    nstep, nenv = rewards.shape
    obs = to_tensor(batch.obs).reshape(nstep * nenv, -1)
    actions = to_tensor(batch.actions).reshape(nstep * nenv, -1)
    if cfg.mirrored:
        mirrored_obs = mirror.mirror_obs(obs)
        policy.obs_norm.update(torch.cat([obs, mirrored_obs]))
    else:
        policy.obs_norm.update(to_tensor(batch.obs))
    with torch.no_grad():
        norm_obs = policy.obs_norm(obs)
        values = value_fn(norm_obs).numpy().reshape(nstep, nenv)
        next_values = next_state_values(policy, value_fn, batch, values)

    # 1. advantages
    advantages, returns = gae(rewards, values, next_values, batch.terminated, batch.ended, cfg.gamma, cfg.gae_lambda)
    adv = torch.as_tensor(advantages.reshape(-1), dtype=torch.float32)
    adv = (adv - adv.mean()) / (adv.std() + 1e-8)
    if cfg.mirror:  # the value function's targets stay the batch's own (norm_obs, returns)
        obs, actions = torch.cat([obs, mirrored_obs]), torch.cat([actions, mirror.mirror_action(actions)])
        adv = adv.repeat(2)

    # 2. surrogate gradient. The old policy is the current one under the updated
    # normaliser, so that the probability ratio starts at 1 and the KL is measured from
    # where the step starts.
    params = [p for p in policy.parameters() if p.requires_grad]
    dist = policy(obs)
    log_probs = dist.log_prob(actions).sum(-1)
    old_dist = torch.distributions.Normal(dist.mean.detach(), dist.stddev.detach())
    old_log_probs = log_probs.detach()
    surrogate = (torch.exp(log_probs - old_log_probs) * adv).mean()
    symmetry = torch.zeros(())
    if cfg.mirror_loss > 0:
        symmetry = symmetry_loss(policy, dist.mean, mirrored_obs, mirror)
    g = flat_grad(surrogate - cfg.mirror_loss * symmetry, params)

    # 3. natural direction by conjugate gradient
    fvp_obs = obs
    if cfg.fvp_subsample < 1.0:
        n = max(1, int(len(obs) * cfg.fvp_subsample))
        fvp_obs = obs[torch.randperm(len(obs), generator=generator)[:n]]
    fisher = GaussianFisher(policy, fvp_obs)
    step_dir = conjugate_gradient(lambda v: fisher(v, cfg.cg_damping), g, cfg.cg_iters)

    # 4. largest step within the trust region, then backtracking
    shs = 0.5 * step_dir @ fisher(step_dir, cfg.cg_damping)
    full_step = step_dir * torch.sqrt(cfg.max_kl / shs.clamp_min(1e-12))
    tried: dict[str, float] = {"kl": 0.0}  # a rejected step restores the old policy: KL 0

    def kl_of_step() -> float:
        # One forward pass gives both: the line search asks for the KL, then the objective.
        dist = policy(obs)
        ratio = torch.exp(dist.log_prob(actions).sum(-1) - old_log_probs)
        objective = (ratio * adv).mean()
        if cfg.mirror_loss > 0:
            objective -= cfg.mirror_loss * symmetry_loss(policy, dist.mean, mirrored_obs, mirror)
        tried["objective"] = objective.item()
        tried["kl"] = kl_divergence(old_dist, dist).sum(-1).mean().item()
        return tried["kl"]

    with torch.no_grad():
        accepted, fraction, tries = line_search(
            params,
            get_flat(params),
            full_step,
            lambda: tried["objective"],
            kl_of_step,
            cfg.max_kl,
            cfg.backtrack_steps,
            old_value=(surrogate - cfg.mirror_loss * symmetry).item(),
        )
    kl = tried["kl"] if accepted else 0.0
    # A Gaussian's entropy: its state-independent log std alone.
    entropy = (policy.log_std.detach() + 0.5 * (1.0 + math.log(2 * math.pi))).sum().item()
    symmetric = {"symmetry_loss": symmetry.item()} if cfg.mirror_loss > 0 else {}
    return {
        **symmetric,
        "kl": kl,
        "entropy": entropy,
        "surrogate_before": surrogate.item(),
        "step_accepted": float(accepted),
        "step_fraction": fraction,
        "line_search_tries": float(tries),
        "policy_std": policy.log_std.exp().mean().item(),
    }, ValueTargets(norm_obs, returns)


def symmetry_loss(
    policy: GaussianPolicy, mean: torch.Tensor, mirrored_obs: torch.Tensor, mirror: MirrorMap
) -> torch.Tensor:
    """How far the policy is from left-right symmetric on a batch (Yu et al. 2018,
    "Learning Symmetric and Low-Energy Locomotion"): the mean over states of the squared
    distance between the mean action at a state's mirror image and the mirror image of
    the mean action `mean` `(n, nact)` at the state."""
    mirrored_mean = policy.mean(policy.obs_norm(mirrored_obs))
    return (mirrored_mean - mirror.mirror_action(mean)).pow(2).sum(-1).mean()


def next_state_values(policy: GaussianPolicy, value_fn: ValueFunction, batch: Batch, values: np.ndarray) -> np.ndarray:
    """`(nstep, nenv)` V of the observation each transition led to (`Batch.next_obs`):
    the next row of `values`, V of `last_obs` after the last step, V of the final
    observation where an episode ended. Only the latter two are new forward passes."""
    next_values = np.empty_like(values)
    next_values[:-1] = values[1:]
    next_values[-1] = value_fn(policy.obs_norm(to_tensor(batch.last_obs))).numpy()
    ended = batch.ended
    if ended.any():
        next_values[ended] = value_fn(policy.obs_norm(to_tensor(batch.final_obs[ended]))).numpy()
    return next_values


# ---- 5. the value function ---------------------------------------------------------------


def fit_value(
    value_fn: ValueFunction,
    vf_optimizer: torch.optim.Optimizer,
    value_targets: ValueTargets,
    cfg: TRPOConfig,
    generator: torch.Generator | None = None,
) -> dict[str, float]:
    """Step 5: `cfg.vf_epochs` passes of minibatch regression of V on the GAE targets."""
    norm_obs, returns = value_targets.norm_obs, value_targets.returns
    targets = torch.as_tensor(returns.reshape(-1), dtype=torch.float32)
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
        residual = value_fn(norm_obs) - targets
        value_loss = residual.pow(2).mean().item()
    explained = 1.0 - np.var(residual.numpy().astype(np.float64)) / (np.var(returns) + 1e-8)
    return {"value_loss": value_loss, "explained_variance": float(explained)}
