"""The derived recordings in gail_fast/data/mocap, made from real ones by the documented
transformations below; `python tests/derive_mocap.py` writes them again.

- cmu_bvh/02_01.bvh: CMU's 02.asf + 02_01.amc (a walk) written as BVH by our own
  converter, in centimetres, y up, CMU's BVH joint names, and each joint's rotation in
  one of the six Euler orders in turn, so that a reader must honour every order. Each
  ASF bone becomes a joint at the bone's start whose rotation is the bone's local
  rotation (C M C^-1, C the bone's axis frame, M its AMC rotation) expressed in Euler
  angles by scipy; the bone's vector becomes its child's OFFSET (or its End Site's).
- pose2sim/Balancing_for_IK_gaps.trc: Pose2Sim's Balancing_for_IK.trc with the fields
  of some markers emptied over the frames in `TRC_GAPS`, as a capture system writes a
  marker it lost (the last marker's empty fields left off the row's end, as some writers
  do).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation

from gail_fast import mocap
from gail_fast.data import MOCAP
from gail_fast.mocap.bvh import END, Bvh, BvhJoint, write_bvh

# CMU's own BVH conversion names the ASF bones so.
CMU_BVH_NAMES = {
    "root": "Hips",
    "lowerback": "LowerBack",
    "upperback": "Spine",
    "thorax": "Spine1",
    "lowerneck": "Neck",
    "upperneck": "Neck1",
    "head": "Head",
}
for side, word in (("l", "Left"), ("r", "Right")):
    CMU_BVH_NAMES.update(
        {
            f"{side}hipjoint": f"{side.upper()}HipJoint",
            f"{side}femur": f"{word}UpLeg",
            f"{side}tibia": f"{word}Leg",
            f"{side}foot": f"{word}Foot",
            f"{side}toes": f"{word}ToeBase",
            f"{side}clavicle": f"{word}Shoulder",
            f"{side}humerus": f"{word}Arm",
            f"{side}radius": f"{word}ForeArm",
            f"{side}wrist": f"{word}Hand",
            f"{side}hand": f"{word}FingerBase",
            f"{side}fingers": f"{word}HandIndex1",
            f"{side}thumb": f"{side.upper()}Thumb",
        }
    )
ORDERS = ("ZXY", "XYZ", "YZX", "ZYX", "YXZ", "XZY")
CM = 100.0  # per metre

# (marker, first frame, last frame), 1-based frame numbers as in the file's Frame# column.
TRC_GAPS = (
    ("RKnee", 30, 37),  # 8 frames, 0.13 s: filled
    ("LAnkle", 60, 64),  # 5 frames: filled
    ("RWrist", 10, 21),  # 12 frames, 0.2 s, the longest filled
    ("Nose", 40, 79),  # 40 frames, 0.67 s: too long; the head, made with it, is left out
    ("LSmallToe", 1, 3),  # at the start: the clip is trimmed to begin at frame 4
    ("LWrist", 50, 52),  # the last marker: its empty fields left off the rows
)


def local_rotations(skeleton: mocap.Skeleton, motion: mocap.Motion) -> np.ndarray:
    """(nframe, nbone, 3, 3) rotation of each bone relative to its parent, in the rest
    pose's world axes (C M C^-1), by scipy: independent of the C++ kernel."""
    to_rad = np.pi / 180 if skeleton.angles_in_degrees else 1.0
    motion_to_rad = np.pi / 180 if motion.angles_in_degrees else 1.0
    out = np.tile(np.eye(3), (motion.nframe, len(skeleton.bones), 1, 1))
    for b, bone in enumerate(skeleton.bones):
        c = Rotation.from_euler(bone.axis_order.lower(), bone.axis * to_rad).as_matrix()
        rot = [d for d in bone.dofs if d[0] == "r"]
        if rot:
            idx = [bone.dofs.index(d) for d in rot]
            values = motion.values[bone.name][:, idx] * motion_to_rad
            m = Rotation.from_euler("".join(d[1] for d in rot), values).as_matrix()
            out[:, b] = c @ m @ c.T
    return out


def asf_amc_to_bvh(skeleton: mocap.Skeleton, motion: mocap.Motion, rate: float, path: str) -> Bvh:
    """The clip as a BVH skeleton and motion (centimetres, y up, mixed rotation orders)."""
    metres = skeleton.metres_per_unit
    local = local_rotations(skeleton, motion)
    children: dict[int, list[int]] = {b: [] for b in range(len(skeleton.bones))}
    for b, p in enumerate(skeleton.parents[1:], start=1):
        children[p].append(b)
    joints, columns = [], []
    for b, bone in enumerate(skeleton.bones):
        order = ORDERS[b % len(ORDERS)]
        channels = tuple(f"{a}rotation" for a in order)
        angles = Rotation.from_matrix(local[:, b]).as_euler(order, degrees=True)  # intrinsic = BVH's
        if b == 0:
            channels = ("Xposition", "Yposition", "Zposition") + channels
            t = [motion.values["root"][:, bone.dofs.index(f"t{a}")] for a in "xyz"]
            position = (np.stack(t, axis=1) * metres + skeleton.root_position * metres) * CM
            angles = np.concatenate([position, angles], axis=1)
            offset = np.zeros(3)
        else:
            parent = skeleton.bones[skeleton.parents[b]]
            offset = parent.direction * parent.length * metres * CM
        joints.append(
            BvhJoint(
                CMU_BVH_NAMES[bone.name],
                skeleton.parents[b] if b else -1,
                offset,
                channels,
                sum(c.shape[1] for c in columns),
                0,
            )
        )
        columns.append(angles)
    for b, bone in enumerate(skeleton.bones):
        if not children[b]:
            joints.append(BvhJoint(joints[b].name + END, b, bone.direction * bone.length * metres * CM, (), 0, 0))
    return Bvh(path, tuple(joints), 1.0 / rate, np.concatenate(columns, axis=1))


def cmu_bvh(out: Path) -> None:
    skeleton = mocap.parse_asf(MOCAP / "cmu" / "02.asf")
    motion = mocap.parse_amc(MOCAP / "cmu" / "02_01.amc", skeleton)
    write_bvh(out, asf_amc_to_bvh(skeleton, motion, 120.0, str(out)), digits=5)


def trc_with_gaps(source: Path, out: Path) -> None:
    lines = source.read_text().split("\n")
    names = [n for n in lines[3].split("\t")[2:] if n]
    last = names[-1]
    for k in range(5, len(lines)):
        fields = lines[k].split("\t")
        if len(fields) < 2:
            continue
        frame = int(fields[0])
        for marker, first, final in TRC_GAPS:
            if first <= frame <= final:
                c = 2 + 3 * names.index(marker)
                fields[c : c + 3] = ["", "", ""]
        while fields[-1] == "" and any(first <= frame <= final for m, first, final in TRC_GAPS if m == last):
            fields.pop()
        lines[k] = "\t".join(fields)
    out.write_text("\n".join(lines))


def main() -> None:
    cmu_bvh(MOCAP / "cmu_bvh" / "02_01.bvh")
    trc_with_gaps(MOCAP / "pose2sim" / "Balancing_for_IK.trc", MOCAP / "pose2sim" / "Balancing_for_IK_gaps.trc")


if __name__ == "__main__":
    sys.exit(main())
