"""Motion capture to state-only demonstrations for the humanoid.

For each clip: forward kinematics at the recording rate gives the landmarks
(`gail_fast.mocap.landmarks`); retargeting (`gail_fast.mocap.retarget`) solves the
humanoid's states at the environment's control rate; the dataset holds those states
(`qpos`, `qvel`) and the pose features z_t of the humanoid's own kinematics at them, by
the same C++ kernel and body points as in an episode. So every pose in a dataset is a
pose the body can take.

`raw_features` keeps the features of the recording's own points, without retargeting,
to show how far retargeting moved them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gail_fast import _core, envs, humanoid
from gail_fast.demos import Demonstrations
from gail_fast.mocap.asf_amc import Motion, Skeleton, parse_amc, parse_asf
from gail_fast.mocap.kinematics import forward_kinematics
from gail_fast.mocap.landmarks import LANDMARKS, LandmarkClip
from gail_fast.mocap.retarget import Retargeted, Retargeter
from gail_fast.mocap.spline import resample

# CMU bone ends that mark the feature points, in the kernel's order; "root" is the pelvis.
FEATURE_BONES = ("root", "lfoot", "rfoot", "lhand", "rhand", "head")
HIP_BONES = ("lhipjoint", "rhipjoint")
HISTORY = humanoid.HISTORY


def clip_features(points: np.ndarray, forward: np.ndarray, scale: float, k: int = HISTORY) -> np.ndarray:
    """Features `(nframe, POSE_FEATURES)` of a clip of points `(nframe, 6, 3)` (pelvis, left
    foot, right foot, left hand, right hand, head; metres, z up); `forward` `(nframe, 2)` is
    the ground-plane direction the pelvis faces (any length)."""
    points = np.ascontiguousarray(points, dtype=np.float64)
    forward = np.ascontiguousarray(forward, dtype=np.float64)
    out = np.empty((len(points), _core.POSE_FEATURES))
    _core.clip_features(points, forward, float(scale), int(k), out)
    return out


def _bone_indices(skeleton: Skeleton, names: tuple[str, ...]) -> list[int]:
    missing = [n for n in names if n not in skeleton.names]
    if missing:
        raise ValueError(f"{skeleton.path} lacks the bones {missing} that the pose features need")
    return [skeleton.names.index(n) for n in names]


# CMU bones whose ends are the landmarks (gail_fast.mocap.landmarks): a bone's end is the
# joint at its far side (lfemur ends at the knee).
CMU_LANDMARK_BONES = {
    "left_hip": "lhipjoint",
    "right_hip": "rhipjoint",
    "left_knee": "lfemur",
    "right_knee": "rfemur",
    "left_ankle": "ltibia",
    "right_ankle": "rtibia",
    "left_toe": "lfoot",
    "right_toe": "rfoot",
    "left_shoulder": "lclavicle",
    "right_shoulder": "rclavicle",
    "left_elbow": "lhumerus",
    "right_elbow": "rhumerus",
    "left_wrist": "lwrist",
    "right_wrist": "rwrist",
    "neck": "upperneck",
    "head": "head",
}


def landmarks_from_amc(skeleton: Skeleton, motion: Motion, rate: float) -> LandmarkClip:
    """The landmarks of a parsed CMU clip recorded at `rate` Hz (metres, z up)."""
    bones = tuple(CMU_LANDMARK_BONES[name] for name in LANDMARKS)
    pos = forward_kinematics(skeleton, motion)[:, _bone_indices(skeleton, bones)]
    return LandmarkClip(np.ascontiguousarray(pos), rate, f"{Path(motion.path).name} ({Path(skeleton.path).name})")


def standing_height(skeleton: Skeleton) -> float:
    """Head top above the lowest foot point in the skeleton's rest pose (all dofs 0): the
    body size the features are divided by."""
    values = {b.name: np.zeros((1, len(b.dofs))) for b in skeleton.bones if b.dofs}
    pos = forward_kinematics(skeleton, Motion(skeleton.path, np.zeros(1, dtype=int), values))[0]
    head, lfoot, rfoot = (pos[i, 2] for i in _bone_indices(skeleton, ("head", "lfoot", "rfoot")))
    return float(head - min(lfoot, rfoot))


@dataclass(frozen=True)
class Clip:
    """A clip at the control rate: feature points, facing direction and features."""

    points: np.ndarray  # (nframe, 6, 3)
    forward: np.ndarray  # (nframe, 2) ground-plane direction the pelvis faces
    features: np.ndarray  # (nframe, POSE_FEATURES)
    rate: float


def clip_from_points(pos: np.ndarray, rate: float, control_rate: float, scale: float) -> Clip:
    """A clip from points `(nframe, 8, 3)` recorded at `rate` Hz (metres, z up): the six
    feature points in the kernel's order, then the left and the right hip, which give the
    facing direction. Resampled to `control_rate` Hz; `scale` is the body's size."""
    pos = resample(pos.reshape(len(pos), -1), rate, control_rate).reshape(-1, 8, 3)
    left = pos[:, 6] - pos[:, 7]  # right hip to left hip
    forward = np.stack([left[:, 1], -left[:, 0]], axis=1)  # left x up, on the ground
    points = np.ascontiguousarray(pos[:, :6])
    return Clip(points, forward, clip_features(points, forward, scale), control_rate)


def raw_features(skeleton: Skeleton, motion: Motion, rate: float, control_rate: float) -> Clip:
    """Pose features of a parsed clip's own points (root, foot and hand bone ends, head),
    recorded at `rate` Hz, resampled to `control_rate` Hz: the recording as it is, before
    retargeting."""
    indices = _bone_indices(skeleton, FEATURE_BONES + HIP_BONES)
    if motion.nframe < 2:
        raise ValueError(f"{motion.path} has {motion.nframe} frame(s); a clip needs at least 2")
    pos = forward_kinematics(skeleton, motion)[:, indices]  # (nframe, 8, 3)
    return clip_from_points(pos, rate, control_rate, standing_height(skeleton))


def retargeted_dataset(env_id: str, source: str, clips: list[LandmarkClip], mirror: bool = False):
    """A state-only dataset for `env_id`, one episode per clip (and per mirrored clip
    with `mirror`): retargeted states and the humanoid's pose features at them.
    Returns the dataset and the `Retargeted` clips."""
    control_rate = control_rate_of(env_id)
    if mirror:
        clips = [c for clip in clips for c in (clip, clip.mirrored())]
    kinematics = humanoid.Kinematics(envs.FAST_ENVS[env_id].xml_path)
    retargeter = Retargeter(kinematics)
    solved = [retargeter.retarget(clip, control_rate) for clip in clips]
    return Demonstrations(
        env_id=env_id,
        source=source + (" and mirrored" if mirror else ""),
        episode_lengths=np.array([r.nframe - 1 for r in solved], dtype=np.int64),
        obs=None,
        terminated=np.zeros(len(solved), dtype=bool),
        truncated=np.ones(len(solved), dtype=bool),
        features=np.concatenate([kinematics.features(r.qpos) for r in solved]),
        qpos=np.concatenate([r.qpos for r in solved]),
        qvel=np.concatenate([r.qvel for r in solved]),
    ), solved


def control_rate_of(env_id: str) -> float:
    """The control rate (Hz) of an environment with pose features; ValueError otherwise."""
    if env_id not in envs.POSE_FEATURE_ENVS:
        raise ValueError(f"{env_id} has no pose features; use one of {sorted(envs.POSE_FEATURE_ENVS)}")
    return 1.0 / envs.make(env_id).dt


def convert(
    asf: str | Path, amcs: list[str | Path], env_id: str, rate: float = 120.0, mirror: bool = False
) -> tuple[Demonstrations, list[Retargeted]]:
    """A retargeted state-only dataset for `env_id`, one episode per AMC clip (see
    `retargeted_dataset`), and the retargeted clips."""
    control_rate_of(env_id)
    if not rate > 0:
        raise ValueError(f"rate must be positive, got {rate}")
    skeleton = parse_asf(asf)
    clips = [landmarks_from_amc(skeleton, parse_amc(amc, skeleton), rate) for amc in amcs]
    return retargeted_dataset(env_id, f"{Path(asf).name}: " + ", ".join(Path(a).name for a in amcs), clips, mirror)
