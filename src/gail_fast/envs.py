"""Environments: the C++ batch simulator behind Gymnasium's vector API.

`make(env_id, num_envs)` returns a `gymnasium.vector.VectorEnv` with SAME_STEP
autoreset. The ids in `FAST_ENVS` run in the C++ `BatchEnv` (all simulations stepped
on a thread pool, the task computed in C++); any other Gymnasium id falls back to
Gymnasium's own `SyncVectorEnv`, so the trainer works for every environment, only
slower.

The fast environments are the extension's registry (`_core.environments()`, one row per
id in src/cpp/tasks/task.cc: task, model, time limit, pose features), joined with the
facts only Python needs (`_PYTHON_FACTS`: the Gymnasium peer, default layer sizes).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv

from gail_fast import _core

DEFAULT_HIDDEN: tuple[int, ...] = (64, 64)
"""Hidden layer sizes of the policy and value networks where an environment names none."""


@dataclass(frozen=True)
class FastEnvSpec:
    """How one fast environment is built: its row of the extension's registry
    (`_core.environments()`) with the facts only Python needs beside it."""

    xml_path: Path
    """The MJCF model."""
    task: str
    """The C++ task's name (observation, reward, termination, reset noise)."""
    max_episode_steps: int = 1000
    """Time limit in control steps, after which an episode is truncated."""
    pose_features: bool = False
    """Whether observations end with the pose features z_t (the last `_core.POSE_FEATURES`
    entries): what GAIL's feature mode shows its discriminator."""
    gymnasium_id: str | None = None
    """The Gymnasium environment it reproduces step for step; None for ours."""
    hidden: tuple[int, ...] = DEFAULT_HIDDEN
    """Default hidden layer sizes of the policy and value networks."""


ASSETS = Path(__file__).parent / "assets"

# Where each registry row's `assets` keeps its model.
_ASSET_FOLDERS = {
    "gymnasium": Path(gym.__file__).parent / "envs" / "mujoco" / "assets",
    "gail_fast": ASSETS,
}


@dataclass(frozen=True)
class _PythonFacts:
    gymnasium_id: str | None = None
    hidden: tuple[int, ...] = DEFAULT_HIDDEN


# What the extension does not know about its environments, by the same ids.
_PYTHON_FACTS: dict[str, _PythonFacts] = {
    "Hopper-v5": _PythonFacts("Hopper-v5"),
    "Walker2d-v5": _PythonFacts("Walker2d-v5"),
    "HalfCheetah-v5": _PythonFacts("HalfCheetah-v5"),
    "Ant-v5": _PythonFacts("Ant-v5"),
    "Humanoid-v5": _PythonFacts("Humanoid-v5"),
    # Three layers of 150 for the 21-joint humanoid, as in the motion-imitation literature.
    "Humanoid21Imitation-v0": _PythonFacts(hidden=(150, 150, 150)),
    "Humanoid21ImitationTorque-v0": _PythonFacts(hidden=(150, 150, 150)),
}


def _registry(rows: list[dict[str, Any]], facts: dict[str, _PythonFacts]) -> dict[str, FastEnvSpec]:
    """The fast environments: the extension's rows, in its order, joined with `facts`."""
    ids = [row["id"] for row in rows]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise ImportError(f"the C++ extension lists fast environments {twice} more than once")
    if set(ids) != set(facts):
        raise ImportError(
            "gail_fast.envs and its C++ extension list different fast environments: "
            f"only in the extension {sorted(set(ids) - set(facts))}, only in envs.py {sorted(set(facts) - set(ids))}; "
            "rebuild the extension (pip install -e .) or name each environment in both registries "
            "(src/cpp/tasks/task.cc and envs._PYTHON_FACTS)"
        )
    unknown = sorted({row["assets"] for row in rows} - set(_ASSET_FOLDERS))
    if unknown:
        raise ImportError(f"the extension names model assets {unknown}; envs.py knows {sorted(_ASSET_FOLDERS)}")
    return {
        row["id"]: FastEnvSpec(
            xml_path=_ASSET_FOLDERS[row["assets"]] / row["model"],
            task=row["task"],
            max_episode_steps=row["max_episode_steps"],
            pose_features=row["pose_features"],
            gymnasium_id=facts[row["id"]].gymnasium_id,
            hidden=facts[row["id"]].hidden,
        )
        for row in rows
    }


FAST_ENVS: dict[str, FastEnvSpec] = _registry(_core.environments(), _PYTHON_FACTS)

# The fast environments whose observations end with the pose features z_t.
POSE_FEATURE_ENVS = frozenset(env_id for env_id, spec in FAST_ENVS.items() if spec.pose_features)


class BatchVectorEnv(VectorEnv):
    """`num_envs` MuJoCo simulations stepped by the C++ `BatchEnv`.

    Gymnasium's vector API with SAME_STEP autoreset: when an episode ends, `step`
    returns the first observation of the next episode and puts the last one in
    `infos["final_obs"]` (a `(num_envs, nobs)` array, rows valid where
    `infos["_final_obs"]`). `infos["diverged"]` marks simulations whose physics went
    bad (NaN or MuJoCo's bad-state warnings); they are reset and reported truncated.
    Observations are float64, as in Gymnasium's MuJoCo environments.
    """

    metadata = {"autoreset_mode": AutoresetMode.SAME_STEP}

    def __init__(
        self,
        env_id: str,
        num_envs: int,
        num_threads: int | None = None,
        seed: int | None = None,
        max_episode_steps: int | None = None,
        body_names: tuple[str, ...] = (),
    ) -> None:
        if env_id not in FAST_ENVS:
            raise ValueError(f"{env_id!r} is not a fast environment; fast ids: {sorted(FAST_ENVS)}")
        spec = FAST_ENVS[env_id]
        if num_threads is None:
            num_threads = min(os.cpu_count() or 1, num_envs)
        self.env_id = env_id
        self.num_envs = num_envs
        self.core = _core.BatchEnv(
            str(spec.xml_path),
            spec.task,
            nenv=num_envs,
            nthread=num_threads,
            max_episode_steps=spec.max_episode_steps if max_episode_steps is None else max_episode_steps,
            body_names=list(body_names),
        )
        low, high = self.core.action_range.T
        self.single_action_space = gym.spaces.Box(low.astype(np.float32), high.astype(np.float32), dtype=np.float32)
        self.single_observation_space = gym.spaces.Box(-np.inf, np.inf, (self.core.nobs,), dtype=np.float64)
        self.action_space = gym.vector.utils.batch_space(self.single_action_space, num_envs)
        self.observation_space = gym.vector.utils.batch_space(self.single_observation_space, num_envs)
        self.dt = self.core.dt
        # A reset without a seed continues after the last one; the first defaults to fresh entropy.
        self._next_seed = int(np.random.SeedSequence(seed).entropy % 2**63) if seed is None else seed
        self._body_pos = bool(body_names)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Starts a new episode in every simulation; simulation i is seeded with seed + i."""
        if options:
            raise ValueError(f"options are not supported by {self.env_id}, got {options!r}")
        if seed is None:
            seed = int(self._next_seed)
        if not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"seed must be a non-negative int, got {seed!r}")
        self._next_seed = seed + self.num_envs
        obs = np.empty((self.num_envs, self.core.nobs))
        infos: dict[str, Any] = {}
        if self._body_pos:
            infos["body_pos"] = np.empty((self.num_envs, self.core.nbody, 3))
        self.core.reset(seed, obs, infos.get("body_pos"))
        return obs, infos

    def step(self, actions: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """Steps every simulation with `actions` `(num_envs, nact)`; see the class docs."""
        actions = np.asarray(actions)
        if actions.dtype.kind not in "fiu":
            raise TypeError(f"actions must be a real array, got dtype {actions.dtype}")
        actions = np.ascontiguousarray(actions, dtype=np.float64)
        n, nobs = self.num_envs, self.core.nobs
        obs = np.empty((n, nobs))
        reward = np.empty(n)
        terminated = np.empty(n, dtype=bool)
        truncated = np.empty(n, dtype=bool)
        final_obs = np.zeros((n, nobs))
        diverged = np.empty(n, dtype=bool)
        body_pos = np.empty((n, self.core.nbody, 3)) if self._body_pos else None
        self.core.step(actions, obs, reward, terminated, truncated, final_obs, diverged, body_pos)
        ended = terminated | truncated
        infos: dict[str, Any] = {"diverged": diverged}
        if ended.any():
            infos["final_obs"] = final_obs
            infos["_final_obs"] = ended
        if body_pos is not None:
            infos["body_pos"] = body_pos
        return obs, reward, terminated, truncated, infos

    def set_start_pool(self, qpos: np.ndarray, qvel: np.ndarray, task_state: np.ndarray, fraction: float) -> None:
        """Episodes start from a random row of recorded states with probability `fraction`
        (reference state initialisation): `qpos` `(npool, nq)`, `qvel` `(npool, nv)` and
        the task's state at each row, `task_state` `(npool, core.task_nstate)` (for the
        humanoid, `gail_fast.humanoid.start_states`). Takes effect at each simulation's
        next reset; `start_rows` tells which row each episode began from."""
        f64 = lambda a: np.ascontiguousarray(a, dtype=np.float64)  # noqa: E731
        self.core.set_start_pool(f64(qpos), f64(qvel), f64(task_state), float(fraction))

    @property
    def start_rows(self) -> np.ndarray:
        """`(num_envs,)` the start-pool row each current episode began from, -1 for none."""
        return self.core.start_rows

    def get_state(self) -> tuple[np.ndarray, np.ndarray]:
        """Returns `qpos` `(num_envs, nq)` and `qvel` `(num_envs, nv)`."""
        qpos, qvel = np.empty((self.num_envs, self.core.nq)), np.empty((self.num_envs, self.core.nv))
        self.core.get_state(qpos, qvel)
        return qpos, qvel

    def set_state(self, qpos: np.ndarray, qvel: np.ndarray) -> None:
        """Sets `qpos` `(num_envs, nq)` and `qvel` `(num_envs, nv)`, as Gymnasium's `set_state`."""
        self.core.set_state(np.ascontiguousarray(qpos, dtype=np.float64), np.ascontiguousarray(qvel, dtype=np.float64))


def check_id(env_id: str) -> None:
    """ValueError unless `env_id` is a fast id (`FAST_ENVS`) or registered with Gymnasium."""
    if env_id not in FAST_ENVS and env_id not in gym.registry:
        raise ValueError(
            f"unknown environment id {env_id!r}; fast ids: {sorted(FAST_ENVS)}, or any id registered with Gymnasium"
        )


def make(
    env_id: str,
    num_envs: int = 1,
    num_threads: int | None = None,
    seed: int | None = None,
    max_episode_steps: int | None = None,
) -> VectorEnv:
    """Makes a vector environment with SAME_STEP autoreset.

    Args:
        env_id: a fast id (`FAST_ENVS`) or any other registered Gymnasium id.
        num_envs: number of simulations, >= 1.
        num_threads: threads for the fast simulator; defaults to min(CPUs, num_envs).
        seed: seed of the first `reset()` without one (simulation i gets seed + i).
        max_episode_steps: time limit override in control steps.

    Returns:
        A `gymnasium.vector.VectorEnv`.
    """
    if not isinstance(num_envs, (int, np.integer)) or num_envs < 1:
        raise ValueError(f"num_envs must be an int >= 1, got {num_envs!r}")
    if num_threads is not None and (not isinstance(num_threads, (int, np.integer)) or num_threads < 1):
        raise ValueError(f"num_threads must be an int >= 1, got {num_threads!r}")
    check_id(env_id)
    if env_id in FAST_ENVS:
        return BatchVectorEnv(env_id, num_envs, num_threads, seed, max_episode_steps)
    kwargs = {} if max_episode_steps is None else {"max_episode_steps": max_episode_steps}
    env = gym.make_vec(
        env_id,
        num_envs=num_envs,
        vectorization_mode="sync",
        vector_kwargs={"autoreset_mode": AutoresetMode.SAME_STEP},
        **kwargs,
    )
    if seed is not None:
        env.reset(seed=seed)
    return env
