"""The peers our batch simulator is measured against, driven the same way.

Each peer is a callable stepping `nenv` environments with a given `(nenv, nact)` action
array, episodes ending and resetting by the task's own rules.
"""

from __future__ import annotations

import gymnasium as gym
import mujoco
import numpy as np
from mujoco import batch as mj_batch

from gail_fast import envs


class MujocoBatchPipeline:
    """`mujoco.batch.Batch` stepping the model, the task written in numpy around it.

    Covers Hopper-v5 and Humanoid-v5: the same observation, reward, termination, time
    limit and reset noise as the C++ tasks, vectorised over simulations. `Batch.step`
    does not run `mj_rnePostConstraint`, so Humanoid's contact forces stay zero here:
    that work is skipped, in the peer's favour. `tests/test_benchmark_peers.py` checks that,
    from the same states and actions, its observations, rewards, terminations and
    truncations are ours (contact forces and the contact cost aside).
    """

    def __init__(self, env_id: str, nenv: int, nthread: int, seed: int = 0) -> None:
        spec = envs.FAST_ENVS[env_id]
        self.env_id = env_id
        self.model = mujoco.MjModel.from_xml_path(str(spec.xml_path))
        self.frame_skip = 4 if env_id == "Hopper-v5" else 5
        self.dt = self.model.opt.timestep * self.frame_skip
        self.limit = spec.max_episode_steps
        self.nenv = nenv
        self.batch = mj_batch.Batch(self.model, nenv, nthread)
        self.qpos, self.qvel, self.ctrl = self.batch.qpos, self.batch.qvel, self.batch.ctrl
        if env_id == "Humanoid-v5":
            self.xipos = self.batch.bind("xipos")
            self.cinert = self.batch.bind("cinert")
            self.cvel = self.batch.bind("cvel")
            self.qfrc_actuator = self.batch.bind("qfrc_actuator")
            self.cfrc_ext = self.batch.bind("cfrc_ext")
            self.mass = self.model.body_mass / self.model.body_mass.sum()
        self.rng = np.random.default_rng(seed)
        self.elapsed = np.zeros(nenv, dtype=np.int64)
        self.reset(np.arange(nenv))

    def reset(self, ids: np.ndarray) -> None:
        scale = 5e-3 if self.env_id == "Hopper-v5" else 1e-2
        self.batch.reset(ids, stage=mujoco.mjtStage.mjSTAGE_NONE)
        self.qpos[ids] = self.model.qpos0 + self.rng.uniform(-scale, scale, (len(ids), self.model.nq))
        self.qvel[ids] = self.rng.uniform(-scale, scale, (len(ids), self.model.nv))
        self.batch.forward(ids)
        self.elapsed[ids] = 0

    def progress(self) -> np.ndarray:
        if self.env_id == "Hopper-v5":
            return self.qpos[:, 0].copy()
        return self.xipos[:, :, 0] @ self.mass

    def observe(self) -> np.ndarray:
        if self.env_id == "Hopper-v5":
            return np.concatenate([self.qpos[:, 1:], np.clip(self.qvel, -10, 10)], axis=1)
        n = self.nenv
        return np.concatenate(
            [
                self.qpos[:, 2:],
                self.qvel,
                self.cinert[:, 1:].reshape(n, -1),
                self.cvel[:, 1:].reshape(n, -1),
                self.qfrc_actuator[:, 6:],
                self.cfrc_ext[:, 1:].reshape(n, -1),
            ],
            axis=1,
        )

    def __call__(self, actions: np.ndarray):
        before = self.progress()
        self.ctrl[:] = actions
        self.batch.step(nstep=self.frame_skip)
        velocity = (self.progress() - before) / self.dt
        if self.env_id == "Hopper-v5":
            z, angle = self.qpos[:, 1], self.qpos[:, 2]
            state = np.concatenate([self.qpos[:, 2:], self.qvel], axis=1)
            healthy = (np.abs(state) < 100).all(axis=1) & (z > 0.7) & (np.abs(angle) < 0.2)
            reward = velocity + healthy - 1e-3 * np.square(actions).sum(axis=1)
        else:
            healthy = (self.qpos[:, 2] > 1.0) & (self.qpos[:, 2] < 2.0)
            contact = np.minimum(5e-7 * np.square(self.cfrc_ext).sum(axis=(1, 2)), 10.0)
            reward = 1.25 * velocity + 5.0 * healthy - 0.1 * np.square(actions).sum(axis=1) - contact
        obs = self.observe()
        self.elapsed += 1
        terminated = ~healthy
        truncated = self.elapsed >= self.limit
        ended = np.flatnonzero(terminated | truncated)
        final_obs = obs[ended]
        if len(ended):
            self.reset(ended)
            obs[ended] = self.observe()[ended]
        return obs, reward, terminated, truncated, final_obs


class GymnasiumSync:
    """Gymnasium's `SyncVectorEnv` on the same id, SAME_STEP autoreset."""

    def __init__(self, env_id: str, nenv: int, seed: int = 0) -> None:
        self.env = gym.make_vec(
            env_id,
            num_envs=nenv,
            vectorization_mode="sync",
            vector_kwargs={"autoreset_mode": gym.vector.AutoresetMode.SAME_STEP},
        )
        self.env.reset(seed=seed)

    def __call__(self, actions: np.ndarray):
        return self.env.step(actions)


class EnvPool:
    """EnvPool's own C++ implementation of the same Gymnasium task, synchronous."""

    def __init__(self, env_id: str, nenv: int, nthread: int, seed: int = 0) -> None:
        import envpool

        self.env = envpool.make_gymnasium(env_id, num_envs=nenv, batch_size=nenv, num_threads=nthread, seed=seed)
        self.env.reset()

    def __call__(self, actions: np.ndarray):
        return self.env.step(actions)
