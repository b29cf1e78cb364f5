"""Forward kinematics of a parsed ASF skeleton and AMC motion (the C++ kernel)."""

from __future__ import annotations

import numpy as np

from gail_fast import _core
from gail_fast.mocap.asf_amc import AXES, Motion, Skeleton

# CMU's frame is y up; ours is z up (x kept, y -> z, z -> -y: a proper rotation).
Y_UP_TO_Z_UP = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])


def euler_matrix(angles: np.ndarray, order: str) -> np.ndarray:
    """Rotation applying angles[0] about order[0] first, then the others (radians)."""
    out = np.eye(3)
    for angle, axis in zip(angles, order.lower()):
        c, s = np.cos(angle), np.sin(angle)
        k = AXES.index(axis)
        r = np.eye(3)
        i, j = [a for a in range(3) if a != k]
        r[i, i], r[i, j], r[j, i], r[j, j] = c, -s, s, c
        if k == 1:  # about y the sine signs follow the (z, x) order
            r[i, j], r[j, i] = s, -s
        out = r @ out
    return out


def kernel_arrays(skeleton: Skeleton, motion: Motion) -> dict[str, np.ndarray]:
    """The skeleton and motion flattened for the C++ kernel (radians, metres)."""
    to_rad = np.pi / 180 if skeleton.angles_in_degrees else 1.0
    motion_to_rad = np.pi / 180 if motion.angles_in_degrees else 1.0
    nbone = len(skeleton.bones)
    columns, names = [], []
    dof_axis = np.full((nbone, 3), -1, dtype=np.int32)
    dof_column = np.full((nbone, 3), -1, dtype=np.int32)
    translation_column = np.full(3, -1, dtype=np.int32)
    for b, bone in enumerate(skeleton.bones):
        if not bone.dofs:
            continue
        if bone.name not in motion.values:
            raise ValueError(f"{motion.path} has no values for bone {bone.name!r}")
        values = motion.values[bone.name]
        k = 0
        for d, dof in enumerate(bone.dofs):
            column = values[:, d]
            if dof[0] == "t":
                translation_column[AXES.index(dof[1])] = len(columns)
                columns.append(column * skeleton.metres_per_unit)
            else:
                dof_axis[b, k] = AXES.index(dof[1])
                dof_column[b, k] = len(columns)
                columns.append(column * motion_to_rad)
                k += 1
            names.append(f"{bone.name}.{dof}")
    axis = np.stack([euler_matrix(bone.axis * to_rad, bone.axis_order) for bone in skeleton.bones])
    offset = np.stack([bone.direction * bone.length * skeleton.metres_per_unit for bone in skeleton.bones])
    return {
        "parent": np.asarray(skeleton.parents, dtype=np.int32),
        "axis": np.ascontiguousarray(axis),
        "offset": np.ascontiguousarray(offset),
        "dof_axis": dof_axis,
        "dof_column": dof_column,
        "translation_column": translation_column,
        "motion": np.ascontiguousarray(np.stack(columns, axis=1) if columns else np.zeros((motion.nframe, 0))),
    }


def forward_kinematics(skeleton: Skeleton, motion: Motion, z_up: bool = True) -> np.ndarray:
    """World positions `(nframe, nbone, 3)` in metres of every bone's end (the root's
    position for bone 0), in `skeleton.bones` order, z up unless `z_up=False`."""
    arrays = kernel_arrays(skeleton, motion)
    positions = np.empty((motion.nframe, len(skeleton.bones), 3))
    _core.forward_kinematics(positions=positions, **arrays)
    positions += skeleton.root_position * skeleton.metres_per_unit
    return positions @ Y_UP_TO_Z_UP.T if z_up else positions
