"""Rollouts: the policy drives a vector environment for `nstep` steps of every env.

The trainers see environments only through a `Collector`: something that collects a
`Batch` from a policy. `RolloutCollector` steps one vector environment in this process;
another collector (`gail_fast.workers`: Ray actors on other machines) can stand in for it.
A collector that can save its state (`state_dict`) makes a resumed run bit-identical to
an uninterrupted one.

A rollout is the same wherever its environments run: a collector can hold a share of a
run's environments (`first_env`, `total_envs`) and then seeds them, draws their noise and
computes their actions exactly as the collector of the whole run does for those rows.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import torch
import torch.nn.functional as F
from gymnasium import spaces
from gymnasium.vector import VectorEnv
from torch import nn

from gail_fast import envs
from gail_fast.nets import GaussianPolicy


@dataclass(frozen=True)
class Batch:
    """`nstep x nenv` transitions, time-major.

    With SAME_STEP autoreset, `obs[t + 1]` starts a new episode where `ended[t]`; the
    true next observation of such a step is `final_obs[t]`. `last_obs` follows the last
    step, for bootstrapping.
    """

    obs: np.ndarray  # (nstep, nenv, nobs)
    actions: np.ndarray  # (nstep, nenv, nact)
    log_probs: np.ndarray  # (nstep, nenv)
    rewards: np.ndarray  # (nstep, nenv), the environment's reward
    terminated: np.ndarray  # (nstep, nenv) bool
    truncated: np.ndarray  # (nstep, nenv) bool
    final_obs: np.ndarray  # (nstep, nenv, nobs), rows valid where terminated | truncated
    last_obs: np.ndarray  # (nenv, nobs)
    episode_returns: np.ndarray = field(default_factory=lambda: np.zeros(0))  # finished episodes
    episode_lengths: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    metrics: dict[str, float] = field(default_factory=dict)  # scalars the collector measured, logged as they are

    def __post_init__(self) -> None:
        nstep, nenv, nobs = self.obs.shape
        expect = {
            "actions": (nstep, nenv),
            "log_probs": (nstep, nenv),
            "rewards": (nstep, nenv),
            "terminated": (nstep, nenv),
            "truncated": (nstep, nenv),
            "final_obs": (nstep, nenv, nobs),
            "last_obs": (nenv, nobs),
        }
        for name, shape in expect.items():
            got = getattr(self, name).shape
            if got[: len(shape)] != shape:
                raise ValueError(f"Batch.{name} has shape {got}, expected {shape}...")

    @property
    def ended(self) -> np.ndarray:
        return self.terminated | self.truncated

    @property
    def nstep(self) -> int:
        return self.obs.shape[0]

    @property
    def nenv(self) -> int:
        return self.obs.shape[1]

    def episode_scalars(self) -> dict[str, float]:
        """Mean return and length of the episodes that ended in this batch (NaN if none)."""
        if not len(self.episode_returns):
            return {"charts/episodic_return": float("nan"), "charts/episodic_length": float("nan")}
        return {
            "charts/episodic_return": float(self.episode_returns.mean()),
            "charts/episodic_length": float(self.episode_lengths.mean()),
        }

    def next_obs(self) -> np.ndarray:
        """`(nstep, nenv, nobs)` the observation each transition led to, before any reset."""
        nxt = np.concatenate([self.obs[1:], self.last_obs[None]], axis=0)
        return np.where(self.ended[..., None], self.final_obs, nxt)


def join_batches(parts: list[Batch]) -> Batch:
    """One batch of the environments of `parts`, side by side in their order (each part
    the batch of the environments that follow the previous part's), as one collector
    of them all would have collected it: the finished episodes in the order they ended,
    by step, then by environment. The parts' metrics are averaged, weighted by their
    environments."""
    if not parts:
        raise ValueError("join_batches needs at least one batch")
    if len({p.nstep for p in parts}) > 1:
        raise ValueError(f"the batches have different numbers of steps: {[p.nstep for p in parts]}")
    along_envs = {
        name: np.concatenate([getattr(p, name) for p in parts], axis=1)
        for name in ("obs", "actions", "log_probs", "rewards", "terminated", "truncated", "final_obs")
    }
    # A collector lists the episodes ending at a step in environment order, step by step:
    # the order of np.nonzero(ended).
    nenv = sum(p.nenv for p in parts)
    keys, first = [], 0
    for p in parts:
        steps, envs_ = np.nonzero(p.ended)
        if len(steps) != len(p.episode_returns):
            raise ValueError(f"a batch lists {len(p.episode_returns)} episodes but {len(steps)} ended in it")
        keys.append(steps * nenv + first + envs_)
        first += p.nenv
    order = np.argsort(np.concatenate(keys), kind="stable")
    metrics = {
        name: sum(p.metrics[name] * p.nenv for p in parts) / nenv
        for name in parts[0].metrics
        if all(name in p.metrics for p in parts)
    }
    return Batch(
        **along_envs,
        last_obs=np.concatenate([p.last_obs for p in parts]),
        episode_returns=np.concatenate([p.episode_returns for p in parts])[order],
        episode_lengths=np.concatenate([p.episode_lengths for p in parts])[order],
        metrics=metrics,
    )


def to_tensor(x: np.ndarray) -> torch.Tensor:
    return torch.as_tensor(x, dtype=torch.float32)


ROW_BLOCK = 32
"""Environments per policy evaluation in a rollout. A matrix product's row comes out
bitwise the same only from a product of the same shape (BLAS picks its kernels by shape,
and rows in a tail block take another kernel), so the policy sees fixed blocks of the
run's environments, zero rows padding the last: a share of the environments then gets
the actions the whole run would give it."""


def mean_action_fn(policy: GaussianPolicy) -> Callable[[torch.Tensor], torch.Tensor]:
    """`policy`'s mean action for raw observations, as `policy.mean(policy.obs_norm(obs))`
    computes it, the same kernels on the same numbers, without the module calls and the
    normaliser's per-call conversions: at a rollout's small batches those cost about as
    much as the arithmetic."""
    linears = list(policy.mean)[0::2]
    if not all(isinstance(m, nn.Linear) for m in linears) or not all(
        isinstance(m, nn.Tanh) for m in list(policy.mean)[1::2]
    ):
        return lambda obs: policy.mean(policy.obs_norm(obs))
    norm = policy.obs_norm
    shift = norm.mean.to(torch.float32)
    scale = torch.sqrt(norm.var.to(torch.float32) + norm.eps)
    layers = [(m.weight, m.bias) for m in linears]

    def mean_action(obs: torch.Tensor) -> torch.Tensor:
        h = ((obs - shift) / scale).clamp_(-norm.clip, norm.clip)
        for w, b in layers[:-1]:
            h = torch.tanh_(F.linear(h, w, b))
        return F.linear(h, *layers[-1])

    return mean_action


def block_span(first: int, nrow: int) -> tuple[int, int]:
    """`(start, stop)`: the `ROW_BLOCK`-aligned rows of a run that cover rows `first` to `first + nrow`."""
    return first // ROW_BLOCK * ROW_BLOCK, -(-(first + nrow) // ROW_BLOCK) * ROW_BLOCK


@torch.inference_mode()
def mean_actions(policy: GaussianPolicy, obs: torch.Tensor) -> torch.Tensor:
    """`(n, nact)` the policy's mean actions for raw observations `(n, nobs)`, computed as a
    rollout does (in `ROW_BLOCK`s of rows), so bit for bit the actions of `RolloutCollector`
    with `deterministic=True`."""
    mean_action = mean_action_fn(policy)
    start, stop = block_span(0, len(obs))
    padded = torch.zeros(stop - start, obs.shape[1])
    padded[: len(obs)] = obs
    return torch.cat([mean_action(padded[r : r + ROW_BLOCK]) for r in range(0, len(padded), ROW_BLOCK)])[: len(obs)]


class Collector(Protocol):
    """What a trainer needs of its environments."""

    nenv: int
    observation_space: spaces.Box  # of one environment
    action_space: spaces.Box  # of one environment
    dt: float  # seconds per step (NaN where the environment does not say)

    def reset(self, seed: int) -> None:
        """Starts new episodes everywhere; environment i is seeded with seed + i."""

    def collect(self, policy: GaussianPolicy, nstep: int) -> Batch:
        """`nstep` steps of every environment with `policy`, episodes continuing across calls."""

    def set_start_pool(self, qpos: np.ndarray, qvel: np.ndarray, task_state: np.ndarray, fraction: float) -> None:
        """Episodes start from recorded states with probability `fraction` (see
        `envs.BatchVectorEnv.set_start_pool`)."""

    def close(self) -> None:
        """Releases the environments."""

    # Optional: a collector without these resumes a run with fresh episodes.
    def state_dict(self) -> dict[str, Any] | None:
        """What the next `collect` depends on besides the policy, as tensors and plain
        types for a checkpoint; None where it cannot be saved."""

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continues from what `state_dict` returned, in place of `reset`."""


# ---- the simulator's state, for checkpoints ------------------------------------------------

SIM_STATE = {
    "integration": torch.float64,
    "progress": torch.float64,
    "task_state": torch.float64,
    "elapsed": torch.int32,
    "rng": torch.int64,  # the generators' uint64 words, bit for bit
    "start_rows": torch.int32,
}


def sim_state(core: Any) -> dict[str, torch.Tensor]:
    """Everything that decides a C++ `BatchEnv`'s future (`get_sim_state`), as tensors."""
    n = core.nenv
    arrays = {
        "integration": np.empty((n, core.state_size)),
        "progress": np.empty((n, 2)),
        "task_state": np.empty((n, core.task_nstate)),
        "elapsed": np.empty(n, dtype=np.int32),
        "rng": np.empty((n, 4), dtype=np.uint64),
        "start_rows": np.empty(n, dtype=np.int32),
    }
    core.get_sim_state(**arrays)
    arrays["rng"] = arrays["rng"].view(np.int64)
    return {k: torch.from_numpy(v) for k, v in arrays.items()}


def set_sim_state(core: Any, state: dict[str, Any]) -> None:
    """Sets what `sim_state` returned; a ValueError names what does not fit `core`."""
    if not isinstance(state, dict):
        raise ValueError(f"the simulator's state must be a dict, got {type(state).__name__}")
    arrays = {}
    for name, dtype in SIM_STATE.items():
        t = state.get(name)
        if not isinstance(t, torch.Tensor) or t.dtype != dtype:
            got = f"a {t.dtype} tensor" if isinstance(t, torch.Tensor) else type(t).__name__
            raise ValueError(f"the simulator's {name} must be a {dtype} tensor, got {got}")
        arrays[name] = np.ascontiguousarray(t.numpy())
    arrays["rng"] = arrays["rng"].view(np.uint64)
    core.set_sim_state(**arrays)


def _tensor(state: dict[str, Any], name: str, dtype: torch.dtype, shape: tuple[int, ...]) -> torch.Tensor:
    t = state.get(name)
    if not isinstance(t, torch.Tensor) or t.dtype != dtype or tuple(t.shape) != shape:
        got = f"{t.dtype} of shape {tuple(t.shape)}" if isinstance(t, torch.Tensor) else type(t).__name__
        raise ValueError(f"the collector's {name} must be a {dtype} tensor of shape {shape}, got {got}")
    return t


class RolloutCollector:
    """Keeps one vector environment running across calls, so episodes span iterations.

    The policy's exploration noise comes from a generator of its own, seeded with the
    environments at `reset`: a rollout depends on the policy and the seed only, wherever
    and whenever it runs (in a thread beside the learner's update, on a worker).
    """

    def __init__(
        self, env: VectorEnv, seed: int | None = None, first_env: int = 0, total_envs: int | None = None
    ) -> None:
        """Takes `env` over; with a `seed`, resets it (else call `reset` before `collect`).

        With `first_env` and `total_envs`, `env` holds environments `first_env` to
        `first_env + env.num_envs` of a run of `total_envs`, and the batches are those rows
        of the whole run's batches.
        """
        if not isinstance(env.single_action_space, spaces.Box):
            env.close()
            raise ValueError(
                f"{getattr(env.spec, 'id', None) or 'the environment'} has {type(env.single_action_space).__name__} "
                "actions; the Gaussian policy needs continuous (Box) ones"
            )
        total_envs = env.num_envs if total_envs is None else total_envs
        if not 0 <= first_env <= total_envs - env.num_envs:
            env.close()
            raise ValueError(f"environments {first_env}..{first_env + env.num_envs} are not in a run of {total_envs}")
        self.env = env
        self.nenv = env.num_envs
        self.first_env, self.total_envs = first_env, total_envs
        self.observation_space, self.action_space = env.single_observation_space, env.single_action_space
        self.action_low, self.action_high = env.single_action_space.low, env.single_action_space.high
        self.dt = float(getattr(env, "dt", np.nan))
        self.obs: np.ndarray | None = None
        if seed is not None:
            self.reset(seed)

    def reset(self, seed: int) -> None:
        self.obs, _ = self.env.reset(seed=seed + self.first_env)
        self.generator = torch.Generator().manual_seed(seed)
        self.running_return = np.zeros(self.nenv)
        self.running_length = np.zeros(self.nenv, dtype=np.int64)
        # The seed of fresh episodes before the next collect, as a run resumed there takes it.
        self.next_seed: int | None = seed

    def close(self) -> None:
        self.env.close()

    def state_dict(self) -> dict[str, Any] | None:
        """The simulators' state, the observations the next step starts from, the noise
        generator and the running episodes' returns and lengths: with the policy, all that
        decides the next `collect`; and the seed of fresh episodes at this point
        (`next_seed`, for a replaced Ray worker). None for environments other than the C++ simulator
        (Gymnasium's do not expose all of their state) or before `reset`."""
        if self.obs is None or not isinstance(self.env, envs.BatchVectorEnv):
            return None
        return {
            "sim": sim_state(self.env.core),
            "obs": torch.from_numpy(self.obs.copy()),
            "generator": self.generator.get_state(),
            "running_return": torch.from_numpy(self.running_return.copy()),
            "running_length": torch.from_numpy(self.running_length.copy()),
            "next_seed": self.next_seed,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continues from `state_dict()`'s state: the next `collect` is the one that
        would have followed. A ValueError names what does not fit these environments."""
        if not isinstance(self.env, envs.BatchVectorEnv):
            raise ValueError(f"{self.env} cannot restore a simulator's state; the C++ simulator can")
        if not isinstance(state, dict):
            raise ValueError(f"the collector's state must be a dict, got {type(state).__name__}")
        n, nobs = self.nenv, self.observation_space.shape[0]
        obs = _tensor(state, "obs", torch.float64, (n, nobs))
        ret = _tensor(state, "running_return", torch.float64, (n,))
        length = _tensor(state, "running_length", torch.int64, (n,))
        generator = torch.Generator()
        try:
            generator.set_state(state.get("generator"))
        except (TypeError, RuntimeError) as e:
            raise ValueError(f"the collector's generator state is not a torch generator's: {e}") from None
        if not (torch.isfinite(obs).all() and torch.isfinite(ret).all() and (length >= 0).all()):
            raise ValueError("the collector's observations and returns must be finite and its lengths >= 0")
        set_sim_state(self.env.core, state.get("sim"))
        self.obs = obs.numpy().copy()
        self.next_seed = state["next_seed"] if isinstance(state.get("next_seed"), int) else None
        self.generator = generator
        self.running_return, self.running_length = ret.numpy().copy(), length.numpy().copy()

    def set_start_pool(self, qpos: np.ndarray, qvel: np.ndarray, task_state: np.ndarray, fraction: float) -> None:
        if not hasattr(self.env, "set_start_pool"):
            raise ValueError(f"{self.env} cannot start episodes from recorded states; the fast humanoid can")
        self.env.set_start_pool(qpos, qvel, task_state, fraction)

    @torch.inference_mode()
    def collect(self, policy: GaussianPolicy, nstep: int, deterministic: bool = False) -> Batch:
        """Runs `policy` for `nstep` steps of every environment.

        The policy's Gaussian actions are clipped to the action space before they reach
        the environment; the batch keeps the unclipped ones, whose log-probabilities
        the policy gradient needs.
        """
        if self.obs is None:
            raise RuntimeError("RolloutCollector.collect before reset(seed)")
        if self.next_seed is not None:
            self.next_seed += self.total_envs
        nenv, nobs = self.nenv, self.obs.shape[1]
        nact = self.env.single_action_space.shape[0]
        obs = np.empty((nstep, nenv, nobs))
        rewards = np.empty((nstep, nenv))
        terminated = np.empty((nstep, nenv), dtype=bool)
        truncated = np.empty((nstep, nenv), dtype=bool)
        final_obs = np.zeros((nstep, nenv, nobs))
        # The policy runs on the ROW_BLOCKs of the run that hold this collector's rows;
        # `rows` are these environments' within them.
        start, stop = block_span(self.first_env, nenv)
        rows = slice(self.first_env - start, self.first_env - start + nenv)
        # The whole rollout's noise at once (the whole run's, whose rows this collector
        # takes): per step, only the mean is computed, and action = mean + std * noise is
        # written in place.
        noise = torch.zeros(nstep, stop - start, nact)
        if not deterministic:
            run_noise = torch.randn(nstep, self.total_envs, nact, generator=self.generator)
            noise[:, : min(stop, self.total_envs) - start] = run_noise[:, start:stop]
        std = policy.log_std.exp()
        policy_obs = torch.zeros(stop - start, nobs)
        policy_obs_np = policy_obs.numpy()
        actions_t = torch.empty(nstep, stop - start, nact)
        actions = actions_t.numpy()[:, rows]
        mean_action = mean_action_fn(policy)
        # Each block's views, per step, made once: indexing costs about as much as the arithmetic.
        blocks = [
            (
                policy_obs[r : r + ROW_BLOCK],
                noise[:, r : r + ROW_BLOCK].unbind(),
                actions_t[:, r : r + ROW_BLOCK].unbind(),
            )
            for r in range(0, stop - start, ROW_BLOCK)
        ]
        returns, lengths = [], []
        for t in range(nstep):
            obs[t] = self.obs
            policy_obs_np[rows] = self.obs
            for block_obs, block_noise, block_actions in blocks:
                torch.addcmul(mean_action(block_obs), std, block_noise[t], out=block_actions[t])
            env_action = np.clip(actions[t], self.action_low, self.action_high)
            self.obs, rewards[t], terminated[t], truncated[t], info = self.env.step(env_action)
            self.running_return += rewards[t]
            self.running_length += 1
            ended = terminated[t] | truncated[t]
            if ended.any():
                idx = np.flatnonzero(ended)
                final_obs[t, idx] = np.stack([info["final_obs"][i] for i in idx])
                returns += self.running_return[idx].tolist()
                lengths += self.running_length[idx].tolist()
                self.running_return[idx] = 0.0
                self.running_length[idx] = 0
        # log N(a; mean, std) with (a - mean) / std = noise, for every step at once
        noise = noise[:, rows]
        log_probs = (-0.5 * noise * noise - policy.log_std - 0.5 * math.log(2 * math.pi)).sum(-1)
        return Batch(
            obs,
            np.ascontiguousarray(actions),
            log_probs.numpy(),
            rewards,
            terminated,
            truncated,
            final_obs,
            self.obs.copy(),
            np.asarray(returns, dtype=np.float64),
            np.asarray(lengths, dtype=np.int64),
        )
