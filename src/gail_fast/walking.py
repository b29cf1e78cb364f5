"""Walking metrics of the humanoid: is it walking, and like the recording?

All of them read states (`qpos` per frame, control rate) and pose features, so the same
functions measure a policy's rollout and a retargeted clip side by side:

- `upright_s`: how long an episode lasted (s); `fall_fraction`: episodes that ended by a
  fall rather than the time limit.
- `speed_mps`: net horizontal pelvis travel per second (m/s).
- `heading_drift_deg`: how far the pelvis heading turned over the episode (degrees,
  absolute): a straight line fitted to the heading, so that the pelvis's swing within a
  stride (about +-15 degrees in the retargeted walks) does not count as a turn.
- `step_rate_hz`: steps per second: sign changes of the feet's forward order (which foot
  is ahead along the heading).
- `flight_fraction`: frames with both feet off the floor (lowest point above 1 cm).
- `foot_slide_mps`: median horizontal speed of the sole point in contact while a foot is
  on the floor (`humanoid.foot_contact_and_slide`).
- `frechet_z2`: Frechet distance between Gaussians fitted to two-frame windows of z_t,
  (z_t, z_t+1), of two sets of episodes (as FID does for images).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from gail_fast import humanoid


@dataclass(frozen=True)
class WalkingMetrics:
    episodes: int
    upright_s: float
    fall_fraction: float
    speed_mps: float
    heading_drift_deg: float
    step_rate_hz: float
    flight_fraction: float
    foot_slide_mps: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def heading(qpos: np.ndarray) -> np.ndarray:
    """Yaw (rad) of the pelvis frame's x axis on the ground, per frame of `qpos` `(n, nq)`."""
    fx, fy = humanoid.heading_direction(qpos)
    return np.arctan2(fy, fx)


def heading_drift(qpos: np.ndarray, dt: float) -> float:
    """Degrees an episode's pelvis heading turned over it (`qpos` `(nframe, nq)` at `dt` s
    per frame): the slope of a straight line fitted to the unwrapped heading, times the
    episode's duration. The pelvis's swing within a stride barely moves the line (under 4
    degrees over 15 s at any stride rate of a walk), and a policy that circles reads the
    whole of its turn."""
    yaw = np.unwrap(heading(qpos))
    t = np.arange(len(yaw)) * dt
    slope = np.polyfit(t, yaw, 1)[0]
    return float(abs(np.degrees(slope * t[-1])))


def episode_metrics(
    kin: humanoid.Kinematics, episodes: list[np.ndarray], fell: list[bool], dt: float
) -> WalkingMetrics:
    """Metrics over `episodes`, each `qpos` `(nframe, nq)` at `dt` s per frame; `fell[i]`
    says whether episode i ended by a fall."""
    if not episodes or any(len(q) < 2 for q in episodes):
        raise ValueError("walking metrics need episodes of at least 2 frames")
    durations, speeds, drifts, rates, flights, slides = [], [], [], [], [], []
    for qpos in episodes:
        duration = (len(qpos) - 1) * dt
        durations.append(duration)
        speeds.append(np.linalg.norm(qpos[-1, :2] - qpos[0, :2]) / duration)
        yaw = np.unwrap(heading(qpos))
        drifts.append(heading_drift(qpos, dt))
        points = kin.feature_points(qpos)  # pelvis, left foot, right foot, ...
        ahead = np.einsum("ni,ni->n", points[:, 1, :2] - points[:, 2, :2], np.stack([np.cos(yaw), np.sin(yaw)], 1))
        side = np.sign(ahead[np.abs(ahead) > 0.02])  # ignore the feet passing each other
        rates.append(np.count_nonzero(np.diff(side)) / duration)
        flights.append(float((kin.lowest_foot_point(qpos).min(axis=1) > 0.01).mean()))
        contact, slide = humanoid.foot_contact_and_slide(kin, qpos, dt)
        slides.append(slide[contact])
    slide_all = np.concatenate(slides)
    return WalkingMetrics(
        episodes=len(episodes),
        upright_s=float(np.mean(durations)),
        fall_fraction=float(np.mean(fell)),
        speed_mps=float(np.mean(speeds)),
        heading_drift_deg=float(np.mean(drifts)),
        step_rate_hz=float(np.mean(rates)),
        flight_fraction=float(np.mean(flights)),
        foot_slide_mps=float(np.median(slide_all)) if len(slide_all) else float("nan"),
    )


def windows(features: list[np.ndarray]) -> np.ndarray:
    """Two-frame windows `(sum(n_i - 1), 2 nz)` of each episode's features `(n_i, nz)`."""
    return np.concatenate([np.concatenate([z[:-1], z[1:]], axis=1) for z in features if len(z) > 1])


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Frechet distance between Gaussians fitted to samples `a` and `b` `(n, d)`:
    |mu_a - mu_b|^2 + tr(S_a + S_b - 2 (S_a^1/2 S_b S_a^1/2)^1/2)."""
    mu_a, mu_b = a.mean(0), b.mean(0)
    s_a, s_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    vals, vecs = np.linalg.eigh(s_a)
    root_a = (vecs * np.sqrt(np.clip(vals, 0, None))) @ vecs.T
    cross = np.linalg.eigvalsh(root_a @ s_b @ root_a)
    trace = np.trace(s_a) + np.trace(s_b) - 2 * np.sqrt(np.clip(cross, 0, None)).sum()
    return float(np.sum((mu_a - mu_b) ** 2) + max(trace, 0.0))


@dataclass(frozen=True)
class Rollout:
    """One episode per simulation: states, features and how each ended."""

    qpos: list[np.ndarray]  # (nframe_i, nq)
    qvel: list[np.ndarray]  # (nframe_i, nv)
    features: list[np.ndarray]  # (nframe_i, POSE_FEATURES)
    fell: list[bool]
    dt: float


def rollout(policy, env_id: str, episodes: int = 8, steps: int = 1000, seed: int = 20_000, deterministic: bool = True):
    """The first episode of `episodes` simulations (from the standing reset), up to
    `steps` steps each, with the states at every step."""
    import torch

    from gail_fast import _core, envs

    if env_id not in envs.POSE_FEATURE_ENVS:
        raise ValueError(f"walking metrics are for the humanoid ({sorted(envs.POSE_FEATURE_ENVS)}), not {env_id}")
    if episodes < 1 or steps < 2:
        raise ValueError(f"need at least 1 episode of at least 2 steps, got {episodes} x {steps}")
    env = envs.make(env_id, num_envs=episodes, max_episode_steps=steps)
    obs, _ = env.reset(seed=seed)
    low, high = env.single_action_space.low, env.single_action_space.high
    qs, vs, zs = ([[] for _ in range(episodes)] for _ in range(3))
    fell, done = [False] * episodes, np.zeros(episodes, dtype=bool)
    while not done.all():
        qpos, qvel = env.get_state()
        with torch.no_grad():
            action = policy.act(torch.as_tensor(obs, dtype=torch.float32), deterministic)[0].numpy()
        for i in np.flatnonzero(~done):
            qs[i].append(qpos[i])
            vs[i].append(qvel[i])
            zs[i].append(obs[i, -_core.POSE_FEATURES :])
        obs, _, terminated, truncated, _ = env.step(np.clip(action, low, high))
        for i in np.flatnonzero((terminated | truncated) & ~done):
            done[i], fell[i] = True, bool(terminated[i])
    env.close()
    return Rollout([np.array(q) for q in qs], [np.array(v) for v in vs], [np.array(z) for z in zs], fell, env.dt)


def reference_metrics(kin: humanoid.Kinematics, demos, dt: float) -> tuple[WalkingMetrics, list[np.ndarray]]:
    """Metrics of a retargeted dataset's episodes (its `qpos`), and their features."""
    if demos.qpos is None:
        raise ValueError(f"{demos.source}: walking metrics need the clip's states (convert it again: format version 2)")
    rows = [rows for rows, _ in demos.episode_slices()]
    metrics = episode_metrics(kin, [demos.qpos[r] for r in rows], [False] * len(rows), dt)
    return metrics, [demos.features[r] for r in rows]


def compare(
    policy, env_id: str, demos, episodes: int = 8, steps: int = 1000, seed: int = 20_000, deterministic: bool = True
) -> dict:
    """Walking metrics of `policy` from the standing reset and of the reference clip
    `demos` side by side, and the Frechet distance between their z_t windows."""
    from gail_fast import envs

    kin = humanoid.Kinematics(envs.FAST_ENVS[env_id].xml_path)
    return side_by_side(kin, rollout(policy, env_id, episodes, steps, seed, deterministic), demos)


def side_by_side(kin: humanoid.Kinematics, run: Rollout, demos) -> dict:
    """`compare`'s result for a rollout that has been made."""
    return _beside(kin, run, *reference_metrics(kin, demos, run.dt))


def _beside(kin: humanoid.Kinematics, run: Rollout, theirs: WalkingMetrics, reference_z: list[np.ndarray]) -> dict:
    return {
        "policy": episode_metrics(kin, run.qpos, run.fell, run.dt).as_dict(),
        "reference": theirs.as_dict(),
        "frechet_z2": frechet_distance(windows(run.features), windows(reference_z)),
    }


def assess(
    policy, env_id: str, reference, running, trained, episodes: int = 8, steps: int = 1000, seed: int = 20_000
) -> dict:
    """`compare` against a walk not trained on (`reference`), and the goals a gait is held
    to: no falls; forward speed within 20% and step rate within 25% of the trained clips'
    (`trained`, mirrored episodes after each clip); heading drift under 30 degrees; both
    feet off the floor under 5% of the time; a stance foot sliding under 0.1 m/s; z_t
    windows at most twice as far (Frechet) from the reference walk as the first two
    trained clips are from each other, and under half as far as from a run (`running`).
    `frechet_z2_trained` is the trained clips' own distance to the reference walk: what a
    policy that reproduced them exactly would score. `gait_goals` says which are met."""
    from gail_fast import envs

    kin = humanoid.Kinematics(envs.FAST_ENVS[env_id].xml_path)
    run = rollout(policy, env_id, episodes, steps, seed)
    theirs, reference_z = reference_metrics(kin, reference, run.dt)
    result = _beside(kin, run, theirs, reference_z)
    clips, clip_z = reference_metrics(kin, trained, run.dt)
    _, run_z = reference_metrics(kin, running, run.dt)
    result["trained"] = clips.as_dict()
    result["frechet_z2_trained"] = frechet_distance(windows(clip_z), windows(reference_z))
    result["frechet_z2_run"] = frechet_distance(windows(run.features), windows(run_z))
    originals = clip_z[0::2] if len(clip_z) >= 4 else clip_z  # without their mirror images
    pair = frechet_distance(windows(originals[:1]), windows(originals[1:2])) if len(originals) >= 2 else None
    result["frechet_z2_trained_pair"] = pair
    result["goals"] = gait_goals(result)
    return result


# Below a quarter of the clips' forward speed a policy has no walk to measure: standing, it
# neither drifts, slides nor flies, and the gait goals would credit it for that.
WALKING_FRACTION = 0.25


def frechet_bound(result: dict) -> float | None:
    """The distribution goal's bound on `frechet_z2`: twice the first two trained clips'
    distance to each other (None with fewer than two clips)."""
    pair = result["frechet_z2_trained_pair"]
    return None if pair is None else 2 * pair


def gait_goals(result: dict) -> dict[str, bool]:
    """The goals of `assess`, met or not, from its `result`. A policy slower than
    `WALKING_FRACTION` of the trained clips' forward speed meets none but "no falls"."""
    p, c = result["policy"], result["trained"]
    walks = p["speed_mps"] >= WALKING_FRACTION * c["speed_mps"]
    bound = frechet_bound(result)
    goals = {
        "no falls": p["fall_fraction"] == 0,
        "speed within 20% of the clips'": abs(p["speed_mps"] - c["speed_mps"]) <= 0.2 * c["speed_mps"],
        "heading drift under 30 deg": walks and p["heading_drift_deg"] < 30,
        "step rate within 25% of the clips'": abs(p["step_rate_hz"] - c["step_rate_hz"]) <= 0.25 * c["step_rate_hz"],
        "flight under 5%": walks and p["flight_fraction"] < 0.05,
        "stance foot slide under 0.1 m/s": walks and p["foot_slide_mps"] < 0.1,
        "frechet to the reference walk under half that to the run": (
            walks and result["frechet_z2"] < 0.5 * result["frechet_z2_run"]
        ),
    }
    if bound is not None:
        goals["frechet to the reference walk at most twice the trained pair's"] = (
            walks and result["frechet_z2"] <= bound
        )
    return {goal: bool(met) for goal, met in goals.items()}


def task_term(checkpoint: dict) -> tuple[float, float, int]:
    """AMP's task term a checkpoint's policy was trained with: its target speed (m/s), its
    weight in the reward and the step from which it was paid, (0, 0, 0) for pure imitation.
    Reports name it, so a task-term result is never taken for imitation alone."""
    from gail_fast.gail import GAILConfig  # torch is loaded wherever a checkpoint is

    config = checkpoint.get("config") or {}
    if not isinstance(config, dict):
        raise ValueError(f"the checkpoint's config is not a mapping: {type(config).__name__}")
    speed = _config_number(config, "task_speed", 0.0, lambda v: 0 <= v < float("inf"), "a speed >= 0")
    if speed == 0:
        return 0.0, 0.0, 0
    weight = _config_number(config, "task_weight", GAILConfig.task_weight, lambda v: 0 <= v <= 1, "in [0, 1]")
    start = _config_number(
        config, "task_start", GAILConfig.task_start, lambda v: 0 <= v < float("inf") and v == int(v), "a step >= 0"
    )
    return speed, weight, int(start)


def _config_number(config: dict, key: str, default: float, valid: Callable[[float], bool], what: str) -> float:
    value = config.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not valid(value):
        raise ValueError(f"the checkpoint's config holds no usable {key} ({what}): {value!r}")
    return float(value)


def task_note(speed: float, weight: float, start: int = 0) -> str:
    """The line reports print above a task-term policy's metrics ('' for pure imitation)."""
    if speed <= 0:
        return ""
    after = f", paid from step {start:,} on" if start else ""
    return (
        f"not pure imitation: trained with AMP's task term, a target speed of {speed:g} m/s at weight {weight:g}{after}"
    )


def format_assessment(result: dict) -> str:
    """`assess`'s result as a table and a list of goals met and missed."""
    keys = list(result["policy"])
    lines = [f"{'':20s}{'policy':>10s}{'trained':>10s}{'reference':>11s}"]
    for key in keys:
        lines.append(
            f"{key:20s}{result['policy'][key]:10.3f}{result['trained'][key]:10.3f}{result['reference'][key]:11.3f}"
        )
    lines.append(f"{'frechet_z2':20s}{result['frechet_z2']:10.4f}   (to the reference walk)")
    lines.append(f"{'frechet_z2_run':20s}{result['frechet_z2_run']:10.4f}   (to the run)")
    lines.append(f"{'':20s}{result['frechet_z2_trained']:10.4f}   (the trained clips to the reference walk)")
    if result["frechet_z2_trained_pair"] is not None:
        lines.append(f"{'':20s}{result['frechet_z2_trained_pair']:10.4f}   (between the first two trained clips)")
    met = sum(result["goals"].values())
    lines.append(f"goals met: {met} of {len(result['goals'])}")
    lines += [f"  [{'x' if ok else ' '}] {goal}" for goal, ok in result["goals"].items()]
    return "\n".join(lines)
