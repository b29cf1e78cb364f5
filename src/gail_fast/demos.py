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

CLI:
    python -m gail_fast.demos record RUN_OR_CHECKPOINT --episodes 25 --out FILE
    python -m gail_fast.demos info FILE
"""

from __future__ import annotations

import argparse
import io
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FORMAT, VERSION = "gail_fast.demos", 2
READABLE_VERSIONS = (1, 2)
STATE_FIELDS = ("qpos", "qvel")  # new in version 2


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
        lengths = self.episode_lengths
        if lengths.ndim != 1 or len(lengths) == 0:
            raise ValueError("demonstrations need at least one episode")
        if (lengths < 1).any():
            raise ValueError(f"every episode needs at least one transition, got lengths {lengths.tolist()}")
        nep, ntrans = len(lengths), int(lengths.sum())
        if self.obs is None and self.features is None:
            raise ValueError("demonstrations need observations, features or both")
        checks = {"terminated": (self.terminated, nep), "truncated": (self.truncated, nep)}
        if self.obs is not None:
            checks["obs"] = (self.obs, ntrans + nep)
        if self.actions is not None:
            checks["actions"] = (self.actions, ntrans)
        if self.rewards is not None:
            checks["rewards"] = (self.rewards, ntrans)
        if (self.qpos is None) != (self.qvel is None):
            raise ValueError("qpos and qvel come together: a simulator state needs both")
        for name in ("features", *STATE_FIELDS):
            if getattr(self, name) is not None:
                checks[name] = (getattr(self, name), ntrans + nep)
        for name, (array, rows) in checks.items():
            if array.shape[0] != rows:
                raise ValueError(f"{name} has {array.shape[0]} rows; episode_lengths {lengths.tolist()} need {rows}")
        for name in ("obs", "actions", "features", *STATE_FIELDS):
            array = getattr(self, name)
            if array is not None and (array.ndim != 2 or not np.isfinite(array).all()):
                raise ValueError(f"{name} must be a finite 2-D array, got shape {array.shape}")

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
    def load(cls, path: str | Path, env_id: str | None = None) -> Demonstrations:
        """Loads and checks a dataset; with `env_id`, it must be for that environment."""
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"no demonstrations file at {path}")
        try:
            with np.load(path, allow_pickle=False) as z:
                data = {k: z[k] for k in z.files}
        except (OSError, ValueError, zipfile.BadZipFile, EOFError) as e:
            raise ValueError(f"{path} is not a readable .npz demonstrations file: {e}") from e
        if str(data.get("format", "")) != FORMAT:
            raise ValueError(f"{path} is not a gail_fast demonstrations file (no format '{FORMAT}')")
        version = int(data.get("version", -1))
        if version not in READABLE_VERSIONS:
            raise ValueError(
                f"{path} has format version {data.get('version')}; this gail_fast reads {READABLE_VERSIONS}"
            )
        if version == 1 and set(STATE_FIELDS) & set(data):
            raise ValueError(f"{path} is a version 1 file with qpos/qvel, which only version 2 has")
        missing = {"env_id", "source", "episode_lengths", "terminated", "truncated"} - set(data)
        if missing:
            raise ValueError(f"{path} lacks {sorted(missing)}")
        if env_id is not None and str(data["env_id"]) != env_id:
            raise ValueError(f"{path} holds demonstrations for {data['env_id']}, not {env_id}")
        try:
            return cls(
                str(data["env_id"]),
                str(data["source"]),
                data["episode_lengths"].astype(np.int64),
                data.get("obs"),
                data["terminated"].astype(bool),
                data["truncated"].astype(bool),
                data.get("actions"),
                data.get("rewards"),
                data.get("features"),
                data.get("qpos"),
                data.get("qvel"),
            )
        except ValueError as e:
            raise ValueError(f"{path}: {e}") from e


def record(
    path: str | Path, episodes: int, seed: int = 20_000, deterministic: bool = True, num_envs: int | None = None
) -> Demonstrations:
    """Runs the policy of a checkpoint or run folder for `episodes` full episodes."""
    from gail_fast import envs
    from gail_fast.rollout import RolloutCollector
    from gail_fast.runs import load_policy

    if episodes < 1:
        raise ValueError(f"episodes must be >= 1, got {episodes}")
    policy, env_id, _ = load_policy(path)
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
    try:
        if args.command == "record":
            demos = record(args.path, args.episodes, args.seed, not args.stochastic)
            demos.save(args.out)
            print(summary(demos))
            print(f"written: {args.out}")
        else:
            print(summary(Demonstrations.load(args.file)))
    except (FileNotFoundError, ValueError) as e:
        parser.exit(2, f"error: {e}\n")


if __name__ == "__main__":
    main(sys.argv[1:])
