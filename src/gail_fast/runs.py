"""Run folders: config, progress log, TensorBoard scalars, atomic checkpoints, curves.

runs/<env>__<algo>__<seed>__<time>/
    config.json          the full configuration, saved before training starts
    progress.csv         one row per iteration
    events.out.tfevents.*  TensorBoard scalars (charts/, losses/, disc/ ...)
    checkpoints/latest.pt  tensors and plain Python types only (layout: `checkpoint`)
    curves.png           learning curves, redrawn as training goes
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

CHECKPOINT = "latest.pt"
FORMAT = "gail_fast.checkpoint"


def default_run_dir(env_id: str, algo: str, seed: int) -> Path:
    return Path("runs") / f"{env_id}__{algo}__{seed}__{time.strftime('%Y%m%d-%H%M%S')}"


def atomic_write_bytes(path: Path, write) -> None:
    """Writes through `write(file)` to a temporary file, then renames it over `path`, so a
    crash leaves either the old file or the new one, never a torn one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def checkpoint(algo: str, config: Any, iteration: int, global_step: int, policy, **state: Any) -> dict[str, Any]:
    """The one layout of a checkpoint: what every trainer writes and `load_policy` reads.

    Tensors and plain Python types only, so that it loads with `weights_only=True`.

    Args:
        algo: "expert", "gail", "bc", ...
        config: the run's configuration dataclass (with an `env` field).
        iteration, global_step: the iterations and environment steps it holds.
        policy: the `GaussianPolicy`, stored with its architecture.
        **state: whatever else the trainer needs to resume (optimisers, RNG states,
            the discriminator, ...).
    """
    from gail_fast.config import to_dict

    return {
        "format": FORMAT,
        "algo": algo,
        "env_id": config.env,
        "config": to_dict(config),
        "iteration": iteration,
        "global_step": global_step,
        "policy": policy_state(policy),
        **state,
    }


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    atomic_write_bytes(path, lambda f: torch.save(state, f))


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Loads a checkpoint file, or the latest one of a run folder, without unpickling code."""
    path = Path(path)
    if path.is_dir():
        path = path / "checkpoints" / CHECKPOINT
    if not path.exists():
        raise FileNotFoundError(f"no checkpoint at {path}")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:
        raise ValueError(f"{path} is not a gail_fast checkpoint: {e}") from e
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ValueError(f"{path} is not a gail_fast checkpoint (no 'format' marker)")
    return state


class Run:
    """A run folder being written: progress rows, scalars and checkpoints."""

    def __init__(
        self, path: Path, config: dict[str, Any], resume_iteration: int | None = None, resume_step: int = 0
    ) -> None:
        """Starts a run folder, or reopens one whose checkpoint holds `resume_iteration`
        completed iterations and `resume_step` environment steps."""
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        (self.path / "checkpoints").mkdir(exist_ok=True)
        if resume_iteration is None:
            atomic_write_bytes(self.path / "config.json", lambda f: f.write(json.dumps(config, indent=2).encode()))
            self._truncate_progress(0)
        else:
            self._truncate_progress(resume_iteration)
        from torch.utils.tensorboard import SummaryWriter

        # TensorBoard drops the events a crashed run wrote after its checkpoint.
        self.writer = SummaryWriter(str(self.path), purge_step=resume_step if resume_iteration is not None else None)
        self.rows = self._read_progress()

    @property
    def checkpoint_path(self) -> Path:
        return self.path / "checkpoints" / CHECKPOINT

    def _read_progress(self) -> list[dict[str, float]]:
        file = self.path / "progress.csv"
        if not file.exists():
            return []
        with open(file, newline="") as f:
            return [{k: float(v) for k, v in row.items() if v != ""} for row in csv.DictReader(f)]

    def _truncate_progress(self, iteration: int) -> None:
        """Keeps the rows of iterations 1..`iteration`, those the checkpoint holds; a
        resumed run redoes the rest."""
        rows = [r for r in self._read_progress() if r.get("iteration", 0) <= iteration]
        self._write_rows(rows)

    def _write_rows(self, rows: list[dict[str, float]]) -> None:
        keys: list[str] = []
        for r in rows:
            keys += [k for k in r if k not in keys]

        def write(f):
            text = []
            if keys:
                text.append(",".join(keys))
                text += [",".join(repr(r[k]) if k in r else "" for k in keys) for r in rows]
            f.write(("\n".join(text) + "\n" if text else "").encode())

        atomic_write_bytes(self.path / "progress.csv", write)

    def log(self, iteration: int, global_step: int, scalars: dict[str, float]) -> None:
        """Appends a progress row and writes the scalars to TensorBoard (tag = key)."""
        row = {"iteration": float(iteration), "global_step": float(global_step)}
        for key, value in scalars.items():
            if value == value:  # NaN means "nothing this iteration"
                self.writer.add_scalar(key, value, global_step)
            row[key] = float(value)
        self.rows.append(row)
        self._write_rows(self.rows)

    def plot(self, keys: list[str]) -> None:
        """Draws the given progress columns against env steps into curves.png."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        keys = [k for k in keys if any(k in r for r in self.rows)]
        if not keys:
            return
        fig, axes = plt.subplots(len(keys), 1, figsize=(7, 2.6 * len(keys)), squeeze=False)
        for ax, key in zip(axes[:, 0], keys):
            pts = [(r["global_step"], r[key]) for r in self.rows if key in r and r[key] == r[key]]
            if pts:
                ax.plot(*zip(*pts))
            ax.set_ylabel(key.split("/")[-1])
            ax.grid(alpha=0.3)
        axes[-1, 0].set_xlabel("environment steps")
        fig.suptitle(self.path.name, fontsize=9)
        fig.tight_layout()
        atomic_write_bytes(self.path / "curves.png", lambda f: fig.savefig(f, format="png", dpi=90))
        plt.close(fig)

    def close(self) -> None:
        self.writer.close()


def policy_state(policy) -> dict[str, Any]:
    """What a checkpoint stores of a policy: its architecture and its tensors."""
    return {
        "arch": {"nobs": policy.nobs, "nact": policy.nact, "hidden": list(policy.hidden)},
        "state": policy.state_dict(),
    }


def load_policy(path: str | Path):
    """Returns (policy, env_id, checkpoint) from a checkpoint file or run folder."""
    from gail_fast.nets import GaussianPolicy

    state = load_checkpoint(path)
    try:
        arch = state["policy"]["arch"]
        policy = GaussianPolicy(int(arch["nobs"]), int(arch["nact"]), tuple(arch["hidden"]))
        policy.load_state_dict(state["policy"]["state"])
        env_id = str(state["env_id"])
    except (KeyError, TypeError, RuntimeError) as e:
        raise ValueError(f"checkpoint {path} holds no usable policy: {e}") from e
    policy.eval()
    return policy, env_id, state
