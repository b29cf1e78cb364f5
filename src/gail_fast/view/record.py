"""What the viewer shows, gathered: policy episodes with their `qpos`, the discriminator's
view of them, and reference clips from a demonstrations file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from gail_fast import _core, envs
from gail_fast.demos import Demonstrations
from gail_fast.nets import GaussianPolicy


@dataclass(frozen=True)
class Episode:
    """One recorded policy episode of T steps.

    `qpos[t]` and `obs[t]` are the state the policy acted in at step t; `obs[T]` is the
    observation the last step led to (the final one where the episode ended; its `qpos`
    is gone by then, reset by the environment's autoreset).
    """

    qpos: np.ndarray  # (T, nq)
    obs: np.ndarray  # (T + 1, nobs)
    actions: np.ndarray  # (T, nact), as the environment applied them (clipped)
    rewards: np.ndarray  # (T,), the environment's reward
    terminated: bool
    truncated: bool
    seed: int

    @property
    def length(self) -> int:
        return len(self.qpos)

    @property
    def features(self) -> np.ndarray:
        """(T, POSE_FEATURES) z_t of the states in `qpos` (for environments that have them)."""
        return self.obs[: self.length, -_core.POSE_FEATURES :]


def mujoco_model(env_id: str):
    """The `mujoco.MjModel` that `env_id` simulates; ValueError where there is none."""
    import gymnasium as gym
    import mujoco

    if env_id in envs.FAST_ENVS:
        return mujoco.MjModel.from_xml_path(str(envs.FAST_ENVS[env_id].xml_path))
    if env_id not in gym.registry:
        raise ValueError(
            f"unknown environment id {env_id!r}; fast ids: {sorted(envs.FAST_ENVS)}, or any MuJoCo id registered with Gymnasium"
        )
    single = gym.make(env_id)
    model = getattr(single.unwrapped, "model", None)
    single.close()
    if not isinstance(model, mujoco.MjModel):
        raise ValueError(f"{env_id} is not a MuJoCo environment: the viewer draws MuJoCo models")
    return model


def _qpos(env: Any) -> np.ndarray:
    """(num_envs, nq) current positions of every simulation of a vector environment."""
    if isinstance(env, envs.BatchVectorEnv):
        return env.get_state()[0]
    return np.stack([e.unwrapped.data.qpos.copy() for e in env.envs])


def rollout(
    policy: GaussianPolicy,
    env_id: str,
    episodes: int = 1,
    steps: int = 1000,
    seed: int = 0,
    deterministic: bool = True,
) -> list[Episode]:
    """Runs the first episode of `episodes` simulations (simulation i seeded `seed + i`),
    each until it ends or for `steps` steps."""
    if episodes < 1:
        raise ValueError(f"episodes must be >= 1, got {episodes}")
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    mujoco_model(env_id)  # a clear error for ids without a MuJoCo model, before any simulation
    env = envs.make(env_id, num_envs=episodes)
    nobs = env.single_observation_space.shape[0]
    if policy.nobs != nobs:
        raise ValueError(f"the policy takes {policy.nobs}-dim observations; {env_id} gives {nobs}")
    low, high = env.single_action_space.low, env.single_action_space.high
    obs, _ = env.reset(seed=seed)
    qpos, all_obs, actions, rewards = [], [obs.copy()], [], []
    length = np.full(episodes, -1)  # steps each episode lasted; -1 while running
    ended_by = np.zeros((episodes, 2), dtype=bool)  # terminated, truncated
    try:
        for t in range(steps):
            qpos.append(_qpos(env))
            action, _ = policy.act(torch.as_tensor(obs, dtype=torch.float32), deterministic)
            action = np.clip(action.numpy().astype(np.float64), low, high)
            obs, reward, terminated, truncated, info = env.step(action)
            ended = terminated | truncated
            # With autoreset, `obs` of an ended simulation starts its next episode.
            last = obs.copy()
            for i in np.flatnonzero(ended):
                last[i] = info["final_obs"][i]
            all_obs.append(last)
            actions.append(action)
            rewards.append(reward)
            newly = ended & (length < 0)
            length[newly] = t + 1
            ended_by[newly] = np.stack([terminated, truncated], axis=1)[newly]
            if (length >= 0).all():
                break
    finally:
        env.close()
    length[length < 0] = len(qpos)
    qpos_a, obs_a, act_a, rew_a = np.array(qpos), np.array(all_obs), np.array(actions), np.array(rewards)
    return [
        Episode(
            qpos_a[: length[i], i],
            obs_a[: length[i] + 1, i],
            act_a[: length[i], i],
            rew_a[: length[i], i],
            bool(ended_by[i, 0]),
            bool(ended_by[i, 1]),
            seed + i,
        )
        for i in range(episodes)
    ]


@dataclass(frozen=True)
class Scores:
    """The discriminator along an episode: D (probability of expert) and the policy's reward."""

    d: np.ndarray  # (T,)
    reward: np.ndarray  # (T,)
    kind: str  # the reward's kind (gail.REWARDS)
    mode: str  # what the discriminator sees (gail.MODES)


def load_discriminator(checkpoint: dict[str, Any]):
    """(discriminator, mode, reward kind) of a GAIL checkpoint, or None for other runs."""
    from gail_fast.gail import Discriminator

    state = checkpoint.get("discriminator")
    if state is None:
        return None
    config = checkpoint.get("config", {})
    nz = int(state["mean"].shape[0])
    disc = Discriminator(np.zeros((2, nz)), tuple(config.get("disc_hidden", (100, 100))))
    try:
        disc.load_state_dict(state)
    except RuntimeError as e:
        raise ValueError(f"the checkpoint's discriminator does not match its configuration: {e}") from e
    disc.eval()
    return disc, str(config.get("mode", "sa")), str(config.get("reward", "gail"))


def score_episode(checkpoint: dict[str, Any], episode: Episode, env_id: str) -> Scores | None:
    """D and reward at each step of `episode`, as training computed them (None without a
    discriminator in the checkpoint)."""
    from gail_fast.gail import policy_inputs
    from gail_fast.rollout import Batch

    loaded = load_discriminator(checkpoint)
    if loaded is None:
        return None
    disc, mode, kind = loaded
    n = episode.length
    ended = np.zeros((n, 1), dtype=bool)
    ended[-1] = True  # so that (s, s') takes the episode's last observation as the next one
    final_obs = np.zeros((n, 1, episode.obs.shape[1]))
    final_obs[-1, 0] = episode.obs[-1]
    batch = Batch(
        obs=episode.obs[:n, None],
        actions=episode.actions[:, None],
        log_probs=np.zeros((n, 1)),
        rewards=episode.rewards[:, None],
        terminated=np.zeros((n, 1), dtype=bool),
        truncated=ended,
        final_obs=final_obs,
        last_obs=episode.obs[-1][None],
    )
    action_space = envs.make(env_id).single_action_space
    z = torch.as_tensor(policy_inputs(batch, mode, action_space.low, action_space.high), dtype=torch.float32)
    return discriminator_scores(disc, z, mode, kind)


def discriminator_scores(disc: Any, z: torch.Tensor, mode: str, kind: str) -> Scores:
    """D and reward of discriminator inputs `z` `(T, nz)`."""
    with torch.no_grad():
        d = torch.sigmoid(disc(z)).numpy().astype(np.float64)
    return Scores(d, disc.reward(z, kind).numpy().astype(np.float64), kind, mode)


@dataclass(frozen=True)
class Clip:
    """One episode of a reference dataset: retargeted `qpos` and/or pose features."""

    qpos: np.ndarray | None  # (T + 1, nq)
    features: np.ndarray | None  # (T + 1, POSE_FEATURES)
    label: str

    @property
    def length(self) -> int:
        return len(self.qpos if self.qpos is not None else self.features)


def load_reference(path: str | Path, env_id: str | None, nq: int | None = None) -> tuple[str, list[Clip]]:
    """(env id, clips) of a demonstrations file; with `env_id`, it must be for that
    environment; with `nq`, its `qpos` must fit a model of that size."""
    demos = Demonstrations.load(path, env_id=env_id)
    qpos = getattr(demos, "qpos", None)  # retargeted motion capture carries it
    if qpos is None and demos.features is None:
        raise ValueError(
            f"{path} holds neither qpos nor pose features: the viewer cannot draw it "
            f"(recorded Gymnasium demonstrations are shown through their policy instead)"
        )
    if demos.features is not None and demos.features.shape[1] != _core.POSE_FEATURES:
        raise ValueError(f"{path} has {demos.features.shape[1]} pose features; the humanoid has {_core.POSE_FEATURES}")
    clips = []
    for i, (rows, _) in enumerate(demos.episode_slices()):
        clips.append(
            Clip(
                None if qpos is None else np.asarray(qpos[rows], dtype=np.float64),
                None if demos.features is None else demos.features[rows],
                f"{Path(path).name} episode {i + 1} ({demos.source})",
            )
        )
    if nq is not None:
        check_qpos(clips, nq, path)
    return demos.env_id, clips


def check_qpos(clips: list[Clip], nq: int, path: str | Path) -> None:
    """ValueError unless the clips' `qpos` (where they have one) fit a model with `nq`."""
    for clip in clips:
        if clip.qpos is not None and clip.qpos.shape[1] != nq:
            raise ValueError(f"{path} has {clip.qpos.shape[1]}-dim qpos; the model it is for has nq = {nq}")
