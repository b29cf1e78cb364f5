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
import fcntl
import io
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


def checkpoint(
    algo: str,
    config: Any,
    iteration: int,
    global_step: int,
    policy,
    collector: dict[str, Any] | None = None,
    **state: Any,
) -> dict[str, Any]:
    """The one layout of a checkpoint: what every trainer writes and `load_policy` reads.

    Tensors and plain Python types only, so that it loads with `weights_only=True`.

    Args:
        algo: "expert", "gail", "bc", ...
        config: the run's configuration dataclass (with an `env` field).
        iteration, global_step: the iterations and environment steps it holds.
        policy: the `GaussianPolicy`, stored with its architecture.
        collector: the collector's state as iteration + 1's rollout starts
            (`Collector.state_dict`: simulators, pending observations, generators,
            running episodes), stored under "collector" when given.
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
        **({"collector": collector} if collector is not None else {}),
        **state,
    }


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    atomic_write_bytes(path, lambda f: torch.save(state, f))


def load_checkpoint(path: str | Path, env_id: str | None = None) -> dict[str, Any]:
    """Loads a checkpoint file, or the latest one of a run folder, without unpickling code.

    The file must be a zip archive as `torch.save` writes it (members stored, checksums
    right) whose pickle holds only tensors and plain types and the "gail_fast.checkpoint"
    marker; with `env_id`, it must be a checkpoint for that environment. Anything else is
    a ValueError naming the file and the problem (FileNotFoundError for no file).
    """
    import pickle

    path = Path(path)
    if path.is_dir():
        path = path / "checkpoints" / CHECKPOINT
    if not path.exists():
        raise FileNotFoundError(f"no checkpoint at {path}")
    problem = _archive_problem(path)
    if problem:
        raise ValueError(f"{path} is not a gail_fast checkpoint: {problem}")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        raise ValueError(
            f"{path} is not a gail_fast checkpoint: it holds more than tensors and plain Python types "
            f"({_torch_reason(e)})"
        ) from None
    except Exception as e:  # torch's reader raises RuntimeError, KeyError, ... on damaged records
        raise ValueError(f"{path} is not a readable gail_fast checkpoint: {_torch_reason(e)}") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ValueError(f"{path} is not a gail_fast checkpoint (no 'format' marker)")
    if env_id is not None and state.get("env_id") != env_id:
        raise ValueError(f"{path} is a checkpoint for {state.get('env_id')!r}, not {env_id!r}")
    return state


def _archive_problem(path: Path) -> str | None:
    """What keeps `path` from being a checkpoint archive as torch.save writes it, or None.

    Its members are stored uncompressed, so what torch reads is no larger than the file;
    their checksums are verified here (torch's reader does not).
    """
    import zipfile

    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError as e:
        return f"it cannot be read ({e.strerror or e})"
    if head != b"PK\x03\x04":
        what = "an empty file" if not head else "random bytes, a legacy torch file or another format"
        return f"not a zip archive as torch.save writes ({what})"
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            for info in infos:
                if info.compress_type != zipfile.ZIP_STORED or info.flag_bits & 0x1:
                    return (
                        f"its member {info.filename} is compressed or encrypted; torch.save stores members as they are"
                    )
            roots = {info.filename.split("/")[0] for info in infos}
            if len(roots) != 1 or f"{roots.pop()}/data.pkl" not in archive.NameToInfo:
                return "a zip archive without the one folder holding data.pkl that torch.save writes"
            damaged = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError) as e:
        return f"a truncated or damaged zip archive ({e})"
    if damaged is not None:
        return f"its member {damaged} is damaged (checksum mismatch)"
    return None


def _torch_reason(e: BaseException) -> str:
    """The part of a torch.load error that names the problem, without its advice."""
    text = str(e)
    if "WeightsUnpickler error:" in text:
        text = text.split("WeightsUnpickler error:", 1)[1].split("Check the documentation", 1)[0]
    text = " ".join(text.split())
    for advice in (" This is an internal miniz error", " Please use `torch.serialization"):
        text = text.split(advice, 1)[0]
    text = text or type(e).__name__
    return text if len(text) <= 300 else text[:300] + "..."


def read_progress(file: Path) -> list[dict[str, float]]:
    """The rows of a run's progress.csv (none if there is no file yet), each with the
    columns it has a value in."""
    if not file.exists():
        return []
    text = file.read_text()
    # A row cut short by a kill mid-write is dropped (a checkpoint holds it).
    text = text[: text.rfind("\n") + 1]
    return [{k: float(v) for k, v in row.items() if v} for row in csv.DictReader(io.StringIO(text))]


class Run:
    """A run folder being written: progress rows, scalars and checkpoints.

    Progress rows reach progress.csv with the checkpoint that holds their iteration
    (`save`), so the file never runs ahead of the checkpoint; rows logged since the
    last checkpoint wait in memory (TensorBoard has them at once).
    """

    def __init__(
        self,
        path: Path,
        config: dict[str, Any],
        resume_iteration: int | None = None,
        resume_step: int = 0,
        resume_rows: list[dict[str, float]] | None = None,
    ) -> None:
        """Starts a run folder, or reopens one whose checkpoint holds `resume_iteration`
        completed iterations, `resume_step` environment steps and the progress rows
        `resume_rows` it was saved with."""
        self.path = Path(path)
        if self.path.exists() and not self.path.is_dir():
            raise ValueError(f"{self.path} is a file; a run folder is a directory")
        self.path.mkdir(parents=True, exist_ok=True)
        # One writer per run folder: a second process gets an error, not a mixed-up run.
        self._lock = open(self.path / ".lock", "a")  # held until close()
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            raise ValueError(f"{self.path} is being written by another process") from None
        (self.path / "checkpoints").mkdir(exist_ok=True)
        # Temporary files of atomic writes a kill interrupted: nobody else writes here.
        for stale in [*self.path.glob("*.tmp"), *(self.path / "checkpoints").glob("*.tmp")]:
            stale.unlink(missing_ok=True)
        if resume_iteration is None:
            atomic_write_bytes(self.path / "config.json", lambda f: f.write(json.dumps(config, indent=2).encode()))
            rows = []
        else:
            # The rows the checkpoint holds: a resumed run redoes the iterations after it.
            rows = [r for r in read_progress(self.path / "progress.csv") if r.get("iteration", 0) <= resume_iteration]
            # A kill between the checkpoint and its rows' write left them in the checkpoint only.
            done = max((r["iteration"] for r in rows), default=0)
            rows += [r for r in resume_rows or [] if done < r["iteration"] <= resume_iteration]
        self.rows: list[dict[str, float]] = []
        self._keys: list[str] = []
        self._pending: list[dict[str, float]] = []
        self._write_all(rows)
        from torch.utils.tensorboard import SummaryWriter

        # TensorBoard drops the events a crashed run wrote after its checkpoint.
        self.writer = SummaryWriter(str(self.path), purge_step=resume_step if resume_iteration is not None else None)

    @property
    def checkpoint_path(self) -> Path:
        return self.path / "checkpoints" / CHECKPOINT

    def _write_all(self, rows: list[dict[str, float]]) -> None:
        """Rewrites progress.csv atomically with `rows`, their columns in first-seen order."""
        keys: list[str] = []
        for r in rows:
            keys += [k for k in r if k not in keys]
        text = "".join(self._line(r, keys) for r in rows)
        header = ",".join(keys) + "\n" if keys else ""
        atomic_write_bytes(self.path / "progress.csv", lambda f: f.write((header + text).encode()))
        self.rows, self._keys = list(rows), keys

    @staticmethod
    def _line(row: dict[str, float], keys: list[str]) -> str:
        return ",".join(repr(row[k]) if k in row else "" for k in keys) + "\n"

    def log(self, iteration: int, global_step: int, scalars: dict[str, float]) -> None:
        """Records a progress row and writes the scalars to TensorBoard (tag = key); the
        row reaches progress.csv with the next `save`."""
        row = {"iteration": float(iteration), "global_step": float(global_step)}
        for key, value in scalars.items():
            if value == value:  # NaN means "nothing this iteration"
                self.writer.add_scalar(key, value, global_step)
            row[key] = float(value)
        self._pending.append(row)

    def save(self, state: dict[str, Any] | None = None) -> None:
        """Writes the checkpoint `state` (if any), then the progress rows logged since
        the last save. The checkpoint carries those rows too, so that a kill between
        the two writes loses none."""
        if state is not None:
            save_checkpoint(self.checkpoint_path, {**state, "progress_rows": self._pending})
        rows, self._pending = self._pending, []
        if not rows:
            return
        if any(k not in self._keys for r in rows for k in r) or not self._keys:
            self._write_all(self.rows + rows)  # a new column: the header changes
            return
        with open(self.path / "progress.csv", "a") as f:
            f.write("".join(self._line(r, self._keys) for r in rows))
            f.flush()
            os.fsync(f.fileno())
        self.rows += rows

    @property
    def all_rows(self) -> list[dict[str, float]]:
        """Every progress row, those not yet saved included."""
        return self.rows + self._pending

    def plot(self, keys: list[str]) -> None:
        """Draws the given progress columns against env steps into curves.png."""
        # A bare Figure, not pyplot: no global state, and a second faster to import.
        from matplotlib.figure import Figure

        rows = self.all_rows
        keys = [k for k in keys if any(k in r for r in rows)]
        if not keys:
            return
        fig = Figure(figsize=(7, 2.6 * len(keys)))
        axes = fig.subplots(len(keys), 1, squeeze=False)
        for ax, key in zip(axes[:, 0], keys):
            pts = [(r["global_step"], r[key]) for r in rows if key in r and r[key] == r[key]]
            if pts:
                ax.plot(*zip(*pts))
            ax.set_ylabel(key.split("/")[-1])
            ax.grid(alpha=0.3)
        axes[-1, 0].set_xlabel("environment steps")
        fig.suptitle(self.path.name, fontsize=9)
        fig.tight_layout()
        atomic_write_bytes(self.path / "curves.png", lambda f: fig.savefig(f, format="png", dpi=90))

    def close(self) -> None:
        self.writer.close()
        self._lock.close()  # and with it the lock


def policy_state(policy) -> dict[str, Any]:
    """What a checkpoint stores of a policy: its architecture and its tensors."""
    return {
        "arch": {"nobs": policy.nobs, "nact": policy.nact, "hidden": list(policy.hidden)},
        "state": policy.state_dict(),
    }


def load_policy(
    path: str | Path,
    env_id: str | None = None,
    *,
    nobs: int | None = None,
    nact: int | None = None,
    check_env: bool = False,
):
    """Returns (policy, env_id, checkpoint) from a checkpoint file or run folder.

    The policy's architecture must match its tensors, which must be finite. With
    `env_id`, the checkpoint must be for that environment; with `nobs`/`nact`, the policy
    must take and give that many numbers; with `check_env`, the checkpoint's environment is
    made (one simulation) and its observation and action sizes must be the policy's.
    Anything else is a ValueError naming the file.
    """
    from gail_fast.nets import GaussianPolicy

    state = load_checkpoint(path, env_id)

    def unusable(problem: str) -> ValueError:
        return ValueError(f"checkpoint {path} holds no usable policy: {problem}")

    entry = state.get("policy")
    if not (isinstance(entry, dict) and isinstance(entry.get("arch"), dict) and isinstance(entry.get("state"), dict)):
        raise unusable("no 'policy' entry with 'arch' and 'state'")
    arch, tensors = entry["arch"], entry["state"]
    is_size = lambda n: type(n) is int and 1 <= n <= 1 << 24  # noqa: E731
    hidden = arch.get("hidden")
    if not (
        is_size(arch.get("nobs"))
        and is_size(arch.get("nact"))
        and isinstance(hidden, (list, tuple))
        and len(hidden) <= 64
        and all(is_size(h) for h in hidden)
    ):
        raise unusable(f"its architecture {arch!r} is not sizes nobs, nact and a list of hidden widths")
    saved_env = state.get("env_id")
    if not isinstance(saved_env, str):
        raise unusable(f"its env_id is {saved_env!r}, not an environment id")
    with torch.device("meta"):  # shapes without memory: the tensors must match them
        expected = GaussianPolicy(arch["nobs"], arch["nact"], tuple(hidden)).state_dict()
    missing, unexpected = sorted(expected.keys() - tensors.keys()), sorted(tensors.keys() - expected.keys(), key=str)
    if missing or unexpected:
        raise unusable(f"its tensors lack {missing} and have extra {unexpected}")
    for name, ref in expected.items():
        t = tensors[name]
        if not isinstance(t, torch.Tensor) or t.shape != ref.shape or not t.dtype.is_floating_point:
            got = f"shape {tuple(t.shape)} of {t.dtype}" if isinstance(t, torch.Tensor) else type(t).__name__
            raise unusable(f"{name} should be a float tensor of shape {tuple(ref.shape)}, got {got}")
        if t.numel() * t.element_size() > t.untyped_storage().nbytes():  # a view stretched over too little data
            raise unusable(f"{name} has more elements than bytes stored for it")
        if not torch.isfinite(t).all():
            raise unusable(f"{name} holds NaN or inf")
    nobs_saved, nact_saved = arch["nobs"], arch["nact"]
    if (nobs is not None and nobs != nobs_saved) or (nact is not None and nact != nact_saved):
        raise ValueError(
            f"checkpoint {path}: its policy takes {nobs_saved} observations and gives {nact_saved} actions; "
            f"{nobs} and {nact} are needed"
        )
    if check_env:
        _check_env(path, saved_env, nobs_saved, nact_saved)
    policy = GaussianPolicy(nobs_saved, nact_saved, tuple(hidden))
    policy.load_state_dict(tensors)
    policy.eval()
    return policy, saved_env, state


MODEL_FILES = ("config.json", "progress.csv", "curves.png")


def export_model(run: str | Path, dest: str | Path) -> Path:
    """Writes a run's final policy as a small model folder that `load_policy`, the
    evaluator and the viewer read as they read a run folder: its checkpoint with the
    policy (normaliser included) and the discriminator only (no value function,
    optimisers or replay), and the run's config, progress log and curves."""
    import shutil

    run, dest = Path(run), Path(dest)
    _, _, state = load_policy(run)  # a usable policy, or a ValueError naming the run
    kept = ("format", "algo", "env_id", "config", "iteration", "global_step", "policy", "discriminator")
    (dest / "checkpoints").mkdir(parents=True, exist_ok=True)
    save_checkpoint(dest / "checkpoints" / CHECKPOINT, {k: state[k] for k in kept if k in state})
    for name in MODEL_FILES:
        if (run / name).exists():
            shutil.copyfile(run / name, dest / name)
    return dest


def _check_env(path: str | Path, env_id: str, nobs: int, nact: int) -> None:
    """The checkpoint's environment exists here and has the policy's sizes."""
    from gail_fast import envs

    try:
        env = envs.make(env_id, num_envs=1)
    except Exception as e:  # an unknown id, or Gymnasium failing to build one
        raise ValueError(f"checkpoint {path} is for {env_id!r}, which cannot be made here: {e}") from None
    try:
        obs_shape, act_shape = env.single_observation_space.shape, env.single_action_space.shape
    finally:
        env.close()
    if obs_shape != (nobs,) or act_shape != (nact,):
        raise ValueError(
            f"checkpoint {path}: its policy takes {nobs} observations and gives {nact} actions; "
            f"{env_id} has observations of shape {obs_shape} and actions of shape {act_shape}"
        )
