"""See what a policy does: a rollout viewer with the pose-feature overlay.

    python -m gail_fast.view RUN_OR_MODEL [--reference CLIP.npz] [--episodes N] [--steps T]
        [--seed S] --out rollout.html
    python -m gail_fast.view --reference CLIP.npz --out clip.html     # a clip on its own
    python -m gail_fast.view RUN --out rollout.mp4                    # or .gif: a video

The policy acts deterministically (its mean action) unless asked otherwise. Each step's
`qpos` is replayed in the `mujoco` package (`mj_kinematics`) to place the model's own
geoms; the page (`page.html`, `page.js` beside this file, inlined) draws them in a
Canvas2D perspective view with the feature overlay and the plots, and opens from disk
with no network. Videos go through MuJoCo's renderer (`gail_fast.view.video`).
"""

from __future__ import annotations

import ctypes.util
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np


def _default_gl_backend() -> None:
    """MuJoCo fixes its OpenGL backend when it is first imported, from MUJOCO_GL, and its
    default (GLFW) needs a display; without one, a video asks for OSMesa where it is
    installed, else EGL. An explicit MUJOCO_GL, or a MuJoCo imported before, is left alone."""
    if "MUJOCO_GL" in os.environ or os.environ.get("DISPLAY") or "mujoco" in sys.modules:
        return
    os.environ["MUJOCO_GL"] = "osmesa" if ctypes.util.find_library("OSMesa") else "egl"


_default_gl_backend()

from gail_fast.mocap.convert import HISTORY  # noqa: E402 (after the backend is chosen)
from gail_fast.view.record import (  # noqa: E402
    Clip,
    Episode,
    Scores,
    check_qpos,
    discriminator_scores,
    load_discriminator,
    load_reference,
    mujoco_model,
    rollout,
    score_episode,
)
from gail_fast.view.scene import Poses, Scene, feature_points, load_scene, quat_mul, replay  # noqa: E402

VIDEO_SUFFIXES = (".mp4", ".gif")
PAGE_SUFFIXES = (".html", ".htm")
REFERENCE_BESIDE = 1.0  # m to the policy's left, where "beside" puts the reference

RUN_PAGE = "rollout.html"

__all__ = [
    "Clip",
    "Episode",
    "Shown",
    "Scores",
    "gather",
    "load_reference",
    "rollout",
    "view",
    "write_page",
    "write_run_page",
]


@dataclass(frozen=True)
class Shown:
    """One episode as the page and the video show it, in world coordinates."""

    label: str
    policy: Poses | None
    policy_features: np.ndarray | None  # (T, 18) where the environment has pose features
    scores: Scores | None
    reference: Poses | None  # the clip's bodies, where it carries qpos
    reference_points: np.ndarray | None  # (Tr, 6, 3) its feature points, where it has features only
    reference_features: np.ndarray | None  # (Tr, 18)
    reference_label: str = ""
    reference_scores: Scores | None = None
    policy_rewards: np.ndarray | None = None  # (T,) the environment's, where it has any
    qpos: np.ndarray | None = None  # (T, nq) of the main track (the policy, or a clip shown alone)


def _yaw(direction: np.ndarray) -> float:
    return float(np.arctan2(direction[1], direction[0]))


def _place(poses: Poses, yaw: float, pivot: np.ndarray, to: np.ndarray) -> Poses:
    """`poses` turned by `yaw` about the vertical through `pivot`, then moved from
    `pivot` to `to` (both (3,), only x and y used)."""
    c, s = np.cos(yaw), np.sin(yaw)
    rot = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    shift = np.array([to[0] - pivot[0], to[1] - pivot[1], 0.0])
    base = np.array([pivot[0], pivot[1], 0.0])

    def move(p: np.ndarray) -> np.ndarray:
        return (p - base) @ rot.T + base + shift

    turn = np.array([np.cos(yaw / 2), 0.0, 0.0, np.sin(yaw / 2)])
    return Poses(
        move(poses.geom_pos),
        quat_mul(np.broadcast_to(turn, poses.geom_quat.shape), poses.geom_quat),
        move(poses.root),
        None if poses.sites is None else move(poses.sites),
        None if poses.heading is None else poses.heading @ rot[:2, :2].T,
    )


def gather(
    scene: Scene,
    episodes: list[Episode],
    clips: list[Clip],
    checkpoint: dict | None,
    env_id: str,
    has_features: bool,
) -> list[Shown]:
    """Pairs policy episode i with clip i (cycling through the clips) and places the clip
    where the policy started, facing the way it faced; with no episodes, one entry per clip.
    """
    shown = []
    disc = load_discriminator(checkpoint) if checkpoint is not None else None
    for i in range(len(episodes) if episodes else len(clips)):
        episode = episodes[i] if episodes else None
        clip = clips[i % len(clips)] if clips else None
        policy = replay(scene, episode.qpos) if episode is not None else None
        start = policy.root[0] if policy is not None else np.zeros(3)
        facing = policy.heading[0] if policy is not None and policy.heading is not None else np.array([1.0, 0.0])
        reference = points = None
        if clip is not None and clip.qpos is not None:
            reference = replay(scene, clip.qpos)
            if policy is not None:
                own = reference.heading[0] if reference.heading is not None else np.array([1.0, 0.0])
                reference = _place(reference, _yaw(facing) - _yaw(own), reference.root[0], start)
        elif clip is not None:
            ground = np.array([start[0], start[1], 0.0])
            points = feature_points(clip.features, scene.height, scene.foot_height, ground, facing)
        ref_scores = None
        if disc is not None and clip is not None and clip.features is not None and disc[1] == "z":
            import torch

            z = torch.as_tensor(clip.features[:-1], dtype=torch.float32)
            ref_scores = discriminator_scores(disc[0], z, disc[1], disc[2])
        shown.append(
            Shown(
                label=f"episode {i + 1} (seed {episode.seed}, {episode.length} steps)" if episode else clip.label,
                policy=policy,
                policy_features=episode.features if episode is not None and has_features else None,
                scores=score_episode(checkpoint, episode, env_id) if episode and checkpoint else None,
                reference=reference,
                reference_points=points,
                reference_features=clip.features if clip is not None else None,
                reference_label=clip.label if clip is not None else "",
                reference_scores=ref_scores,
                policy_rewards=episode.rewards if episode is not None and episode.rewards.any() else None,
                qpos=episode.qpos if episode is not None else clip.qpos,
            )
        )
    return shown


def write_page(path: str | Path, title: str, env_id: str, dt: float, scene: Scene, shown: list[Shown]) -> Path:
    """Writes the viewer page of `shown` episodes to `path` (one self-contained HTML file)."""
    from gail_fast.view import page

    episodes = []
    for s in shown:
        policy = None
        if s.policy is not None:
            policy = page.track("policy", s.policy, None, s.policy_features, s.policy_rewards)
        reference = None
        if s.reference is not None or s.reference_points is not None:
            reference = page.track(s.reference_label, s.reference, s.reference_points, s.reference_features)
        episodes.append(
            {
                "label": s.label,
                "policy": policy,
                "reference": reference,
                "scores": page.scores(s.scores),
                "referenceScores": page.scores(s.reference_scores),
            }
        )
    first = shown[0].policy
    facing = first.heading[0] if first is not None and first.heading is not None else np.array([1.0, 0.0])
    lateral = REFERENCE_BESIDE * np.array([-facing[1], facing[0]]) if first is not None else np.zeros(2)
    data = page.page_data(title, env_id, dt, scene, episodes, lateral, HISTORY)
    return page.write_page(path, data)


def control_dt(env_id: str) -> float:
    """Seconds between two recorded steps of `env_id`."""
    import gymnasium as gym

    from gail_fast import envs

    if env_id in envs.FAST_ENVS:
        return float(envs.make(env_id).dt)
    env = gym.make(env_id)
    try:
        return float(env.unwrapped.dt)
    finally:
        env.close()


def view(
    path: str | Path | None,
    out: str | Path,
    reference: str | Path | None = None,
    episodes: int = 1,
    steps: int = 1000,
    seed: int = 0,
    deterministic: bool = True,
) -> Path:
    """Rolls out the policy of a run folder or checkpoint and writes a page (`.html`) or a
    video (`.mp4`, `.gif`) of it, with the reference clip beside it; with `path` None, the
    reference clip on its own.

    Raises:
        FileNotFoundError: no checkpoint or clip at the path given.
        ValueError: a run without a policy, a clip for another environment, an unknown
            or non-MuJoCo environment, an output of another kind.
    """
    from gail_fast import envs, walking
    from gail_fast.runs import load_policy

    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in PAGE_SUFFIXES + VIDEO_SUFFIXES:
        raise ValueError(f"--out must end in .html, .mp4 or .gif, got {out.name!r}")
    if path is None and reference is None:
        raise ValueError("give a run folder or checkpoint, a --reference clip, or both")
    checkpoint = None
    if path is not None:
        policy, env_id, checkpoint = load_policy(path)
        model = mujoco_model(env_id)
        clips = load_reference(reference, env_id, model.nq)[1] if reference is not None else []
        recorded = rollout(policy, env_id, episodes, steps, seed, deterministic)
        title = f"{env_id}: {Path(path).name}"
        if note := walking.task_note(*walking.task_term(checkpoint)):
            title += f" ({note})"
    else:
        env_id, clips = load_reference(reference, None)
        model = mujoco_model(env_id)
        check_qpos(clips, model.nq, reference)
        recorded = []
        title = f"{env_id}: {Path(reference).name}"
    scene = load_scene(model)
    has_features = env_id in envs.POSE_FEATURE_ENVS
    shown = gather(scene, recorded, clips, checkpoint, env_id, has_features)
    dt = control_dt(env_id)
    if suffix in VIDEO_SUFFIXES:
        from gail_fast.view.video import write_video

        return write_video(out, scene, shown, dt)
    return write_page(out, title, env_id, dt, scene, shown)


def write_run_page(run: str | Path, reference: str | Path | None) -> Path | None:
    """Writes `RUN_PAGE` of a finished run's policy into its folder, beside its reference
    clip. A failure is a warning, not an error: the run itself is done and saved."""
    import warnings

    run = Path(run)
    try:
        return view(run, run / RUN_PAGE, reference=reference)
    except (FileNotFoundError, ValueError, RuntimeError, OSError) as e:
        warnings.warn(f"could not write {run / RUN_PAGE}: {e}", stacklevel=2)
        return None
