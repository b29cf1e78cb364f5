"""3D human keypoints estimated from video to pose features z_t.

Pose estimators lift 2D detections to 3D joints in the 17-joint Human3.6M order; a clip
is an array `(nframe, 17, 3)` saved with `numpy.save`, z up, in millimetres (or metres,
`units="m"`). The frame rate is the video's and is not in the file, so it is required.

The feature points are the pelvis, the ankles (the 17 joints have no feet), the wrists
and the head; the facing direction comes from the hips, as for motion capture. The body
size is estimated from bone lengths, which do not change with the pose: ankle-knee-hip
(both legs averaged) plus pelvis-spine-thorax-neck-head, with the ankle's height above
the ground added as 3.9% of stature (Winter's proportions, the humanoid's own).

Lifting networks often hold the pelvis at the origin (no global trajectory); then the
pelvis displacement term of z_t is zero in the ground plane, which `summary` points out.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from gail_fast.demos import MAX_BYTES, Demonstrations, read_npy_data, read_npy_header
from gail_fast.mocap.convert import Clip, clip_from_points, control_rate_of, retargeted_dataset
from gail_fast.mocap.landmarks import LANDMARKS, LandmarkClip

H36M_JOINTS = (
    "pelvis",
    "right_hip",
    "right_knee",
    "right_ankle",
    "left_hip",
    "left_knee",
    "left_ankle",
    "spine",
    "thorax",
    "neck",
    "head",
    "left_shoulder",
    "left_elbow",
    "left_wrist",
    "right_shoulder",
    "right_elbow",
    "right_wrist",
)
# The kernel's six feature points, then the left and right hip.
FEATURE_JOINTS = ("pelvis", "left_ankle", "right_ankle", "left_wrist", "right_wrist", "head", "left_hip", "right_hip")
UNITS = {"mm": 1e-3, "m": 1.0}
# The Human3.6M joint of each landmark; the 17 joints have no toes, and the "neck" joint
# sits at the nose, the nearest of them to the base of the skull.
H36M_LANDMARKS = {
    "left_hip": "left_hip",
    "right_hip": "right_hip",
    "left_knee": "left_knee",
    "right_knee": "right_knee",
    "left_ankle": "left_ankle",
    "right_ankle": "right_ankle",
    "left_shoulder": "left_shoulder",
    "right_shoulder": "right_shoulder",
    "left_elbow": "left_elbow",
    "right_elbow": "right_elbow",
    "left_wrist": "left_wrist",
    "right_wrist": "right_wrist",
    "neck": "neck",
    "head": "head",
}
ANKLE_HEIGHT = 0.039  # of stature


def load_keypoints(path: str | Path, units: str = "mm", max_bytes: int = MAX_BYTES) -> np.ndarray:
    """Keypoints `(nframe, 17, 3)` in metres from a `.npy` file; ValueError naming the file
    for anything else (wrong shape or dtype, non-finite values, a pickle, a missing file).
    The header is checked (dtype, shape, size against the file's, at most `max_bytes`)
    before the data is read."""
    path = Path(path)
    if units not in UNITS:
        raise ValueError(f"units must be one of {sorted(UNITS)}, got {units!r}")
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        raise ValueError(f"{path}: no such file") from None
    except OSError as e:
        raise ValueError(f"{path}: cannot be read ({e.strerror or e})") from None
    with f:
        dtype, shape, fortran = read_npy_header(f, str(path))
        held = os.fstat(f.fileno()).st_size - f.tell()
        if dtype.kind not in "fiu":
            raise ValueError(f"{path}: keypoints must be a real array, got {dtype}")
        if len(shape) != 3 or shape[1:] != (len(H36M_JOINTS), 3):
            raise ValueError(
                f"{path}: keypoints must have shape (nframe, {len(H36M_JOINTS)}, 3) "
                f"(Human3.6M joint order), got {shape}"
            )
        nbytes = math.prod(shape) * dtype.itemsize
        if nbytes != held:
            raise ValueError(
                f"{path}: its header claims shape {shape} of {dtype} ({nbytes} bytes); the file holds {held}"
            )
        if nbytes > max_bytes:
            raise ValueError(
                f"{path}: {nbytes / 2**20:.1f} MiB of keypoints, more than the {max_bytes / 2**20:.1f} MiB read"
            )
        if shape[0] < 2:
            raise ValueError(f"{path}: {shape[0]} frame(s); a clip needs at least 2")
        keypoints = read_npy_data(f, dtype, shape, fortran, str(path))
    if not np.isfinite(keypoints).all():
        bad = np.argwhere(~np.isfinite(keypoints).all(axis=(1, 2)))[:, 0]
        raise ValueError(f"{path}: non-finite keypoints in frames {bad[:10].tolist()}")
    return keypoints.astype(np.float64) * UNITS[units]


def stature(keypoints: np.ndarray) -> float:
    """Estimated standing height (m) of the person in a clip of keypoints in metres."""
    j = {name: keypoints[:, i] for i, name in enumerate(H36M_JOINTS)}

    def length(*chain: str) -> np.ndarray:
        return sum(np.linalg.norm(j[a] - j[b], axis=1) for a, b in zip(chain, chain[1:]))

    legs = (length("left_ankle", "left_knee", "left_hip") + length("right_ankle", "right_knee", "right_hip")) / 2
    trunk = length("pelvis", "spine", "thorax", "neck", "head")
    return float(np.median(legs + trunk) / (1.0 - ANKLE_HEIGHT))


def keypoints_clip(keypoints: np.ndarray, fps: float, control_rate: float) -> Clip:
    """Pose features of keypoints `(nframe, 17, 3)` in metres at `fps`, resampled to `control_rate`."""
    if not fps > 0:
        raise ValueError(f"fps must be positive, got {fps}")
    pos = keypoints[:, [H36M_JOINTS.index(n) for n in FEATURE_JOINTS]]
    return clip_from_points(pos, fps, control_rate, stature(keypoints))


def landmarks_from_keypoints(keypoints: np.ndarray, fps: float, source: str) -> LandmarkClip:
    """The landmarks of keypoints `(nframe, 17, 3)` in metres at `fps` (NaN for the toes)."""
    if not fps > 0:
        raise ValueError(f"fps must be positive, got {fps}")
    pos = np.full((len(keypoints), len(LANDMARKS), 3), np.nan)
    for i, name in enumerate(LANDMARKS):
        if name in H36M_LANDMARKS:
            pos[:, i] = keypoints[:, H36M_JOINTS.index(H36M_LANDMARKS[name])]
    return LandmarkClip(pos, fps, source)


def convert_keypoints(
    paths: list[str | Path], env_id: str, fps: float, units: str = "mm", mirror: bool = False
) -> tuple[Demonstrations, list]:
    """A retargeted state-only dataset for `env_id`, one episode per keypoint file, and
    the retargeted clips (see `gail_fast.mocap.convert.retargeted_dataset`)."""
    control_rate_of(env_id)
    clips = [landmarks_from_keypoints(load_keypoints(p, units), fps, Path(p).name) for p in paths]
    return retargeted_dataset(env_id, "keypoints: " + ", ".join(Path(p).name for p in paths), clips, mirror)


def summary(path: str | Path, fps: float, units: str = "mm") -> str:
    """Frames, duration, estimated stature and whether the clip carries a trajectory."""
    keypoints = load_keypoints(path, units)
    pelvis = keypoints[:, 0]
    travel = np.linalg.norm(np.diff(pelvis[:, :2], axis=0), axis=1).sum()
    lines = [
        f"clip:     {path}",
        f"frames:   {len(keypoints)} at {fps:g} Hz = {len(keypoints) / fps:.2f} s",
        f"stature:  {stature(keypoints):.2f} m (estimated from bone lengths)",
        f"pelvis:   {travel:.2f} m travelled in the ground plane",
    ]
    if travel == 0:
        lines.append("          (held at the origin: z_t's pelvis displacement will be zero in the ground plane)")
    return "\n".join(lines)
