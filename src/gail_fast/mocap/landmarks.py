"""Landmarks: the body points every source of motion is reduced to before retargeting.

A motion source (CMU ASF/AMC, 3D keypoints from video, BVH, TRC markers) becomes a
`LandmarkClip`: the positions of the joint centres below, in metres, z up, at the
recording's frame rate. Retargeting (`gail_fast.mocap.retarget`) solves the humanoid's
joint angles that put its own copies of these points where the clip has them. A source
that lacks a landmark writes NaN there; retargeting then leaves it out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LANDMARKS: tuple[str, ...] = (
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
    "left_toe",  # ball of the foot
    "right_toe",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "neck",  # base of the head (top of the neck)
    "head",  # centre of the head
)
NLANDMARK = len(LANDMARKS)

# A source must give these to be retargeted: the pelvis's place and heading and the legs.
REQUIRED = ("left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle")


def mirror_name(name: str) -> str:
    """The landmark on the other side of the body ("left_knee" <-> "right_knee")."""
    if name.startswith("left_"):
        return "right_" + name[5:]
    if name.startswith("right_"):
        return "left_" + name[6:]
    return name


@dataclass(frozen=True)
class LandmarkClip:
    """Landmark positions `(nframe, NLANDMARK, 3)`, metres, z up, in `LANDMARKS` order,
    NaN for landmarks the source lacks (whole columns), recorded at `rate` Hz."""

    positions: np.ndarray
    rate: float
    source: str

    def __post_init__(self) -> None:
        p = self.positions
        if p.ndim != 3 or p.shape[1:] != (NLANDMARK, 3):
            raise ValueError(f"{self.source}: landmark positions must be (nframe, {NLANDMARK}, 3), got {p.shape}")
        if len(p) < 2:
            raise ValueError(f"{self.source}: a clip needs at least 2 frames, got {len(p)}")
        if not (np.isfinite(self.rate) and self.rate > 0):
            raise ValueError(f"{self.source}: the frame rate must be positive, got {self.rate}")
        present = np.isfinite(p).all(axis=(0, 2))
        partly = np.isfinite(p).any(axis=(0, 2)) & ~present
        if partly.any():
            names = [LANDMARKS[i] for i in np.flatnonzero(partly)]
            raise ValueError(f"{self.source}: landmarks {names} are missing in some frames; fill the gaps first")
        missing = [name for name in REQUIRED if not present[LANDMARKS.index(name)]]
        if missing:
            raise ValueError(f"{self.source}: lacks the landmarks {missing} that retargeting needs")

    @property
    def nframe(self) -> int:
        return len(self.positions)

    @property
    def present(self) -> np.ndarray:
        """(NLANDMARK,) bool: the landmarks this clip has."""
        return np.isfinite(self.positions).all(axis=(0, 2))

    def mirrored(self) -> LandmarkClip:
        """The clip reflected in the xz plane (y -> -y), left and right swapped: the same
        motion done by the other side of the body."""
        order = [LANDMARKS.index(mirror_name(n)) for n in LANDMARKS]
        p = self.positions[:, order].copy()
        p[..., 1] *= -1
        return LandmarkClip(p, self.rate, self.source + " (mirrored)")
