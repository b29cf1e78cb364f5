"""The iteration scaffold every TRPO trainer shares: collect, update, log, checkpoint, progress.

A trainer reads as its algorithm; the loop keeps the run folder, resuming, timing,
checkpoints, learning curves and the progress bar:

    with TrainingLoop("gail", cfg, out, agent, collector, CURVES, extra_state) as loop:
        if resume:
            state = loop.resume()       # the agent restored; the rest of `state` is the trainer's
        for batch in loop.batches():    # rollouts of the current policy
            with loop.alone():          # the policy's step, on every core
                ...
            loop.collect_next()         # (optional) the next rollout starts beside
            ...                         # the rest of the update
            loop.log(batch, scalars)    # progress row, TensorBoard, checkpoint, progress bar

The trainer hands the loop a `Collector` (see `gail_fast.rollout`), so what steps the
environments (this process, or workers elsewhere) is not the trainer's business; the
loop takes it over and closes it.

A checkpoint holds the collector's state as the next iteration's rollout starts, so a
resumed run collects the rollout the interrupted one would have (the one `collect_next`
had started beside the update): with a collector that saves its state, a run killed and
resumed learns exactly what an uninterrupted one does.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import torch
from gymnasium import spaces
from tqdm import tqdm

from gail_fast import envs
from gail_fast.agent import Agent, TrainingConfig, planned_steps
from gail_fast.config import check_resumable, from_dict, to_dict
from gail_fast.rollout import Batch, Collector, RolloutCollector
from gail_fast.runs import Run, checkpoint, load_checkpoint


def progress_bar(total: int, desc: str) -> tqdm:
    """A progress bar in environment steps, quiet when `CI` is set."""
    return tqdm(total=total, desc=desc, unit="step", disable=bool(os.environ.get("CI")), dynamic_ncols=True)


@contextmanager
def policy_step_threads(cfg: TrainingConfig) -> Iterator[None]:
    """PyTorch on `cfg.policy_step_threads` threads, then back to `cfg.torch_threads`,
    which the rollout and the rest of the update share the cores with."""
    torch.set_num_threads(cfg.policy_step_threads)
    try:
        yield
    finally:
        torch.set_num_threads(cfg.torch_threads)


def make_collector(cfg: TrainingConfig) -> Collector:
    """The default collector: `cfg.num_envs` environments of `cfg.env` in this process, or
    with `cfg.workers`, in that many Ray workers (`gail_fast.workers`)."""
    if cfg.workers:
        from gail_fast.workers import RayCollector

        return RayCollector(cfg.env, cfg.num_envs, cfg.workers, cfg.num_threads or 1, cfg.ray_address)
    env = envs.make(cfg.env, num_envs=cfg.num_envs, num_threads=cfg.num_threads)
    if not isinstance(env.single_action_space, spaces.Box):
        env.close()
        raise ValueError(
            f"{cfg.env} has {type(env.single_action_space).__name__} actions; "
            "the Gaussian policy needs continuous (Box) ones"
        )
    return RolloutCollector(env)


class TrainingLoop:
    """Runs iterations until `cfg.total_steps` environment steps.

    A checkpoint (with the progress rows since the last) every `cfg.checkpoint_every`
    iterations and at the end; curves.png every `cfg.plot_every` seconds and at the end.
    """

    def __init__(
        self,
        algo: str,
        cfg: TrainingConfig,
        out: Path,
        agent: Agent,
        collector: Collector,
        curves: list[str],
        extra_state: Callable[[], dict[str, Any]] = dict,
        progress: tqdm | None = None,
    ) -> None:
        """
        Args:
            algo: the run's algorithm, saved in its config and checkpoints.
            cfg: the run's configuration.
            out: the run folder.
            agent: the learner, saved and restored by the loop.
            collector: what collects the batches; the loop closes it.
            curves: progress columns drawn in curves.png.
            extra_state: the trainer's own state for a checkpoint (tensors and plain types).
            progress: a progress bar to report to (else the loop shows its own).
        """
        self.algo, self.cfg, self.out = algo, cfg, Path(out)
        self.agent, self.collector, self.curves, self.extra_state = agent, collector, curves, extra_state
        self.iteration, self.global_step = 0, 0
        self.resume_state: dict[str, Any] | None = None
        self.own_bar = progress is None
        self.bar = progress if progress is not None else progress_bar(planned_steps(cfg), f"{algo} {cfg.env}")
        self.run: Run | None = None
        self._pending: Batch | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._next: Future[tuple[Batch, float]] | None = None
        # The collector as the next rollout starts, kept (in a list, as a collector may
        # save None) when that rollout starts early (collect_next) and a checkpoint is due
        # before it is taken.
        self._collector_state: list[dict[str, Any] | None] = []

    def __enter__(self) -> TrainingLoop:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._next is not None:
            # A rollout still running must end before its environments close.
            wait([self._next])
        if self._executor is not None:
            self._executor.shutdown()
        if self.own_bar:
            self.bar.close()
        if self.run is not None:
            self.run.close()
        self.collector.close()

    def resume(self) -> dict[str, Any]:
        """Restores the agent and the counters from the run folder's checkpoint.

        Returns:
            The checkpoint, for the trainer's own state.

        Raises:
            ValueError: if the checkpoint is another algorithm's, or was written with a
                configuration that differs from `cfg` in a field that cannot change.
        """
        state = load_checkpoint(self.out)
        if state.get("algo") != self.algo:
            raise ValueError(f"{self.out} holds a {state.get('algo')} run, not a {self.algo} run")
        try:
            check_resumable(from_dict(type(self.cfg), state["config"]), self.cfg)
        except ValueError as e:
            raise ValueError(f"{self.out}: {e}") from e
        self.agent.load_state_dict(state)
        self.iteration, self.global_step = int(state["iteration"]), int(state["global_step"])
        self.resume_state = state
        return state

    def batches(self) -> Iterator[Batch]:
        """Collects a batch per iteration; the trainer updates on it and calls `log`."""
        resumed = self.resume_state is not None
        self.run = Run(
            self.out,
            {"algo": self.algo, **to_dict(self.cfg)},
            self.iteration if resumed else None,
            self.global_step,
            self.resume_state.get("progress_rows") if resumed else None,
        )
        saved = self.resume_state.get("collector") if resumed else None
        if saved is not None and hasattr(self.collector, "load_state_dict"):
            try:
                self.collector.load_state_dict(saved)
            except ValueError as e:
                raise ValueError(f"{self.out}: the checkpoint's collector state does not fit: {e}") from None
        else:
            # Nothing saved to continue from: fresh episodes, from seeds not used before.
            self.collector.reset(self.cfg.seed + self.iteration * self.collector.nenv)
        self.bar.reset(total=planned_steps(self.cfg))
        self.bar.update(self.global_step)
        self._last_log = self._last_plot = time.perf_counter()
        while self.global_step < self.cfg.total_steps:
            if self._next is not None:
                batch, self._rollout_time = self._next.result()
                self._next = None
            else:
                batch, self._rollout_time = self._collect()
            self._pending = batch
            yield batch
            if self._pending is not None:
                raise RuntimeError("TrainingLoop: an iteration ended without log(batch, scalars)")
        if self.iteration % self.cfg.checkpoint_every:
            self._save()
        self.run.plot(self.curves)

    def _collect(self) -> tuple[Batch, float]:
        start = time.perf_counter()
        batch = self.collector.collect(self.agent.policy, self.cfg.nstep)
        return batch, time.perf_counter() - start

    def alone(self) -> AbstractContextManager[None]:
        """For the part of an iteration that nothing runs beside (the policy's step: the
        next rollout needs the new policy): `policy_step_threads`."""
        return policy_step_threads(self.cfg)

    def collect_next(self) -> None:
        """Starts the next iteration's rollout, with the policy as it is now, so that the
        rest of this iteration's update (what the rollout does not depend on: the value
        function, the discriminator) runs beside it. The policy must not change after."""
        if self._pending is None or self.global_step + self._pending.nstep * self._pending.nenv >= self.cfg.total_steps:
            return  # no next iteration
        if (self.iteration + 1) % self.cfg.checkpoint_every == 0:
            # This iteration's checkpoint resumes into the rollout starting now.
            self._collector_state = [self._collector_snapshot()]
        if self._executor is None:
            # OpenMP's thread count is per thread: unset, torch's ops in the new thread
            # would start a team of one thread per core and spin against the simulator.
            self._executor = ThreadPoolExecutor(
                max_workers=1,
                thread_name_prefix="rollout",
                initializer=torch.set_num_threads,
                initargs=(torch.get_num_threads(),),
            )
        self._next = self._executor.submit(self._collect)

    def log(self, batch: Batch, scalars: dict[str, float], **postfix: str) -> None:
        """Ends an iteration: a progress row and TensorBoard scalars (the episodes that
        ended in `batch`, its metrics, `scalars`, the loop's speed), a checkpoint when
        one is due, the progress bar (`postfix` beside the return and episode length)."""
        assert self.run is not None and batch is self._pending, "log() takes the batch batches() yielded"
        self._pending = None
        nsample = batch.nstep * batch.nenv
        self.iteration += 1
        self.global_step += nsample
        now = time.perf_counter()
        scalars = {
            **batch.episode_scalars(),
            **batch.metrics,
            **scalars,
            "charts/SPS": nsample / (now - self._last_log),
            "charts/rollout_SPS": nsample / self._rollout_time,
        }
        self._last_log = now
        self.run.log(self.iteration, self.global_step, scalars)
        if self.iteration % self.cfg.checkpoint_every == 0:
            self._save()
        if now - self._last_plot >= self.cfg.plot_every:
            self.run.plot(self.curves)
            self._last_plot = time.perf_counter()
        self.bar.update(nsample)
        self.bar.set_postfix(
            ret=f"{scalars['charts/episodic_return']:.0f}",
            len=f"{scalars['charts/episodic_length']:.0f}",  # the humanoid has no reward to show
            **postfix,
            refresh=False,
        )

    def _collector_snapshot(self) -> dict[str, Any] | None:
        save = getattr(self.collector, "state_dict", None)
        return save() if save is not None else None

    def _save(self) -> None:
        assert self.run is not None
        if self._next is not None and not self._collector_state:
            raise RuntimeError(
                "TrainingLoop: a checkpoint while a rollout runs, without the collector's state before it"
            )
        collector = self._collector_state[0] if self._next is not None else self._collector_snapshot()
        self._collector_state = []
        self.run.save(
            checkpoint(
                self.algo,
                self.cfg,
                self.iteration,
                self.global_step,
                self.agent.policy,
                collector=collector,
                **self.agent.state_dict(),
                **self.extra_state(),
            )
        )
