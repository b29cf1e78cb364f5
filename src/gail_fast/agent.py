"""The learner both trainers share: policy, value function, their optimiser and RNG."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from typing import Any

import torch

from gail_fast import envs
from gail_fast.config import check_range, param
from gail_fast.nets import GaussianPolicy, ValueFunction
from gail_fast.trpo import TRPOConfig


@dataclass
class TrainingConfig:
    """What every run that trains a policy with TRPO sets."""

    env: str = param("Hopper-v5", "Environment id (fast ids run in the C++ simulator).")
    total_steps: int = param(3_000_000, "Environment steps to train for.", resumable=True)
    num_envs: int = param(16, "Parallel environments.")
    num_threads: int | None = param(
        None, "Simulator threads (default: one per CPU; with --workers, per worker, default 1).", resumable=True
    )
    nstep: int = param(256, "Steps of every environment per iteration (batch = num_envs * nstep).")
    seed: int = param(0, "Seed of the networks, the sampling and the environments.")
    hidden: tuple[int, ...] = param(
        (),
        "Hidden layer sizes of the policy and value networks (default: 150 150 150 for the humanoid, 64 64 otherwise).",
    )
    init_log_std: float = param(-0.5, "Initial log standard deviation of the Gaussian policy.")
    torch_threads: int = param(1, "PyTorch threads; more contend with the simulator's on few cores.", resumable=True)
    step_threads: int | None = param(
        None,
        "PyTorch threads for the policy's TRPO step, which nothing runs beside (default: one per CPU).",
        resumable=True,
    )
    checkpoint_every: int = param(
        10, "Iterations between checkpoints (and one at the end); progress.csv is written with them.", resumable=True
    )
    plot_every: float = param(300.0, "Seconds between redraws of curves.png (and one at the end).", resumable=True)
    workers: int = param(
        0,
        'Rollout workers on Ray (pip install ".[ray]"), each with its share of the environments and a copy of the '
        "policy; the same batches as in this process (0: the environments run in this process).",
        resumable=True,
    )
    ray_address: str = param(
        "", "With --workers: the Ray cluster's address (default: a local Ray started for the run).", resumable=True
    )
    trpo: TRPOConfig = dataclasses.field(default_factory=TRPOConfig)

    def __post_init__(self) -> None:
        for name in ("total_steps", "num_envs", "nstep", "torch_threads", "checkpoint_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        for name in ("num_threads", "step_threads"):
            check_threads(name, getattr(self, name))
        if self.seed < 0:
            raise ValueError(f"seed must be >= 0, got {self.seed}")
        check_workers(self.workers, self.ray_address, self.num_envs)
        check_range(self, "init_log_std")
        check_range(self, "plot_every", 0.0)
        if self.trpo.mirrored and self.env not in envs.POSE_FEATURE_ENVS:
            raise ValueError(
                f"--mirror and --mirror-loss need a humanoid environment {sorted(envs.POSE_FEATURE_ENVS)}, not {self.env!r}"
            )
        if not self.hidden:
            self.hidden = default_hidden(self.env)
        if min(self.hidden) < 1:
            raise ValueError(f"hidden must be one or more positive layer sizes, got {self.hidden}")

    @property
    def policy_step_threads(self) -> int:
        """PyTorch threads of the policy's TRPO step: `step_threads`, by default one per CPU."""
        return self.step_threads or os.cpu_count() or 1


def sample_mirror(config: TrainingConfig):
    """What TRPO's `policy_step` takes as `mirror`: the environment's `humanoid.Mirror`
    where `trpo.mirrored`, else None."""
    if not config.trpo.mirrored:
        return None
    from gail_fast.humanoid import mirror_of

    return mirror_of(config.env)


def check_threads(name: str, threads: int | None) -> None:
    """Raises `ValueError` unless `threads` is a thread count >= 1 or None (the default)."""
    if threads is not None and threads < 1:
        raise ValueError(f"{name} must be >= 1, got {threads}")


def check_workers(workers: int, ray_address: str, num_envs: int) -> None:
    """Raises `ValueError` unless `workers` can share `num_envs` environments (0: none)
    and `ray_address` comes with workers."""
    if not 0 <= workers <= num_envs:
        raise ValueError(f"workers must be between 0 and num_envs ({num_envs}), got {workers}")
    if ray_address and not workers:
        raise ValueError(f"--ray-address {ray_address} needs --workers")


def default_hidden(env_id: str) -> tuple[int, ...]:
    """The fast environment's own layer sizes (`envs.FastEnvSpec.hidden`), else
    `envs.DEFAULT_HIDDEN`."""
    spec = envs.FAST_ENVS.get(env_id)
    return envs.DEFAULT_HIDDEN if spec is None else spec.hidden


def planned_steps(config: TrainingConfig) -> int:
    """Environment steps a run takes: whole iterations until total_steps is reached."""
    per_iteration = config.num_envs * config.nstep
    return -(-config.total_steps // per_iteration) * per_iteration


@dataclass
class Agent:
    policy: GaussianPolicy
    value_fn: ValueFunction
    vf_optimizer: torch.optim.Optimizer
    generator: torch.Generator

    @classmethod
    def create(
        cls, nobs: int, nact: int, hidden: tuple[int, ...], init_log_std: float, vf_lr: float, seed: int
    ) -> Agent:
        torch.manual_seed(seed)
        policy = GaussianPolicy(nobs, nact, hidden, init_log_std)
        value_fn = ValueFunction(nobs, hidden)
        return cls(
            policy,
            value_fn,
            torch.optim.Adam(value_fn.parameters(), lr=vf_lr, foreach=True),
            torch.Generator().manual_seed(seed),
        )

    def state_dict(self) -> dict[str, Any]:
        """What a checkpoint needs to resume the learner, besides the policy it stores
        itself (`runs.checkpoint`)."""
        return {
            "value": self.value_fn.state_dict(),
            "vf_optimizer": self.vf_optimizer.state_dict(),
            "generator": self.generator.get_state(),
            "torch_rng": torch.get_rng_state(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.policy.load_state_dict(state["policy"]["state"])
        self.value_fn.load_state_dict(state["value"])
        self.vf_optimizer.load_state_dict(state["vf_optimizer"])
        self.generator.set_state(state["generator"])
        torch.set_rng_state(state["torch_rng"])
