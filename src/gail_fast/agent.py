"""The learner both trainers share: policy, value function, their optimiser and RNG."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from gail_fast.nets import GaussianPolicy, ValueFunction
from gail_fast.runs import policy_state


@dataclass
class Agent:
    policy: GaussianPolicy
    value_fn: ValueFunction
    vf_optimizer: torch.optim.Optimizer
    generator: torch.Generator

    @classmethod
    def create(cls, nobs: int, nact: int, hidden: tuple[int, ...], init_log_std: float, vf_lr: float, seed: int) -> "Agent":
        torch.manual_seed(seed)
        policy = GaussianPolicy(nobs, nact, hidden, init_log_std)
        value_fn = ValueFunction(nobs, hidden)
        return cls(policy, value_fn, torch.optim.Adam(value_fn.parameters(), lr=vf_lr), torch.Generator().manual_seed(seed))

    def state_dict(self) -> dict[str, Any]:
        return {
            "policy": policy_state(self.policy),
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
