"""Networks: Gaussian MLP policy, value function, running observation normaliser."""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.distributions import Normal


class RunningNorm(nn.Module):
    """Standardises inputs with a running mean and variance (parallel Welford updates).

    The statistics are buffers, so they are saved and loaded with the module. Outputs
    are clipped to +-`clip` so that a rare state cannot saturate the network.
    """

    def __init__(self, size: int, clip: float = 10.0, eps: float = 1e-8) -> None:
        super().__init__()
        self.clip, self.eps = clip, eps
        self.register_buffer("mean", torch.zeros(size, dtype=torch.float64))
        self.register_buffer("var", torch.ones(size, dtype=torch.float64))
        self.register_buffer("count", torch.zeros((), dtype=torch.float64))

    @torch.no_grad()
    def update(self, x: torch.Tensor) -> None:
        """Folds a batch `(n, size)` into the statistics."""
        x = x.reshape(-1, self.mean.shape[0]).to(torch.float64)
        n = x.shape[0]
        if n == 0:
            return
        batch_mean, batch_var = x.mean(0), x.var(0, unbiased=False)
        total = self.count + n
        delta = batch_mean - self.mean
        self.mean += delta * n / total
        self.var.copy_((self.var * self.count + batch_var * n + delta**2 * self.count * n / total) / total)
        self.count.copy_(total)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # Before the first update mean=0, var=1: the identity, up to eps.
        z = (x - self.mean.to(x.dtype)) / torch.sqrt(self.var.to(x.dtype) + self.eps)
        return z.clamp(-self.clip, self.clip)


def mlp(nin: int, hidden: tuple[int, ...], nout: int) -> nn.Sequential:
    """Tanh MLP; the output layer starts small so that initial outputs are near zero."""
    layers: list[nn.Module] = []
    for h in hidden:
        layers += [nn.Linear(nin, h), nn.Tanh()]
        nin = h
    out = nn.Linear(nin, nout)
    with torch.no_grad():
        out.weight.mul_(0.1)
        out.bias.zero_()
    return nn.Sequential(*layers, out)


class GaussianPolicy(nn.Module):
    """a ~ N(mu(s), diag(exp(log_std))^2), with a state-independent log standard deviation.

    The observation normaliser belongs to the policy: it is saved with it and applied
    to raw observations in `forward`.
    """

    def __init__(self, nobs: int, nact: int, hidden: tuple[int, ...] = (64, 64), log_std: float = 0.0) -> None:
        super().__init__()
        self.nobs, self.nact, self.hidden = nobs, nact, tuple(hidden)
        self.obs_norm = RunningNorm(nobs)
        self.mean = mlp(nobs, self.hidden, nact)
        self.log_std = nn.Parameter(torch.full((nact,), float(log_std)))

    def forward(self, obs: torch.Tensor) -> Normal:
        """The action distribution for raw observations `(n, nobs)`."""
        mu = self.mean(self.obs_norm(obs))
        return Normal(mu, self.log_std.exp().expand_as(mu))

    @torch.inference_mode()
    def act(self, obs: torch.Tensor, deterministic: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """Samples actions (or takes the mean) and their log-probabilities, `(n, nact)`, `(n,)`.

        Written out rather than through `Normal`, whose argument checks cost more than
        the network itself at rollout batch sizes.
        """
        mu = self.mean(self.obs_norm(obs))
        if deterministic:
            action = mu
        else:
            action = mu + self.log_std.exp() * torch.randn_like(mu)
        z = (action - mu) / self.log_std.exp()
        log_prob = (-0.5 * z * z - self.log_std - 0.5 * math.log(2 * math.pi)).sum(-1)
        return action, log_prob


class ValueFunction(nn.Module):
    """V(s) on observations standardised by the policy's normaliser."""

    def __init__(self, nobs: int, hidden: tuple[int, ...] = (64, 64)) -> None:
        super().__init__()
        self.hidden = tuple(hidden)
        self.net = mlp(nobs, self.hidden, 1)

    def forward(self, norm_obs: torch.Tensor) -> torch.Tensor:
        return self.net(norm_obs).squeeze(-1)
