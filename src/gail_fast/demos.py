"""Demonstration datasets: one documented `.npz` format, loaded without pickle.

Format (version 2), episodes concatenated along the first axis:

    format          str   "gail_fast.demos"
    version         int   2 (version 1 files, which have no qpos/qvel, still load)
    env_id          str   the environment the demonstrations are for
    source          str   where they came from (a checkpoint, a mocap clip, ...)
    episode_lengths (n_ep,) int64, T_i transitions of episode i
    obs             (sum(T_i + 1), nobs) float64: every observation, the last included;
                    absent for motion capture, which has features but no observations
    actions         (sum(T_i), nact) float64, absent for state-only demonstrations
    rewards         (sum(T_i),) float64, absent where there is no reward
    terminated      (n_ep,) bool, the episode ended in a terminal state
    truncated       (n_ep,) bool, the episode was cut by a time limit
    returns         (n_ep,) float64, absent where there is no reward
    features        (sum(T_i + 1), nfeat) float64, pose features z_t (optional where obs is
                    present)
    qpos            (sum(T_i + 1), nq) float64, optional (version 2): the simulator's
                    positions at every frame, rows aligned with obs/features, e.g. a
                    motion-capture clip retargeted onto the humanoid
    qvel            (sum(T_i + 1), nv) float64, with qpos: the velocities at every frame

A frame's time is its index in its episode times the environment's control interval
(`env_id` fixes it), so the format stores no frame rate or phase.

Loading reads every member's .npy header first (dtype, dimensions, rows against
`episode_lengths`, size against the archive's) and refuses, before reading any array, a
file whose arrays would take more than `MAX_BYTES` (1 GiB) unpacked; arrays that are
not finite are refused too. Each problem is a ValueError naming the file.

CLI:
    python -m gail_fast.demos record RUN_OR_CHECKPOINT --episodes 25 --out FILE
    python -m gail_fast.demos info FILE
"""

from __future__ import annotations

import argparse
import io
import math
import struct
import sys
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gail_fast.config import cli_errors

FORMAT, VERSION = "gail_fast.demos", 2
READABLE_VERSIONS = (1, 2)
STATE_FIELDS = ("qpos", "qvel")  # new in version 2
# A file whose arrays would take more memory than this, unpacked, is refused before any is
# read (a zip bomb or a header claiming more than the file holds); far above any dataset here.
MAX_BYTES = 2**30
MAX_MEMBERS = 64

# Per array: dtype kinds, dimensions, and what its rows count ("episodes"; "frames",
# sum(T_i + 1); "transitions", sum(T_i)); scalars have no rows.
FIELDS: dict[str, tuple[str, int, str | None]] = {
    "format": ("U", 0, None),
    "version": ("iu", 0, None),
    "env_id": ("U", 0, None),
    "source": ("U", 0, None),
    "episode_lengths": ("iu", 1, "episodes"),
    "terminated": ("b", 1, "episodes"),
    "truncated": ("b", 1, "episodes"),
    "returns": ("f", 1, "episodes"),
    "obs": ("f", 2, "frames"),
    "actions": ("f", 2, "transitions"),
    "rewards": ("f", 1, "transitions"),
    "features": ("f", 2, "frames"),
    "qpos": ("f", 2, "frames"),
    "qvel": ("f", 2, "frames"),
}
REQUIRED = ("format", "version", "env_id", "source", "episode_lengths", "terminated", "truncated")
KIND_NAMES = {
    "U": ("string", "strings"),
    "iu": ("integer", "integers"),
    "b": ("bool", "bools"),
    "f": ("float", "floats"),
}


def check_field(name: str, shape: tuple[int, ...], dtype: np.dtype) -> str | None:
    """What is wrong with an array of `shape` and `dtype` as the field `name`, or None."""
    kinds, ndim, _ = FIELDS[name]
    if dtype.kind not in kinds or len(shape) != ndim:
        one, many = KIND_NAMES[kinds]
        what = f"a single {one}" if ndim == 0 else f"a {ndim}-D array of {many}"
        return f"{name} must be {what}, got shape {shape} of {dtype}"
    return None


def listing(values: np.ndarray, noun: str = "episodes") -> str:
    """The first few values of a long array: `[3, 5, ... (1000 episodes)]`."""
    text = str(values[:8].tolist())
    return text if len(values) <= 8 else text[:-1] + f", ... ({len(values)} {noun})]"


def row_counts(lengths: np.ndarray) -> dict[str, int]:
    """Rows each kind of array needs, summed exactly (Python ints: no overflow)."""
    ntrans = sum(lengths.tolist())
    return {"episodes": len(lengths), "transitions": ntrans, "frames": ntrans + len(lengths)}


@dataclass(frozen=True)
class Demonstrations:
    """Episodes of demonstrations; see the module docs for the shapes."""

    env_id: str
    source: str
    episode_lengths: np.ndarray
    obs: np.ndarray | None
    terminated: np.ndarray
    truncated: np.ndarray
    actions: np.ndarray | None = None
    rewards: np.ndarray | None = None
    features: np.ndarray | None = None
    qpos: np.ndarray | None = None
    qvel: np.ndarray | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.env_id, str) or not isinstance(self.source, str):
            raise ValueError(f"env_id and source must be strings, got {self.env_id!r} and {self.source!r}")
        arrays = {
            name: getattr(self, name)
            for name in ("episode_lengths", "terminated", "truncated", "obs", "actions", "rewards", "features")
            + STATE_FIELDS
            if getattr(self, name) is not None
        }
        for name, array in arrays.items():
            if not isinstance(array, np.ndarray):
                raise ValueError(f"{name} must be a numpy array, got a {type(array).__name__}")
            problem = check_field(name, array.shape, array.dtype)
            if problem:
                raise ValueError(problem)
        lengths = self.episode_lengths
        if len(lengths) == 0:
            raise ValueError("demonstrations need at least one episode")
        if (lengths < 1).any():
            raise ValueError(f"every episode needs at least one transition, got lengths {listing(lengths)}")
        if self.obs is None and self.features is None:
            raise ValueError("demonstrations need observations, features or both")
        if (self.qpos is None) != (self.qvel is None):
            raise ValueError("qpos and qvel come together: a simulator state needs both")
        rows = row_counts(lengths)
        for name, array in arrays.items():
            need = rows[FIELDS[name][2]]
            if array.shape[0] != need:
                raise ValueError(f"{name} has {array.shape[0]} rows; episode_lengths {listing(lengths)} need {need}")
        for name in ("obs", "actions", "rewards", "features", *STATE_FIELDS):
            array = arrays.get(name)
            if array is not None and not np.isfinite(array).all():
                bad = np.flatnonzero(~np.isfinite(array.reshape(len(array), -1)).all(axis=1))
                raise ValueError(
                    f"{name} must be a finite {array.ndim}-D array; NaN or inf in rows {listing(bad, 'rows')}"
                )

    @property
    def num_episodes(self) -> int:
        return len(self.episode_lengths)

    @property
    def returns(self) -> np.ndarray | None:
        if self.rewards is None:
            return None
        return np.add.reduceat(self.rewards, np.r_[0, np.cumsum(self.episode_lengths)[:-1]])

    def episode_slices(self) -> list[tuple[slice, slice]]:
        """Per episode, (rows of obs/features, rows of actions/rewards)."""
        out, o, t = [], 0, 0
        for n in self.episode_lengths.tolist():
            out.append((slice(o, o + n + 1), slice(t, t + n)))
            o, t = o + n + 1, t + n
        return out

    def take(self, n: int) -> Demonstrations:
        """The first `n` episodes."""
        if not 1 <= n <= self.num_episodes:
            raise ValueError(f"cannot take {n} of {self.num_episodes} episodes")
        o_end, t_end = self.episode_slices()[n - 1][0].stop, self.episode_slices()[n - 1][1].stop
        cut = lambda a, end: None if a is None else a[:end]  # noqa: E731
        return Demonstrations(
            self.env_id,
            self.source,
            self.episode_lengths[:n],
            cut(self.obs, o_end),
            self.terminated[:n],
            self.truncated[:n],
            cut(self.actions, t_end),
            cut(self.rewards, t_end),
            cut(self.features, o_end),
            cut(self.qpos, o_end),
            cut(self.qvel, o_end),
        )

    def transitions(self, source: str = "obs") -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """(s, s', a): the `(sum T_i, ...)` observations (or features, with
        `source="features"`), the next ones and the actions."""
        states = getattr(self, source)
        if states is None:
            raise ValueError(f"the demonstrations from {self.source} have no {source}")
        first = np.concatenate([s[0].start + np.arange(n) for s, n in zip(self.episode_slices(), self.episode_lengths)])
        return states[first], states[first + 1], self.actions

    def save(self, path: str | Path) -> None:
        from gail_fast.runs import atomic_write_bytes

        arrays = {
            "format": np.array(FORMAT),
            "version": np.array(VERSION),
            "env_id": np.array(self.env_id),
            "source": np.array(self.source),
            "episode_lengths": self.episode_lengths.astype(np.int64),
            "terminated": self.terminated.astype(bool),
            "truncated": self.truncated.astype(bool),
        }
        for name in ("obs", "actions", "rewards", "features", *STATE_FIELDS):
            if getattr(self, name) is not None:
                arrays[name] = getattr(self, name)
        if self.rewards is not None:
            arrays["returns"] = self.returns

        def write(f):
            buf = io.BytesIO()
            np.savez_compressed(buf, **arrays)
            f.write(buf.getvalue())

        atomic_write_bytes(Path(path), write)

    @classmethod
    def load(cls, path: str | Path, env_id: str | None = None, max_bytes: int = MAX_BYTES) -> Demonstrations:
        """Loads and checks a dataset; with `env_id`, it must be for that environment.

        Every array's header (dtype, dimensions, rows against `episode_lengths`, size) is
        checked before any array is read, and the arrays together may take at most
        `max_bytes` unpacked; anything wrong is a ValueError naming the file.
        """
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"no demonstrations file at {path}")
        data = read_npz(path, max_bytes, env_id)
        try:
            return cls(
                str(data["env_id"]),
                str(data["source"]),
                data["episode_lengths"].astype(np.int64),
                data.get("obs"),
                data["terminated"],
                data["truncated"],
                data.get("actions"),
                data.get("rewards"),
                data.get("features"),
                data.get("qpos"),
                data.get("qvel"),
            )
        except ValueError as e:
            raise ValueError(f"{path}: {e}") from e


# What reading a damaged archive or .npy can raise, besides ValueError.
READ_ERRORS = (
    ValueError,
    OSError,
    EOFError,
    zipfile.BadZipFile,
    zlib.error,
    struct.error,
    OverflowError,
    UnicodeDecodeError,
    NotImplementedError,
    RuntimeError,
)
NPY_MAGIC = b"\x93NUMPY"


def read_npy_header(f, where: str) -> tuple[np.dtype, tuple[int, ...], bool]:
    """(dtype, shape, Fortran order) from the header of a .npy stream, which is left at the
    first data byte; ValueError starting with `where` for anything but a plain array."""
    try:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
        else:
            raise ValueError(f".npy format version {version[0]}.{version[1]} is not read here")
    except Exception as e:  # numpy's header parser raises ValueError, SyntaxError, TokenError, ...
        raise ValueError(f"{where}: not a .npy array ({type(e).__name__}: {e})") from None
    if dtype.hasobject:
        raise ValueError(f"{where}: holds Python objects (a pickle), which are never loaded")
    if dtype.names is not None or dtype.subdtype is not None:
        raise ValueError(f"{where}: a structured dtype {dtype}; a plain numeric or string array was expected")
    if len(shape) > 8 or not all(type(n) is int and n >= 0 for n in shape):
        raise ValueError(f"{where}: impossible shape {shape} in its header")
    return dtype, tuple(shape), bool(fortran)


def read_npy_data(f, dtype: np.dtype, shape: tuple[int, ...], fortran: bool, where: str) -> np.ndarray:
    """Reads the data that follows a checked header (native byte order out), in chunks
    straight into the array: no second copy."""
    array = np.empty(shape, dtype, order="F" if fortran else "C")
    if array.nbytes:
        view = memoryview(array.reshape(-1, order="A").view(np.uint8))
        pos = 0
        try:
            while pos < len(view):
                got = f.readinto(view[pos : pos + (1 << 20)])
                if not got:
                    raise EOFError(f"truncated: {pos} of its {array.nbytes} data bytes")
                pos += got
        except READ_ERRORS as e:
            raise ValueError(f"{where}: unreadable data ({e})") from None
    return array if dtype.isnative else array.astype(dtype.newbyteorder("="))


def read_npz(path: Path, max_bytes: int, env_id: str | None = None) -> dict[str, np.ndarray]:
    """The known arrays of a demonstrations `.npz`, version 1 or 2. Every member's header
    is checked (dtype, dimensions, rows, size) before any array but the scalars is read."""

    def bad(problem: str) -> ValueError:
        return ValueError(f"{path} is not a readable .npz demonstrations file: {problem}")

    if path.is_dir():
        raise ValueError(f"{path} is a folder, not a demonstrations file")
    try:
        with open(path, "rb") as f:
            head = f.read(len(NPY_MAGIC))
    except OSError as e:
        raise ValueError(f"{path} cannot be read: {e.strerror or e}") from None
    try:
        archive = zipfile.ZipFile(path)
    except READ_ERRORS as e:
        if head == NPY_MAGIC:
            raise bad("it is a single .npy array, not an .npz archive") from None
        raise bad(f"not a zip archive, or a truncated one ({e})") from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            raise bad(f"{len(members)} members; a dataset has at most {len(FIELDS)}")
        infos: dict[str, zipfile.ZipInfo] = {}
        for info in members:
            key = info.filename.removesuffix(".npy")
            if key not in FIELDS:
                continue  # not ours: never read
            if key in infos:
                raise bad(f"two members named {info.filename}")
            if info.flag_bits & 0x1:
                raise bad(f"{key} is encrypted")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise bad(f"{key} uses zip compression method {info.compress_type}; numpy writes 0 or 8")
            infos[key] = info
        total = sum(info.file_size for info in infos.values())
        if total > max_bytes:
            raise ValueError(
                f"{path}: its arrays take {total / 2**20:.1f} MiB unpacked, more than the "
                f"{max_bytes / 2**20:.1f} MiB a dataset may (Demonstrations.load's max_bytes)"
            )
        headers = {}
        for key, info in infos.items():
            try:
                with archive.open(info) as f:
                    dtype, shape, fortran = read_npy_header(f, key)
                    offset = f.tell()
            except READ_ERRORS as e:
                raise bad(str(e)) from None
            nbytes = math.prod(shape) * dtype.itemsize
            if info.file_size != offset + nbytes:
                raise bad(
                    f"the header of {key} claims shape {shape} of {dtype} ({nbytes} bytes); "
                    f"its member holds {info.file_size - offset}"
                )
            headers[key] = (dtype, shape, fortran)

        def read(key: str) -> np.ndarray:
            try:
                with archive.open(infos[key]) as f:
                    read_npy_header(f, key)
                    return read_npy_data(f, *headers[key], key)
            except READ_ERRORS as e:
                raise bad(str(e)) from None

        def check(key: str) -> None:
            problem = check_field(key, headers[key][1], headers[key][0])
            if problem:
                raise ValueError(f"{path}: {problem}")

        if "format" not in headers or headers["format"][0].kind != "U" or str(read("format")) != FORMAT:
            raise ValueError(f"{path} is not a gail_fast demonstrations file (no format '{FORMAT}')")
        missing = sorted(set(REQUIRED) - set(headers))
        if missing:
            raise ValueError(f"{path} lacks {missing}")
        for key in headers:
            check(key)
        version = int(read("version"))
        if version not in READABLE_VERSIONS:
            raise ValueError(f"{path} has format version {version}; this gail_fast reads {READABLE_VERSIONS}")
        if version == 1 and set(STATE_FIELDS) & set(headers):
            raise ValueError(f"{path} is a version 1 file with qpos/qvel, which only version 2 has")
        data = {key: read(key) for key in ("env_id", "source")}
        if env_id is not None and str(data["env_id"]) != env_id:
            raise ValueError(f"{path} holds demonstrations for {data['env_id']}, not {env_id}")
        lengths = data["episode_lengths"] = read("episode_lengths")
        if len(lengths) == 0:
            raise ValueError(f"{path}: demonstrations need at least one episode")
        if (lengths < 1).any():
            raise ValueError(f"{path}: every episode needs at least one transition, got lengths {listing(lengths)}")
        rows = row_counts(lengths)
        for key, (_, shape, _) in headers.items():
            kind = FIELDS[key][2]
            if kind is not None and shape[0] != rows[kind]:
                raise ValueError(
                    f"{path}: {key} has {shape[0]} rows; episode_lengths {listing(lengths)} need {rows[kind]}"
                )
        for key in headers:
            if key not in data and key not in ("format", "version", "returns"):
                data[key] = read(key)  # returns: derived from the rewards, never read
        return data


def record(
    path: str | Path, episodes: int, seed: int = 20_000, deterministic: bool = True, num_envs: int | None = None
) -> Demonstrations:
    """Runs the policy of a checkpoint or run folder for `episodes` full episodes."""
    from gail_fast import envs
    from gail_fast.rollout import RolloutCollector
    from gail_fast.runs import load_policy

    if episodes < 1:
        raise ValueError(f"episodes must be >= 1, got {episodes}")
    policy, env_id, _ = load_policy(path, check_env=True)
    num_envs = num_envs or min(episodes, 16)
    env = envs.make(env_id, num_envs=num_envs)
    collector = RolloutCollector(env, seed=seed)
    current: list[dict[str, list]] = [{"obs": [], "actions": [], "rewards": []} for _ in range(num_envs)]
    done: list[tuple] = []
    while len(done) < episodes:
        batch = collector.collect(policy, 50, deterministic)
        env_actions = np.clip(batch.actions, env.single_action_space.low, env.single_action_space.high)
        for t in range(batch.nstep):
            for i in range(num_envs):
                ep = current[i]
                ep["obs"].append(batch.obs[t, i])
                ep["actions"].append(env_actions[t, i])
                ep["rewards"].append(batch.rewards[t, i])
                if batch.ended[t, i]:
                    ep["obs"].append(batch.final_obs[t, i])
                    done.append((ep, bool(batch.terminated[t, i]), bool(batch.truncated[t, i])))
                    current[i] = {"obs": [], "actions": [], "rewards": []}
    env.close()
    done = done[:episodes]
    return Demonstrations(
        env_id=env_id,
        source=str(path),
        episode_lengths=np.array([len(ep["actions"]) for ep, _, _ in done], dtype=np.int64),
        obs=np.concatenate([np.array(ep["obs"]) for ep, _, _ in done]),
        terminated=np.array([term for _, term, _ in done]),
        truncated=np.array([trunc for _, _, trunc in done]),
        actions=np.concatenate([np.array(ep["actions"]) for ep, _, _ in done]),
        rewards=np.concatenate([np.array(ep["rewards"]) for ep, _, _ in done]),
    )


def summary(demos: Demonstrations) -> str:
    lines = [
        f"env:       {demos.env_id}",
        f"source:    {demos.source}",
        f"episodes:  {demos.num_episodes} ({int(demos.terminated.sum())} terminated, {int(demos.truncated.sum())} truncated)",
        f"length:    {demos.episode_lengths.mean():.1f} ± {demos.episode_lengths.std():.1f} (total {int(demos.episode_lengths.sum())} transitions)",
        f"obs:       {f'{demos.obs.shape[1]} dims' if demos.obs is not None else 'none (features only)'}",
        f"actions:   {demos.actions.shape[1] if demos.actions is not None else 'none (state-only)'}",
    ]
    if demos.returns is not None:
        lines.append(f"return:    {demos.returns.mean():.1f} ± {demos.returns.std():.1f}")
    if demos.features is not None:
        lines.append(f"features:  {demos.features.shape[1]} dims")
    if demos.qpos is not None:
        lines.append(f"state:     qpos {demos.qpos.shape[1]} + qvel {demos.qvel.shape[1]} dims per frame")
    else:
        lines.append("state:     none (no qpos/qvel)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m gail_fast.demos", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    rec = sub.add_parser("record", help="record episodes of a trained policy")
    rec.add_argument("path", help="a run folder or a checkpoint file")
    rec.add_argument("--episodes", type=int, default=25)
    rec.add_argument("--out", type=Path, required=True)
    rec.add_argument("--seed", type=int, default=20_000)
    rec.add_argument("--stochastic", action="store_true", help="sample actions instead of taking the mean")
    info = sub.add_parser("info", help="summarise a demonstrations file")
    info.add_argument("file", type=Path)
    args = parser.parse_args(argv)
    with cli_errors(parser):
        if args.command == "record":
            if args.episodes < 1:
                raise ValueError(f"--episodes must be >= 1, got {args.episodes}")
            demos = record(args.path, args.episodes, args.seed, not args.stochastic)
            demos.save(args.out)
            print(summary(demos))
            print(f"written: {args.out}")
        else:
            print(summary(Demonstrations.load(args.file)))


if __name__ == "__main__":
    main(sys.argv[1:])
