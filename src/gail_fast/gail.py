"""Generative Adversarial Imitation Learning (Ho & Ermon 2016), Algorithm 1.

The convention, used everywhere: D(z) is the probability that z came from the expert.
The discriminator is trained by binary cross-entropy with expert samples labelled 1 and
policy samples 0, on logits: D(z) = sigmoid(logit(z)). The policy's reward is, by
default, r(z) = -log(1 - D(z)) = softplus(logit(z)): high where D takes z for the
expert's.

Per iteration:
  1. sample rollouts from the policy in the batch simulator;
  2. reward every transition with the current discriminator;
  3. one TRPO step on those rewards;
  4. M steps of the discriminator, expert minibatches matching the policy batch.

What the discriminator sees (`mode`): "sa" the state-action pair (s, a); "s" the state;
"ss" the transition (s, s'); "z" the pose features z_t, for environments whose
observations end with them and demonstrations that carry them (motion capture); "zz" the
features of a step (z_t, z_t+1), which show motion as well as pose; "zv" the same step
as z_t and its change z_t+1 - z_t, which the input standardisation then scales by the
recordings' own change per step, so that a difference in motion (a short stride, a foot
that jitters) weighs as much as one in pose under the gradient penalty; "zzr" those with the
root's state at both ends (`humanoid.ROOT_NAMES`: pelvis height, tilt and velocities),
which show how the whole body moves over the floor (demonstrations with qpos/qvel); "zvf"
zv with how each foot moves on the floor at the step's start (`humanoid.FOOT_MOTION_NAMES`:
its sole's velocity over the ground, height, heading and turn rate), which z_t shows only
through the pelvis (demonstrations with qpos/qvel); "zvfs" zvf with each foot's slide
(`humanoid.foot_slide`: its speed, weighted by its nearness to the floor), which the
velocities show only beside the swing's far larger ones. All but "sa" need no actions, so they
imitate state-only demonstrations.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from gail_fast import _core, envs, humanoid
from gail_fast.agent import Agent, TrainingConfig, sample_mirror
from gail_fast.bc import BC_STEPS, behaviour_cloning
from gail_fast.config import check_range, param
from gail_fast.demos import Demonstrations
from gail_fast.loop import TrainingLoop, make_collector
from gail_fast.nets import mlp
from gail_fast.rollout import Batch, Collector
from gail_fast.trpo import fit_value, policy_step

MODES = ("sa", "s", "ss", "z", "zz", "zv", "zzr", "zvf", "zvfs")
FEATURE_MODES = ("z", "zz", "zv", "zzr", "zvf", "zvfs")  # on the humanoid's pose features
REWARDS = ("gail", "logd", "logit", "amp")
DISC_LOSSES = ("bce", "ls")


@dataclass
class GAILConfig(TrainingConfig):
    """GAIL: TRPO on the discriminator's reward."""

    total_steps: int = param(5_000_000, "Environment steps to train for.", resumable=True)
    demos: str = param(
        "",
        "Demonstrations file (see gail_fast.demos); a resumed run may find it at another path, "
        "checked to hold the same demonstrations.",
        resumable=True,
    )
    num_trajectories: int = param(10, "Expert trajectories used from the file.")
    mode: str = param(
        "sa",
        "What the discriminator sees: sa (state, action), s (state), ss (state, next state), z (pose features), "
        "zz (pose features of a step, z_t and z_t+1), zv (z_t and its change z_t+1 - z_t), "
        "zzr (zz with the root's height, tilt and velocities at both), "
        "zvf (zv with the feet's motion on the floor: velocity, height, heading, turn rate), "
        "zvfs (zvf with each foot's speed weighted by its nearness to the floor: a stance foot's slide).",
    )
    reward: str = param(
        "gail",
        "Policy reward: gail -log(1-D), logd log D, logit log D - log(1-D) (all with --disc-loss bce); "
        "amp max(0, 1 - (d-1)^2 / 4), bounded in [0, 1] (with --disc-loss ls).",
    )
    disc_loss: str = param(
        "bce", "Discriminator loss: bce (cross-entropy, D a probability) or ls (least squares to +1 expert, -1 policy)."
    )
    replay: int = param(
        0, "Past policy batches the discriminator also trains on, half of each step's policy samples (0: off)."
    )
    disc_hidden: tuple[int, ...] = param((100, 100), "Hidden layer sizes of the discriminator.")
    disc_lr: float = param(3e-4, "Adam learning rate of the discriminator.")
    disc_steps: int = param(1, "Discriminator steps per iteration (M).")
    disc_minibatch: int = param(0, "Policy samples per discriminator step (0: the whole batch).")
    disc_entropy: float = param(1e-3, "Entropy bonus of the discriminator's Bernoulli output.")
    grad_penalty: float = param(0.0, "Weight of a zero-centred gradient penalty on mixed samples (0: off).")
    bc_init: bool = param(False, "Warm-start the policy by behaviour cloning.")
    bc_steps: int = param(BC_STEPS, "Behaviour-cloning gradient steps of the warm start.")
    start_fraction: float = param(
        0.0, "Fraction of episodes that start from a recorded state of the demonstrations (their qpos/qvel)."
    )
    task_speed: float = param(
        0.0,
        "Not imitation: a target forward pelvis speed (m/s) whose term exp(-((v - target) / sigma)^2) is added to "
        "the reward (AMP's task reward; humanoid only; 0: off, pure imitation).",
    )
    task_sigma: float = param(
        0.5, "With --task-speed: the speed error (m/s) at which the task term falls to 1/e (AMP's is 2)."
    )
    task_weight: float = param(0.5, "With --task-speed: reward = (1 - w) * imitation + w * task.")
    task_start: int = param(
        0, "With --task-speed: environment steps of imitation alone before the task term joins the reward."
    )
    # Schedules that leave the steps before their start as they were, so a resumed run may set them from
    # the step it has reached (checked on resume).
    kl_anneal_start: int = param(
        0,
        "Environment step from which TRPO's trust region (--max-kl) shrinks linearly, to --kl-anneal-final of it "
        "at --total-steps (0: off).",
        resumable=True,
    )
    kl_anneal_final: float = param(
        0.1, "With --kl-anneal-start: the trust region at --total-steps, as a fraction of --max-kl.", resumable=True
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {self.mode!r}")
        if self.reward not in REWARDS:
            raise ValueError(f"reward must be one of {REWARDS}, got {self.reward!r}")
        if self.disc_loss not in DISC_LOSSES:
            raise ValueError(f"disc_loss must be one of {DISC_LOSSES}, got {self.disc_loss!r}")
        if (self.reward == "amp") != (self.disc_loss == "ls"):
            raise ValueError(
                f"reward {self.reward!r} does not go with disc_loss {self.disc_loss!r}: amp needs ls, the others bce"
            )
        if not 0.0 <= self.start_fraction <= 1.0:
            raise ValueError(f"start_fraction must be in [0, 1], got {self.start_fraction}")
        for name in ("num_trajectories", "disc_steps"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        check_range(self, "disc_lr", 0.0, above=True)
        check_range(self, "disc_minibatch", 0)
        check_range(self, "disc_entropy", 0.0)
        check_range(self, "grad_penalty", 0.0)
        check_range(self, "bc_steps", 1)
        check_range(self, "replay", 0)
        check_range(self, "task_speed", 0.0)
        check_range(self, "task_weight", 0.0, 1.0)
        check_range(self, "task_sigma", 0.0, above=True)
        check_range(self, "task_start", 0)
        check_range(self, "kl_anneal_start", 0)
        check_range(self, "kl_anneal_final", 0.0, 1.0, above=True)
        if self.kl_anneal_start >= self.total_steps:
            raise ValueError(
                f"--kl-anneal-start {self.kl_anneal_start} is not before --total-steps {self.total_steps}: "
                "the trust region would never shrink"
            )
        if self.task_start and not self.task_speed:
            raise ValueError("--task-start needs --task-speed (the task term it delays)")
        if self.task_speed and self.task_start >= self.total_steps:
            raise ValueError(
                f"--task-start {self.task_start} is not before --total-steps {self.total_steps}: the task term would never be paid"
            )
        if self.task_speed > 0 and (self.env not in envs.POSE_FEATURE_ENVS or self.mode not in FEATURE_MODES):
            raise ValueError(
                f"--task-speed needs the humanoid's pose features (mode {', '.join(FEATURE_MODES)}), not {self.env} with mode {self.mode}"
            )
        if not self.disc_hidden or min(self.disc_hidden) < 1:
            raise ValueError(f"disc_hidden must be one or more positive layer sizes, got {self.disc_hidden}")


# ---- what the discriminator sees ------------------------------------------------------------


def feet_inputs(motion: np.ndarray, mode: str) -> list[np.ndarray]:
    """What modes zvf and zvfs see of the feet, from `humanoid.foot_motion`'s `motion`."""
    return [motion, humanoid.foot_slide(motion)] if mode == "zvfs" else [motion]


def expert_inputs(demos: Demonstrations, mode: str) -> np.ndarray:
    """`(n, nz)` discriminator inputs of every expert transition."""
    if mode in FEATURE_MODES:
        if demos.features is None:
            raise ValueError(f"the demonstrations from {demos.source} have no pose features: use mode sa, s or ss")
        z, z_next, _ = demos.transitions("features")
        if mode in ("zzr", "zvf", "zvfs"):
            if demos.qpos is None:
                raise ValueError(
                    f"mode {mode} needs demonstrations with states (qpos/qvel); {demos.source}'s have none"
                )
            (q, q_next, _), (v, v_next, _) = demos.transitions("qpos"), demos.transitions("qvel")
            if mode in ("zvf", "zvfs"):
                return np.concatenate([z, z_next - z, *feet_inputs(humanoid.foot_motion(q, v), mode)], axis=1)
            root, root_next = humanoid.root_features(q, v), humanoid.root_features(q_next, v_next)
            return np.concatenate([z, z_next, root, root_next], axis=1)
        if mode == "zv":
            return np.concatenate([z, z_next - z], axis=1)
        return z if mode == "z" else np.concatenate([z, z_next], axis=1)
    s, s_next, a = demos.transitions()
    if mode == "sa":
        if a is None:
            raise ValueError(f"the demonstrations from {demos.source} have no actions: use a state-only mode (s or ss)")
        return np.concatenate([s, a], axis=1)
    return s if mode == "s" else np.concatenate([s, s_next], axis=1)


def policy_inputs(batch: Batch, mode: str, action_low: np.ndarray, action_high: np.ndarray) -> np.ndarray:
    """`(nstep * nenv, nz)` discriminator inputs of a rollout batch, as `expert_inputs`.

    Actions are clipped to the action space, as the environment (and the recorded
    expert) applied them.
    """
    n = batch.nstep * batch.nenv
    s = batch.obs.reshape(n, -1)
    if mode in FEATURE_MODES:
        z = s[:, -_core.POSE_FEATURES :]
        if mode == "z":
            return z
        s_next = batch.next_obs().reshape(n, -1)
        z_next = s_next[:, -_core.POSE_FEATURES :]
        if mode == "zv":
            return np.concatenate([z, z_next - z], axis=1)
        if mode in ("zvf", "zvfs"):
            return np.concatenate([z, z_next - z, *feet_inputs(humanoid.foot_motion_of_obs(s), mode)], axis=1)
        pair = [z, z_next]
        if mode == "zzr":
            pair += [humanoid.root_features_of_obs(s), humanoid.root_features_of_obs(s_next)]
        return np.concatenate(pair, axis=1)
    if mode == "sa":
        a = np.clip(batch.actions.reshape(n, -1), action_low, action_high)
        return np.concatenate([s, a], axis=1)
    return s if mode == "s" else np.concatenate([s, batch.next_obs().reshape(n, -1)], axis=1)


# ---- the discriminator -------------------------------------------------------------------


class Discriminator(nn.Module):
    """logit(z), with D(z) = sigmoid(logit(z)) = P(z came from the expert); or, trained by
    least squares (AMP), a score d(z) that is +1 on the expert's inputs and -1 on the policy's.

    Inputs are standardised with the expert data's statistics, fixed at construction.
    """

    def __init__(self, expert: np.ndarray, hidden: tuple[int, ...] = (100, 100)) -> None:
        super().__init__()
        self.register_buffer("mean", torch.as_tensor(expert.mean(0), dtype=torch.float32))
        # A constant expert dimension gets scale 1, so it cannot blow up a policy sample.
        std = expert.std(0)
        self.register_buffer("std", torch.as_tensor(np.where(std > 1e-6, std, 1.0), dtype=torch.float32))
        self.net = mlp(expert.shape[1], tuple(hidden), 1)

    def standardize(self, z: torch.Tensor) -> torch.Tensor:
        return (z - self.mean) / self.std

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(self.standardize(z)).squeeze(-1)

    @torch.no_grad()
    def reward(self, z: torch.Tensor, kind: str = "gail") -> torch.Tensor:
        """The policy's reward for inputs z (higher where D(z) says expert)."""
        logit = self(z)
        if kind == "gail":
            return F.softplus(logit)  # -log(1 - D)
        if kind == "logd":
            return -F.softplus(-logit)  # log D
        if kind == "amp":  # AMP's bounded reward of the least-squares score
            return torch.clamp(1 - 0.25 * (logit - 1) ** 2, min=0)
        return logit  # log D - log(1 - D)


def discriminator_step(
    disc: Discriminator,
    optimizer: torch.optim.Optimizer,
    expert: torch.Tensor,
    policy: torch.Tensor,
    entropy_bonus: float,
    grad_penalty: float,
    generator: torch.Generator | None = None,
    loss_kind: str = "bce",
) -> dict[str, float]:
    """One gradient step of binary cross-entropy (expert labelled 1, policy 0) or, with
    `loss_kind` "ls", of least squares to +1 (expert) and -1 (policy)."""
    logit_e, logit_p = disc(expert), disc(policy)
    logits = torch.cat([logit_e, logit_p])
    if loss_kind == "ls":
        loss = 0.5 * ((logit_e - 1) ** 2).mean() + 0.5 * ((logit_p + 1) ** 2).mean()
        entropy = torch.zeros(())
    else:
        loss = F.binary_cross_entropy_with_logits(
            logit_e, torch.ones_like(logit_e)
        ) + F.binary_cross_entropy_with_logits(logit_p, torch.zeros_like(logit_p))
        # Bernoulli entropy of D: a bonus for not being over-confident.
        entropy = (F.softplus(logits) - logits * torch.sigmoid(logits)).mean()
    total = loss - entropy_bonus * entropy
    if grad_penalty > 0:
        # On the standardised inputs the network sees, so that the penalty does not depend
        # on the data's units: on raw inputs a feature with a small spread (the head's
        # height, in body heights) would be penalised by 1 / std^2 and left unused.
        alpha = torch.rand(len(expert), 1, generator=generator)
        mixed = (alpha * disc.standardize(expert) + (1 - alpha) * disc.standardize(policy)).requires_grad_(True)
        (grad,) = torch.autograd.grad(disc.net(mixed).sum(), mixed, create_graph=True)
        total = total + grad_penalty * grad.pow(2).sum(-1).mean()
    optimizer.zero_grad()
    total.backward()
    optimizer.step()
    # Mean D (the probability of "expert"; with "ls", the score d) on each side, before the step.
    d_e, d_p = (logit_e, logit_p) if loss_kind == "ls" else (torch.sigmoid(logit_e), torch.sigmoid(logit_p))
    return {
        "disc/loss": loss.item(),
        "disc/entropy": entropy.item(),
        "disc/acc_expert": (logit_e > 0).float().mean().item(),
        "disc/acc_policy": (logit_p < 0).float().mean().item(),
        "disc/d_expert": d_e.mean().item(),
        "disc/d_policy": d_p.mean().item(),
    }


class PolicyReplay:
    """The discriminator's memory of past policy inputs: a ring of the last `capacity`
    rows, so that D does not forget what the policy did a few iterations ago and the
    policy cannot win by going back to it."""

    def __init__(self, capacity: int, width: int) -> None:
        self.rows = torch.zeros(capacity, width)
        self.size = self.next = 0

    def add(self, z: torch.Tensor) -> None:
        z = z[-len(self.rows) :]
        end = self.next + len(z)
        first = min(end, len(self.rows)) - self.next
        self.rows[self.next : self.next + first] = z[:first]
        self.rows[: len(z) - first] = z[first:]
        self.next = end % len(self.rows)
        self.size = min(self.size + len(z), len(self.rows))

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        return self.rows[torch.randint(self.size, (n,), generator=generator)]

    def state_dict(self) -> dict[str, Any]:
        return {"rows": self.rows[: self.size].clone(), "next": self.next}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.size = len(state["rows"])
        self.rows[: self.size] = state["rows"]
        self.next = state["next"]


# ---- Algorithm 1 -------------------------------------------------------------------------


def trust_region(cfg: GAILConfig, step: int) -> float:
    """TRPO's max KL for the policy step taken at environment step `step`: `cfg.trpo.max_kl`,
    and from `cfg.kl_anneal_start` on a straight line down to `kl_anneal_final` of it at
    `total_steps`."""
    if not cfg.kl_anneal_start or step <= cfg.kl_anneal_start:
        return cfg.trpo.max_kl
    done = min(1.0, (step - cfg.kl_anneal_start) / (cfg.total_steps - cfg.kl_anneal_start))
    return cfg.trpo.max_kl * (1.0 - done * (1.0 - cfg.kl_anneal_final))


def check_anneal_resumable(saved: dict[str, Any], cfg: GAILConfig, step: int) -> None:
    """Raises `ValueError` if resuming at environment step `step` with `cfg` changes the trust
    region's anneal where it already applied: a schedule may start only from the step reached."""
    old = (saved.get("kl_anneal_start", 0), saved.get("kl_anneal_final", 0.1))
    new = (cfg.kl_anneal_start, cfg.kl_anneal_final)
    first = min(start or math.inf for start in (old[0], new[0]))
    if old != new and first < step:
        raise ValueError(
            f"cannot change the trust region's anneal (--kl-anneal-start {old[0]}, --kl-anneal-final {old[1]}) "
            f"to start before the step the run has reached ({step}): set --kl-anneal-start {step} or later"
        )


def demos_fingerprint(demos: Demonstrations) -> str:
    """SHA-256 of the arrays of the demonstrations a run learns from: what a resumed run must
    find again, wherever the file has moved."""
    digest = hashlib.sha256()
    for field in dataclasses.fields(demos):
        value = getattr(demos, field.name)
        if isinstance(value, np.ndarray):
            digest.update(f"{field.name} {value.dtype} {value.shape}".encode())
            digest.update(np.ascontiguousarray(value).tobytes())
    return digest.hexdigest()


def check_same_demos(state: dict[str, Any], cfg: GAILConfig, fingerprint: str) -> None:
    """Raises `ValueError` unless the run in checkpoint `state` learnt from the demonstrations
    `cfg.demos` holds (`fingerprint`); a checkpoint without a fingerprint needs the same path."""
    saved = state.get("demos_sha256")
    if saved is None:
        if state["config"].get("demos") != cfg.demos:
            raise ValueError(
                f"cannot change --demos {cfg.demos} (the run has {state['config'].get('demos')}) when resuming: "
                "its checkpoint holds no fingerprint of its demonstrations to check them by"
            )
    elif saved != fingerprint:
        raise ValueError(
            f"{cfg.demos} holds other demonstrations than the run learnt from "
            f"(SHA-256 {fingerprint[:12]}..., the run's {saved[:12]}...)"
        )


CURVES = [
    "charts/episodic_return",
    "charts/episodic_length",
    "charts/pelvis_speed",
    "charts/gail_reward",
    "charts/task_reward",
    "disc/acc_expert",
    "disc/acc_policy",
    "losses/kl",
]


def train_gail(
    cfg: GAILConfig,
    out: Path,
    resume: bool = False,
    progress: tqdm | None = None,
    collector: Collector | None = None,
) -> Path:
    """Trains (or resumes) GAIL in the run folder `out`; returns `out`.

    `collector` defaults to `cfg.num_envs` environments of `cfg.env` in this process.
    """
    torch.set_num_threads(cfg.torch_threads)
    demos = Demonstrations.load(cfg.demos, env_id=cfg.env)
    if cfg.num_trajectories > demos.num_episodes:
        raise ValueError(f"{cfg.demos} holds {demos.num_episodes} trajectories; {cfg.num_trajectories} were asked for")
    demos = demos.take(cfg.num_trajectories)
    fingerprint = demos_fingerprint(demos)
    collector = collector or make_collector(cfg)
    nobs, nact = collector.observation_space.shape[0], collector.action_space.shape[0]
    features = cfg.mode in FEATURE_MODES
    if features and cfg.env not in envs.POSE_FEATURE_ENVS:
        raise ValueError(
            f"{cfg.env} has no pose features; mode {cfg.mode} needs one of {sorted(envs.POSE_FEATURE_ENVS)}"
        )
    if not features and demos.obs is None:
        raise ValueError(f"{cfg.demos} holds pose features only (motion capture): use --mode z or zz")
    if demos.obs is not None and demos.obs.shape[1] != nobs:
        raise ValueError(f"{cfg.demos} has {demos.obs.shape[1]}-dim observations; {cfg.env} has {nobs}")
    if demos.features is not None and features and demos.features.shape[1] != _core.POSE_FEATURES:
        raise ValueError(f"{cfg.demos} has {demos.features.shape[1]} features; {cfg.env} has {_core.POSE_FEATURES}")
    if demos.actions is not None and demos.actions.shape[1] != nact:
        raise ValueError(f"{cfg.demos} has {demos.actions.shape[1]}-dim actions; {cfg.env} has {nact}")
    expert = expert_inputs(demos, cfg.mode)
    expert_t = torch.as_tensor(expert, dtype=torch.float32)
    low, high = collector.action_space.low, collector.action_space.high

    if cfg.start_fraction > 0:
        if demos.qpos is None or cfg.env not in envs.POSE_FEATURE_ENVS:
            raise ValueError(
                f"--start-fraction needs the humanoid and demonstrations with states (qpos/qvel); {cfg.demos} has none"
            )
        collector.set_start_pool(
            demos.qpos, demos.qvel, humanoid.start_states(demos.qpos, demos.episode_lengths), cfg.start_fraction
        )
    # Forward speed of the pelvis (m/s) from z_t's displacement term: shows early whether a humanoid moves at all.
    speed_scale = humanoid.Kinematics(envs.FAST_ENVS[cfg.env].xml_path).scale / collector.dt if features else None

    agent = Agent.create(nobs, nact, cfg.hidden, cfg.init_log_std, cfg.trpo.vf_lr, cfg.seed)
    disc = Discriminator(expert, cfg.disc_hidden)
    disc_optimizer = torch.optim.Adam(disc.parameters(), lr=cfg.disc_lr, foreach=True)
    replay = PolicyReplay(cfg.replay * cfg.num_envs * cfg.nstep, expert.shape[1]) if cfg.replay else None

    def disc_state() -> dict[str, Any]:
        state = {
            "discriminator": disc.state_dict(),
            "disc_optimizer": disc_optimizer.state_dict(),
            "demos_sha256": fingerprint,
        }
        return state | ({"replay": replay.state_dict()} if replay else {})

    mirror = sample_mirror(cfg)
    with TrainingLoop("gail", cfg, out, agent, collector, CURVES, disc_state, progress) as loop:
        if resume:
            state = loop.resume()
            check_anneal_resumable(state["config"], cfg, loop.global_step)
            check_same_demos(state, cfg, fingerprint)
            disc.load_state_dict(state["discriminator"])
            disc_optimizer.load_state_dict(state["disc_optimizer"])
            if replay is not None and "replay" in state:
                replay.load_state_dict(state["replay"])
        elif cfg.bc_init:
            if demos.actions is None:
                raise ValueError(f"--bc-init needs actions; {cfg.demos} is state-only")
            behaviour_cloning(agent.policy, demos, cfg.bc_steps, generator=agent.generator)
        # 1. sample rollouts from the policy
        for batch in loop.batches():
            z = torch.as_tensor(policy_inputs(batch, cfg.mode, low, high), dtype=torch.float32)
            # 2. reward with the current discriminator
            style = disc.reward(z, cfg.reward).numpy().reshape(batch.nstep, batch.nenv).astype(np.float64)
            rewards, weight = style, 0.0
            if cfg.task_speed > 0:  # AMP's task term, on the speed over the step's last k steps
                speed = batch.next_obs()[..., -3] * speed_scale
                task = np.exp(-(((speed - cfg.task_speed) / cfg.task_sigma) ** 2))
                # measured from the start; paid once imitation alone has had task_start steps
                weight = cfg.task_weight if loop.global_step >= cfg.task_start else 0.0
                rewards = (1 - weight) * style + weight * task
            # 3. TRPO step on those rewards: the policy's step; the next rollout, which
            # needs only the policy, runs beside the rest (value function, discriminator)
            max_kl = trust_region(cfg, loop.global_step)
            trpo = cfg.trpo if max_kl == cfg.trpo.max_kl else dataclasses.replace(cfg.trpo, max_kl=max_kl)
            with loop.alone():
                stats, value_targets = policy_step(
                    agent.policy, agent.value_fn, batch, rewards, trpo, agent.generator, mirror
                )
            loop.collect_next()
            stats |= fit_value(agent.value_fn, agent.vf_optimizer, value_targets, cfg.trpo, agent.generator)
            # 4. M discriminator steps, expert minibatches the size of the policy's
            size = cfg.disc_minibatch or len(z)
            for _ in range(cfg.disc_steps):
                pi = z[torch.randperm(len(z), generator=agent.generator)[:size]]
                if replay is not None and replay.size:
                    half = len(pi) // 2
                    pi = torch.cat([pi[:half], replay.sample(len(pi) - half, agent.generator)])
                ex = expert_t[torch.randint(len(expert_t), (len(pi),), generator=agent.generator)]
                disc_stats = discriminator_step(
                    disc, disc_optimizer, ex, pi, cfg.disc_entropy, cfg.grad_penalty, agent.generator, cfg.disc_loss
                )
            if replay is not None:
                replay.add(z)
            scalars = {
                "charts/gail_reward": float(style.mean()),
                **{f"losses/{k}": v for k, v in stats.items()},
                **disc_stats,
            }
            if speed_scale is not None:
                scalars["charts/pelvis_speed"] = float(batch.obs[..., -3].mean() * speed_scale)
            if cfg.kl_anneal_start:
                scalars["losses/max_kl"] = max_kl
            if cfg.task_speed > 0:
                scalars["charts/task_reward"] = float(task.mean())
                scalars["charts/task_weight"] = weight
            loop.log(batch, scalars, acc=f"{disc_stats['disc/acc_expert']:.2f}/{disc_stats['disc/acc_policy']:.2f}")
    if features:  # a page to see the final policy move (gail_fast.view)
        from gail_fast.view import write_run_page

        write_run_page(out, cfg.demos)
    return out
