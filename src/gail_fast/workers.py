"""Rollout workers on a Ray cluster, behind the optional extra (`pip install ".[ray]"`).

`RayCollector` is a `Collector` whose environments live in W Ray actors
(`RolloutWorker`), each holding a contiguous share of the run's environments in a
`BatchEnv` with its own threads, and a copy of the policy. Per collect the driver puts
the policy into Ray's object store once; every worker reads it from there, collects its
share, and the driver joins the shares' batches, whose arrays it reads from the object
store. The learner (TRPO, discriminator, checkpoints, logs) stays in the driver.

Worker w holds the run's environments `first` to `first + n`, seeded, given their noise
and their actions exactly as the in-process collector does for those rows
(`gail_fast.rollout`): a seeded run collects the same batches with any number of workers.

The collector's state for a checkpoint is the in-process collector's for the whole run:
the workers' rows joined, and one noise generator (every worker draws the whole run's
noise and takes its rows, so theirs are alike). A run resumes from it with any number of
workers, or none, and continues as if it had not stopped.

A worker that dies (its process killed, its machine gone) is replaced by a new actor with
the same share; every environment then starts fresh episodes, seeded as a run resumed at
that iteration would be, and the iteration's rollouts are collected again. The learner
has not seen the lost ones, so the run loses only the episodes that were under way.

Nothing else in the package imports Ray; this module does so only when a
`RayCollector` is made.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
from types import ModuleType
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from gail_fast import envs
from gail_fast.nets import GaussianPolicy
from gail_fast.rollout import Batch, RolloutCollector, join_batches

RAY_EXTRA = 'pip install ".[ray]"'
MAX_REDOS = 3  # collects in a row that may lose a worker before the run gives up
START_TIMEOUT_S = 1800.0  # for new actors: a cluster without room would otherwise wait forever
START_WAIT_S = 60.0  # between notes that workers are still starting
ROW_KEYS = ("obs", "running_return", "running_length")  # a collector's state per environment, beside "sim"
CONNECT_TIMEOUT_S = 10.0  # Ray itself waits for an address that does not answer for minutes


def import_ray() -> ModuleType:
    """Ray, or a `ValueError` that names the extra to install."""
    try:
        import ray
    except ImportError as e:
        raise ValueError(f"--workers needs Ray, an optional extra: {RAY_EXTRA} ({e})") from e
    return ray


def check_reachable(address: str) -> None:
    """Raises `ValueError` unless something listens at `address` (`host:port`, or
    `ray://host:port`); "auto" and "local" are Ray's own to resolve."""
    if address in ("auto", "local"):
        return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"--ray-address {address}: expected HOST:PORT (as `ray start --head` prints it), or auto")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as e:
        raise ValueError(f"--ray-address {address}: nothing answers there ({e}); is the cluster started?") from e


def shares(nenv: int, nworker: int) -> list[tuple[int, int]]:
    """`(first, n)` of each worker's environments: contiguous, sizes differing by at most one."""
    if not 1 <= nworker <= nenv:
        raise ValueError(f"workers must be between 1 and num_envs ({nenv}), got {nworker}")
    size, extra = divmod(nenv, nworker)
    firsts = np.cumsum([0] + [size + (w < extra) for w in range(nworker)])
    return [(int(a), int(b - a)) for a, b in zip(firsts[:-1], firsts[1:])]


class RolloutWorker:
    """What one Ray actor holds: its share of the run's environments and a rollout collector
    for them. Plain Python; `RayCollector` makes it an actor."""

    def __init__(self, env_id: str, first_env: int, num_envs: int, total_envs: int, num_threads: int) -> None:
        # The policy's arithmetic takes one thread, beside the simulator's.
        torch.set_num_threads(1)
        # An error here is kept for `describe` to raise: the driver then gets it as a task
        # error with its cause, where an actor that dies in its constructor gives only text.
        self.error: Exception | None = None
        try:
            env = envs.make(env_id, num_envs=num_envs, num_threads=num_threads)
            self.collector = RolloutCollector(env, first_env=first_env, total_envs=total_envs)
        except Exception as e:
            self.error = e

    def describe(self) -> dict[str, Any]:
        if self.error is not None:
            raise self.error
        c = self.collector
        return {"pid": os.getpid(), "spaces": (c.observation_space, c.action_space), "dt": c.dt}

    def reset(self, seed: int) -> None:
        self.collector.reset(seed)

    def set_start_pool(self, pool: tuple[np.ndarray, np.ndarray, np.ndarray], fraction: float) -> None:
        self.collector.set_start_pool(*pool, fraction)

    def collect(self, policy: GaussianPolicy, nstep: int, deterministic: bool) -> Batch:
        return self.collector.collect(policy, nstep, deterministic)

    def state_dict(self) -> dict[str, Any] | None:
        return self.collector.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.collector.load_state_dict(state)

    def close(self) -> None:
        self.collector.close()


class RayCollector:
    """`num_envs` environments of `env_id` in `workers` Ray actors of `threads_per_worker`
    simulator threads each.

    Connects to the Ray cluster at `address`, or starts a local Ray for the run (closed
    with the collector); if this process is already connected to Ray, uses that.
    """

    def __init__(
        self, env_id: str, num_envs: int, workers: int, threads_per_worker: int = 1, address: str = ""
    ) -> None:
        self.shares = shares(num_envs, workers)
        envs.check_id(env_id)  # here, not as a worker that fails to start
        if threads_per_worker < 1:
            raise ValueError(f"threads_per_worker must be >= 1, got {threads_per_worker}")
        self.env_id, self.nenv, self.threads_per_worker = env_id, num_envs, threads_per_worker
        ray = self._ray = import_ray()
        self._own_ray = not ray.is_initialized()
        if self._own_ray:
            if address:
                check_reachable(address)
            try:
                if address:
                    ray.init(address=address, logging_level=logging.WARNING)
                else:
                    # The dashboard is not needed, and it would listen on a port.
                    cpus = max(os.cpu_count() or 1, workers * threads_per_worker)
                    ray.init(num_cpus=cpus, include_dashboard=False, logging_level=logging.WARNING)
            except (ConnectionError, RuntimeError, ValueError) as e:
                ray.shutdown()
                raise ValueError(f"--ray-address {address or '(local)'}: cannot start or reach Ray: {e}") from e
        self._workers: list[Any] = [None] * workers
        self.pids: list[int] = [0] * workers
        self.replaced = 0  # workers replaced after dying
        self._pool: Any = None
        self._next_seed: int | None = None  # the seed of fresh episodes at this point of the run
        try:
            cpus = ray.cluster_resources().get("CPU", 0)
            if workers * threads_per_worker > cpus:
                raise ValueError(
                    f"{workers} workers of {threads_per_worker} simulator threads need {workers * threads_per_worker} "
                    f"CPUs; the Ray cluster has {cpus:g}"
                )
            self._actor = ray.remote(num_cpus=threads_per_worker, max_restarts=0)(RolloutWorker)
            info = self._start(range(workers))[0]
        except BaseException:
            self.close()
            raise
        self.observation_space, self.action_space = info["spaces"]  # Box actions: the workers' collectors check
        self.dt = float(info["dt"])

    def _start(self, indices: range | list[int]) -> list[dict[str, Any]]:
        """Starts the workers `indices` (with the start pool, if set); returns their descriptions."""
        ray = self._ray
        for w in indices:
            first, n = self.shares[w]
            self._workers[w] = self._actor.remote(self.env_id, first, n, self.nenv, self.threads_per_worker)
        calls = [self._workers[w].describe.remote() for w in indices]
        pending, waited = calls, 0.0
        while pending:
            _, pending = ray.wait(pending, num_returns=len(pending), timeout=START_WAIT_S)
            waited += START_WAIT_S
            if pending and waited >= START_TIMEOUT_S:
                raise ConnectionError(
                    f"{len(pending)} Ray workers did not start within {START_TIMEOUT_S:.0f} s: "
                    "the cluster has no room for them, or its machines are too busy (see `ray status`)"
                )
            if pending:
                free = ray.available_resources().get("CPU", 0)
                tqdm.write(f"waiting for {len(pending)} Ray workers to start ({free:g} CPUs free)", file=sys.stderr)
        try:
            infos = ray.get(calls)
        except ray.exceptions.RayTaskError as e:  # the worker is up but could not make its environments
            message = f"a Ray worker could not make its {self.env_id} environments: {e.cause}"
            # A ValueError is a setting that does not fit (or an id unknown on that machine), as
            # the in-process collector would say it; anything else is the worker's machine.
            raise (ValueError if isinstance(e.cause, ValueError) else ConnectionError)(message) from None
        except ray.exceptions.RayActorError as e:
            raise ConnectionError(
                f"a Ray worker failed to start (is gail_fast installed on every machine of the cluster?): {e}"
            ) from e
        for w, info in zip(indices, infos):
            self.pids[w] = info["pid"]
        if self._pool is not None:
            ray.get([self._workers[w].set_start_pool.remote(*self._pool) for w in indices])
        return infos

    def reset(self, seed: int) -> None:
        """Starts new episodes everywhere; the run's environment i is seeded with seed + i."""
        self._ray.get([w.reset.remote(seed) for w in self._workers])
        self._next_seed = seed

    def set_start_pool(self, qpos: np.ndarray, qvel: np.ndarray, task_state: np.ndarray, fraction: float) -> None:
        self._pool = (self._ray.put((qpos, qvel, task_state)), float(fraction))
        self._ray.get([w.set_start_pool.remote(*self._pool) for w in self._workers])

    def collect(self, policy: GaussianPolicy, nstep: int, deterministic: bool = False) -> Batch:
        """`nstep` steps of every environment with `policy`; see the module's docs for
        what happens when a worker dies."""
        if self._next_seed is None:
            raise RuntimeError("RayCollector.collect before reset(seed)")
        ray = self._ray
        policy_ref = ray.put(policy)  # once, whatever the number of workers
        for attempt in range(MAX_REDOS + 1):
            calls = [w.collect.remote(policy_ref, nstep, deterministic) for w in self._workers]
            parts, lost = [], []
            for w, call in enumerate(calls):
                try:
                    parts.append(ray.get(call))
                except (ray.exceptions.RayActorError, ray.exceptions.ObjectLostError) as e:
                    lost.append((w, e))
            if not lost:
                self._next_seed += self.nenv
                return join_batches(parts)
            if attempt == MAX_REDOS:
                raise RuntimeError(f"Ray workers died in {MAX_REDOS + 1} collects in a row; last: {lost[0][1]}")
            self._replace([w for w, _ in lost])
        raise AssertionError("unreachable")

    def state_dict(self) -> dict[str, Any] | None:
        """The in-process collector's state for the run's environments (see the module's
        docs); None before `reset`."""
        if self._next_seed is None:
            return None
        parts = self._ray.get([w.state_dict.remote() for w in self._workers])
        if any(part is None for part in parts):
            return None
        joined = {key: torch.cat([part[key] for part in parts]) for key in ROW_KEYS}
        joined["sim"] = {key: torch.cat([part["sim"][key] for part in parts]) for key in parts[0]["sim"]}
        return joined | {"generator": parts[0]["generator"], "next_seed": parts[0]["next_seed"]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continues from a `state_dict` of this collector or of the in-process one, with
        any number of workers. A ValueError names what does not fit."""
        if not isinstance(state, dict) or not isinstance(state.get("sim"), dict):
            raise ValueError("the collector's state must be a dict with the simulator's state under 'sim'")
        rows = {key: state.get(key) for key in ROW_KEYS} | {f"sim {k}": v for k, v in state["sim"].items()}
        for key, value in rows.items():
            if not isinstance(value, torch.Tensor) or value.ndim == 0 or len(value) != self.nenv:
                got = f"shape {tuple(value.shape)}" if isinstance(value, torch.Tensor) else type(value).__name__
                raise ValueError(f"the collector's {key} must have a row per environment ({self.nenv}), got {got}")
        calls = []
        for w, (first, n) in zip(self._workers, self.shares):
            part = {key: state[key][first : first + n] for key in ROW_KEYS}
            part["sim"] = {key: value[first : first + n] for key, value in state["sim"].items()}
            calls.append(w.load_state_dict.remote(part | {"generator": state.get("generator")}))
        try:
            self._ray.get(calls)
        except self._ray.exceptions.RayTaskError as e:
            if isinstance(e.cause, ValueError):  # the worker's check of its part
                raise ValueError(str(e.cause)) from None
            raise
        next_seed = state.get("next_seed")
        # A state saved without it (by the in-process collector): a seed drawn from the saved noise generator's stream.
        self._next_seed = int(next_seed) if isinstance(next_seed, int) else self._seed_from(state["generator"])

    @staticmethod
    def _seed_from(generator_state: torch.Tensor) -> int:
        generator = torch.Generator()
        generator.set_state(generator_state)
        return int(torch.randint(2**31 - 1, (1,), generator=generator))

    def _replace(self, lost: list[int]) -> None:
        """New actors for the workers `lost`, then fresh episodes everywhere, seeded as a run
        resumed at this iteration would seed them."""
        for w in lost:
            tqdm.write(
                f"Ray worker {w} (pid {self.pids[w]}, environments {self.shares[w][0]}..{sum(self.shares[w])}) died; "
                "replacing it and collecting this iteration's rollouts again from fresh episodes",
                file=sys.stderr,
            )
            try:
                self._ray.kill(self._workers[w])
            except Exception:  # it is gone either way
                pass
        self._start(lost)
        self.replaced += len(lost)
        assert self._next_seed is not None
        self.reset(self._next_seed)

    def close(self) -> None:
        """Ends the workers, and the local Ray if this collector started it."""
        ray = self._ray
        for w in getattr(self, "_workers", []):
            if w is not None:
                try:
                    ray.kill(w)
                except Exception:  # closing what may already be gone
                    pass
        self._workers = []
        if self._own_ray and ray.is_initialized():
            ray.shutdown()
        self._own_ray = False
