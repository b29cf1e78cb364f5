"""The MuJoCo side of the viewer: which geoms a model draws, and where they are at each
recorded `qpos` (replayed with `mj_kinematics`, so the bodies are the model's own)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import mujoco
import numpy as np

from gail_fast.humanoid import FEATURE_NAMES

# The points of the pose features, in the kernel's order (src/cpp/mocap/pose_features.h).
FEATURE_SITES = ("pelvis", "left_foot", "right_foot", "left_hand", "right_hand", "head")
DEFAULT_HEIGHT = 1.73  # m, standing height assumed when a model has no feature sites

_DRAWN_TYPES = {
    mujoco.mjtGeom.mjGEOM_SPHERE: "sphere",
    mujoco.mjtGeom.mjGEOM_CAPSULE: "capsule",
    mujoco.mjtGeom.mjGEOM_ELLIPSOID: "ellipsoid",
    mujoco.mjtGeom.mjGEOM_CYLINDER: "cylinder",
    mujoco.mjtGeom.mjGEOM_BOX: "box",
}
_HIDDEN_GROUPS = 3  # MuJoCo's viewer hides groups 3-5 by default (collision-only geoms)


@dataclass(frozen=True)
class Scene:
    """What the page and the video draw of one model."""

    model: mujoco.MjModel
    geom_ids: np.ndarray
    """(ngeom,) ids of the geoms drawn as bodies (planes and hidden groups excluded)."""
    geoms: list[dict[str, Any]]
    """Per drawn geom: type, size (MuJoCo's, 3 numbers), rgba, name."""
    floor_rgba: list[float] | None
    """Colour of the model's ground plane, None where it has none."""
    skipped: dict[str, int]
    """Geoms not drawn, by MuJoCo type name (meshes, height fields)."""
    site_ids: np.ndarray | None
    """(6,) ids of the pose-feature sites, None where the model lacks any of them."""
    height: float
    """Standing height (head top above the lowest foot point at qpos0), the features' unit."""
    root_body: int
    """The body the camera follows where there are no feature sites."""
    foot_height: float
    """Height of the lower foot site above the floor at qpos0 (standing), m."""


def _colour(model: mujoco.MjModel, geom: int) -> np.ndarray:
    """A geom's colour: its own rgba, or its material's, tinted by the mean of the
    material's texture (the Gymnasium models colour their bodies and floors that way)."""
    matid = model.geom_matid[geom]
    if matid < 0:
        return model.geom_rgba[geom]
    rgba = model.mat_rgba[matid].copy()
    tex = model.mat_texid[matid, mujoco.mjtTextureRole.mjTEXROLE_RGB]
    if tex >= 0:
        channels = model.tex_nchannel[tex]
        size = model.tex_width[tex] * model.tex_height[tex] * channels
        pixels = model.tex_data[model.tex_adr[tex] : model.tex_adr[tex] + size].reshape(-1, channels)
        rgba[:3] *= pixels[:, :3].mean(axis=0) / 255
    return rgba


def load_scene(model: mujoco.MjModel) -> Scene:
    """Lists what to draw of `model`: visible geoms with their colours, feature sites."""
    ids, geoms, skipped = [], [], {}
    floor_rgba = None
    for i in range(model.ngeom):
        if model.geom_group[i] >= _HIDDEN_GROUPS:
            continue
        rgba = _colour(model, i)
        if rgba[3] == 0:
            continue
        kind = int(model.geom_type[i])
        if kind == mujoco.mjtGeom.mjGEOM_PLANE:
            floor_rgba = floor_rgba or [round(float(c), 3) for c in rgba]
            continue
        if kind not in _DRAWN_TYPES:
            name = mujoco.mjtGeom(kind).name.removeprefix("mjGEOM_").lower()
            skipped[name] = skipped.get(name, 0) + 1
            continue
        ids.append(i)
        geoms.append(
            {
                "type": _DRAWN_TYPES[kind],
                "size": [round(float(s), 4) for s in model.geom_size[i]],
                "rgba": [round(float(c), 3) for c in rgba],
                "name": model.geom(i).name,
            }
        )
    site_ids = [mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_SITE, name) for name in FEATURE_SITES]
    has_sites = min(site_ids) >= 0
    height, foot_height = DEFAULT_HEIGHT, 0.0
    if has_sites:
        # As the C++ task measures it, so that features times height are metres on this body.
        data = mujoco.MjData(model)
        mujoco.mj_kinematics(model, data)
        foot = min(data.site_xpos[site_ids[1], 2], data.site_xpos[site_ids[2], 2])
        height, foot_height = float(data.site_xpos[site_ids[5], 2] - foot), float(foot)
    return Scene(
        model,
        np.array(ids, dtype=np.int64),
        geoms,
        floor_rgba,
        skipped,
        np.array(site_ids) if has_sites else None,
        height,
        root_body=1 if model.nbody > 1 else 0,
        foot_height=foot_height,
    )


@dataclass(frozen=True)
class Poses:
    """A replayed motion, frame by frame."""

    geom_pos: np.ndarray
    """(nframe, ngeom, 3) world positions of the drawn geoms."""
    geom_quat: np.ndarray
    """(nframe, ngeom, 4) their orientations, unit quaternions (w, x, y, z)."""
    root: np.ndarray
    """(nframe, 3) the point the camera follows: the pelvis site, or the root body."""
    sites: np.ndarray | None
    """(nframe, 6, 3) the pose-feature points, where the model has them."""
    heading: np.ndarray | None
    """(nframe, 2) unit ground-plane direction the pelvis faces, where the model has sites."""

    @property
    def nframe(self) -> int:
        return len(self.root)


def quat_mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hamilton products of quaternions (..., 4), (w, x, y, z)."""
    aw, ax, ay, az = np.moveaxis(a, -1, 0)
    bw, bx, by, bz = np.moveaxis(b, -1, 0)
    return np.stack(
        [
            aw * bw - ax * bx - ay * by - az * bz,
            aw * bx + ax * bw + ay * bz - az * by,
            aw * by - ax * bz + ay * bw + az * bx,
            aw * bz + ax * by - ay * bx + az * bw,
        ],
        axis=-1,
    )


def replay(scene: Scene, qpos: np.ndarray) -> Poses:
    """Geom and site poses of `scene`'s model at each row of `qpos` `(nframe, nq)`."""
    model = scene.model
    qpos = np.asarray(qpos, dtype=np.float64)
    if qpos.ndim != 2 or qpos.shape[1] != model.nq:
        raise ValueError(f"qpos must have shape (nframe, {model.nq}) for this model, got {qpos.shape}")
    data = mujoco.MjData(model)
    n, g = len(qpos), scene.geom_ids
    xpos, xquat = np.empty((n, model.nbody, 3)), np.empty((n, model.nbody, 4))
    geom_pos = np.empty((n, len(g), 3))
    sites = np.empty((n, len(FEATURE_SITES), 3)) if scene.site_ids is not None else None
    pelvis_x = np.empty((n, 2))
    for t in range(n):
        data.qpos[:] = qpos[t]
        mujoco.mj_kinematics(model, data)
        xpos[t], xquat[t] = data.xpos, data.xquat
        geom_pos[t] = data.geom_xpos[g]
        if sites is not None:
            sites[t] = data.site_xpos[scene.site_ids]
            # The pelvis frame's x axis on the ground: the heading the C++ features use.
            pelvis_x[t] = data.site_xmat[scene.site_ids[0]].reshape(3, 3)[:2, 0]
    # A geom's orientation is its body's composed with its fixed offset in that body.
    geom_quat = quat_mul(xquat[:, model.geom_bodyid[g]], model.geom_quat[g][None])
    if sites is not None:
        heading = pelvis_x / np.maximum(np.linalg.norm(pelvis_x, axis=1, keepdims=True), 1e-9)
        root = sites[:, 0]
    else:
        heading, root = None, xpos[:, scene.root_body]
    return Poses(geom_pos, geom_quat, root.copy(), sites, heading)


def feature_points(
    features: np.ndarray, height: float, foot_height: float, start: np.ndarray, heading: np.ndarray
) -> np.ndarray:
    """World points `(nframe, 6, 3)` that pose features `(nframe, 18)` describe.

    Features hold no absolute place or heading: the pelvis starts at `start` (3,) and
    moves by the features' mean displacement per step, facing `heading` (2,) throughout,
    which suits straight walks; its height puts the lower foot point `foot_height` above
    the floor. Good enough to see a clip's gait before it is retargeted.
    """
    features = np.asarray(features, dtype=np.float64)
    step_at = FEATURE_NAMES.index("pelvis_step_x")  # z_t: five points, then the pelvis's mean step
    rel = features[:, :step_at].reshape(-1, 5, 3) * height
    step = features[:, step_at : step_at + 3] * height
    c, s = heading / max(np.linalg.norm(heading), 1e-9)
    rot = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])  # heading frame to world
    # Frame t's displacement term is the mean step over the frames before it.
    pelvis = (
        np.asarray(start, dtype=np.float64) + np.concatenate([np.zeros((1, 3)), np.cumsum(step[1:], axis=0)]) @ rot.T
    )
    pelvis[:, 2] = -np.minimum(rel[:, 0, 2], rel[:, 1, 2]) + foot_height
    points = np.concatenate([pelvis[:, None], pelvis[:, None] + rel @ rot.T], axis=1)
    return points
