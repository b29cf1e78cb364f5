"""The 21-joint humanoid in one place: its model, the names of its pose features, the
body points retargeting matches, and its kinematics on the `mujoco` package.

The C++ task (src/cpp/tasks/humanoid_imitation.cc) computes the same features in every
episode; the constants it shares with this module come from the extension.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import mujoco
import numpy as np

from gail_fast import _core

ASSETS = Path(__file__).parent / "assets"
MODEL_XML = ASSETS / "humanoid21.xml"

HISTORY: int = _core.HUMANOID_HISTORY
"""k of the pose features' pelvis displacement term."""
FEATURE_SITES: tuple[str, ...] = tuple(_core.HUMANOID_FEATURE_SITES)
"""The sites whose positions give the pose features, pelvis first."""
VELOCITY_CLIP: float = _core.HUMANOID_VELOCITY_CLIP
"""Observed velocities are clipped to +-this."""
FEATURE_NAMES: tuple[str, ...] = tuple(f"{site}_{axis}" for site in FEATURE_SITES[1:] for axis in "xyz") + (
    "pelvis_step_x",
    "pelvis_step_y",
    "pelvis_step_z",
)
"""z_t's components: each end effector relative to the pelvis, then the pelvis's mean
displacement per step over the last `HISTORY` steps; heading frame, in body heights."""
assert len(FEATURE_NAMES) == _core.POSE_FEATURES

# Where each landmark (gail_fast.mocap.landmarks) sits on the humanoid: a body and a point
# in its frame. Joint centres are body origins; the toe is the ball of the foot (the foot
# site), the neck the top of the neck capsule, the head its sphere's centre.
LANDMARK_POINTS: dict[str, tuple[str, tuple[float, float, float]]] = {
    "left_hip": ("left_thigh", (0.0, 0.0, 0.0)),
    "right_hip": ("right_thigh", (0.0, 0.0, 0.0)),
    "left_knee": ("left_shin", (0.0, 0.0, 0.0)),
    "right_knee": ("right_shin", (0.0, 0.0, 0.0)),
    "left_ankle": ("left_foot", (0.0, 0.0, 0.0)),
    "right_ankle": ("right_foot", (0.0, 0.0, 0.0)),
    "left_toe": ("left_foot", (0.12, 0.0, -0.05)),
    "right_toe": ("right_foot", (0.12, 0.0, -0.05)),
    "left_shoulder": ("left_upper_arm", (0.0, 0.0, 0.0)),
    "right_shoulder": ("right_upper_arm", (0.0, 0.0, 0.0)),
    "left_elbow": ("left_forearm", (0.0, 0.0, 0.0)),
    "right_elbow": ("right_forearm", (0.0, 0.0, 0.0)),
    "left_wrist": ("left_hand", (0.0, 0.0, 0.0)),
    "right_wrist": ("right_hand", (0.0, 0.0, 0.0)),
    "neck": ("torso", (0.0, 0.0, 0.48)),
    "head": ("head", (0.0, 0.0, 0.0)),
}
FOOT_GEOMS = ("left_foot", "right_foot")


class Kinematics:
    """Positions on the humanoid at given `qpos`, on one `mujoco.MjData`."""

    def __init__(self, xml_path: str | Path = MODEL_XML) -> None:
        self.model = mujoco.MjModel.from_xml_path(str(xml_path))
        self.data = mujoco.MjData(self.model)
        m = self.model
        self.site_ids = [mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_SITE, s) for s in FEATURE_SITES]
        self.foot_geoms = [mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_GEOM, g) for g in FOOT_GEOMS]
        if min(self.site_ids + self.foot_geoms) < 0:
            raise ValueError(f"{xml_path} lacks the humanoid's feature sites {FEATURE_SITES} or feet {FOOT_GEOMS}")
        # Body size as the C++ task measures it: head top above the lowest foot site at qpos0.
        points = self.feature_points(m.qpos0[None])[0]
        self.scale = float(points[5, 2] - min(points[1, 2], points[2, 2]))

    @property
    def nq(self) -> int:
        return self.model.nq

    def _at(self, qpos: np.ndarray) -> mujoco.MjData:
        self.data.qpos[:] = qpos
        mujoco.mj_kinematics(self.model, self.data)
        return self.data

    def feature_points(self, qpos: np.ndarray) -> np.ndarray:
        """The feature sites' positions `(nframe, 6, 3)` at `qpos` `(nframe, nq)`."""
        out = np.empty((len(qpos), len(FEATURE_SITES), 3))
        for t, q in enumerate(qpos):
            out[t] = self._at(q).site_xpos[self.site_ids]
        return out

    def features(self, qpos: np.ndarray) -> np.ndarray:
        """Pose features `(nframe, POSE_FEATURES)` of a sequence of states `(nframe, nq)`,
        frame t's displacement term looking back min(t, HISTORY) frames: what the
        simulator observes when an episode passes through these states."""
        points = np.empty((len(qpos), len(FEATURE_SITES), 3))
        forward = np.empty((len(qpos), 2))
        pelvis = self.site_ids[0]
        for t, q in enumerate(qpos):
            d = self._at(q)
            points[t] = d.site_xpos[self.site_ids]
            forward[t] = d.site_xmat[pelvis, [0, 3]]  # the pelvis frame's x axis on the ground
        out = np.empty((len(qpos), _core.POSE_FEATURES))
        _core.clip_features(points, forward, self.scale, HISTORY, out)
        return out

    def lowest_foot_point(self, qpos: np.ndarray) -> np.ndarray:
        """Height `(nframe, 2)` of each foot's lowest point (left, right)."""
        out = np.empty((len(qpos), 2))
        for t, q in enumerate(qpos):
            self._at(q)
            for k, g in enumerate(self.foot_geoms):
                out[t, k] = self.lowest_point(g)[2]
        return out

    def lowest_point(self, geom: int) -> np.ndarray:
        """World position of a box, capsule or sphere geom's lowest point (kinematics in
        `self.data`); on a tie, any of the lowest."""
        m, d = self.model, self.data
        rot, size = d.geom_xmat[geom].reshape(3, 3), m.geom_size[geom]
        kind = m.geom_type[geom]
        if kind == mujoco.mjtGeom.mjGEOM_BOX:
            return d.geom_xpos[geom] - rot @ (np.sign(rot[2]) * size)  # the corner furthest down
        if kind == mujoco.mjtGeom.mjGEOM_CAPSULE:
            end = rot[:, 2] * size[1]
            return d.geom_xpos[geom] - end * np.sign(end[2]) - [0, 0, size[0]]
        if kind == mujoco.mjtGeom.mjGEOM_SPHERE:
            return d.geom_xpos[geom] - [0, 0, size[0]]
        raise ValueError(f"the foot geom {m.geom(geom).name!r} is not a box, capsule or sphere")


ROOT_NAMES: tuple[str, ...] = (
    "pelvis_height",
    *(f"up_{axis}" for axis in "xyz"),
    *(f"velocity_{axis}" for axis in "xyz"),
    *(f"angular_velocity_{axis}" for axis in "xyz"),
)
"""The root's state as the discriminator's mode zzr sees it: the free joint's height (m),
its up axis and linear velocity (m/s) in the heading frame, its angular velocity (rad/s)
in its own frame (as MuJoCo's qvel has it). Heading-invariant, as z_t is."""


def heading_direction(qpos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The ground-plane direction (x, y), not normalised, of the pelvis frame's x axis per
    frame of `qpos` `(n, >= 7)`: the rotation matrix's first column."""
    w, x, y, z = (qpos[:, i] for i in range(3, 7))
    return 1 - 2 * (y * y + z * z), 2 * (x * y + w * z)


def unit_heading(qpos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`heading_direction` normalised: its cosine and sine; +x for a pelvis pitched
    straight up or down, as the C++ features take it."""
    fx, fy = heading_direction(qpos)
    norm = np.hypot(fx, fy)
    facing = norm > 0
    safe = np.where(facing, norm, 1.0)
    return np.where(facing, fx / safe, 1.0), np.where(facing, fy / safe, 0.0)


def root_features(qpos: np.ndarray, qvel: np.ndarray) -> np.ndarray:
    """`(n, len(ROOT_NAMES))` from `qpos` `(n, >= 7)` and `qvel` `(n, >= 6)` (free joint
    first), velocities clipped to `VELOCITY_CLIP` as the observation has them."""
    w, x, y, z = (qpos[:, i] for i in range(3, 7))
    c, s = unit_heading(qpos)
    up = np.stack([2 * (x * z + w * y), 2 * (y * z - w * x), 1 - 2 * (x * x + y * y)], axis=1)  # third column
    qvel = np.clip(qvel[:, :6], -VELOCITY_CLIP, VELOCITY_CLIP)

    def to_heading(v: np.ndarray) -> np.ndarray:  # rotate the ground-plane part by minus the heading
        return np.stack([c * v[:, 0] + s * v[:, 1], c * v[:, 1] - s * v[:, 0], v[:, 2]], axis=1)

    return np.concatenate([qpos[:, 2:3], to_heading(up), to_heading(qvel[:, :3]), qvel[:, 3:6]], axis=1)


def state_of_obs(obs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`(qpos, qvel)` of the humanoid's observations `(n, nobs)`, which are qpos without
    the ground-plane position (here zero), then qvel (one free joint: nv = nq - 1), then
    z_t (humanoid_imitation.cc, `observe`)."""
    nq, odd = divmod(obs.shape[1] - _core.POSE_FEATURES + 3, 2)
    if odd or nq < 7:
        raise ValueError(f"{obs.shape[1]}-dim observations are not the humanoid's (qpos[2:], qvel, z_t)")
    qpos = np.concatenate([np.zeros((len(obs), 2)), obs[:, : nq - 2]], axis=1)
    return qpos, obs[:, nq - 2 : 2 * nq - 3]


def root_features_of_obs(obs: np.ndarray) -> np.ndarray:
    """`root_features` of the humanoid's observations `(n, nobs)`."""
    return root_features(*state_of_obs(obs))


SOLE_SITES: tuple[str, ...] = ("left_sole", "right_sole")
"""The centre of each foot's sole (left, right): where the feet's motion over the floor is measured."""
FOOT_MOTION_NAMES: tuple[str, ...] = tuple(
    f"{site}_{name}" for site in SOLE_SITES for name in ("velocity_x", "velocity_y", "height", "yaw", "yaw_rate")
)
"""What the discriminator's mode zvf sees of each foot: its sole centre's
ground-plane velocity (m/s) in the heading frame, its height above the floor (m), the
sine of its heading relative to the pelvis's, and how fast it turns about the vertical
(rad/s). z_t holds the feet relative to the pelvis: whether a stance foot slides or
twists on the floor it shows only through the pelvis's velocity, which it averages over
k steps."""


FOOT_SLIDE_HEIGHT = 0.02
"""Height (m) of a sole centre over the floor at which `foot_slide` counts 1/e of its speed:
the trained clips' stance soles sit below it (35% of frames, at a median 0.02 m/s), their
swing soles well above (4 cm and up: 0.7-3 m/s)."""


def foot_slide(motion: np.ndarray) -> np.ndarray:
    """`(n, 2)`: each sole centre's speed over the ground (m/s), weighted by how near the
    floor it is, exp(-(height / FOOT_SLIDE_HEIGHT)^2), from `foot_motion`'s `(n, 10)`.
    A stance foot that slides shows as its speed; a swing foot as nearly 0. Among the
    feet's velocities, which spread over the swing's 0-4 m/s, a stance foot's 0.1 m/s
    is lost to the input standardisation; here it stands apart."""
    if motion.ndim != 2 or motion.shape[1] != len(FOOT_MOTION_NAMES):
        raise ValueError(f"foot motion must be (n, {len(FOOT_MOTION_NAMES)}), got {motion.shape}")
    per_foot = motion.reshape(len(motion), len(SOLE_SITES), -1)
    speed = np.hypot(per_foot[..., 0], per_foot[..., 1])
    return speed * np.exp(-((per_foot[..., 2] / FOOT_SLIDE_HEIGHT) ** 2))


@functools.cache
def _sole_kinematics() -> _core.SiteKinematics:
    return _core.SiteKinematics(str(MODEL_XML), list(SOLE_SITES), min(os.cpu_count() or 1, 8))


def foot_motion(qpos: np.ndarray, qvel: np.ndarray) -> np.ndarray:
    """`(n, len(FOOT_MOTION_NAMES))` from `qpos` `(n, nq)` and `qvel` `(n, nv)`,
    velocities clipped to `VELOCITY_CLIP` first, as the observation has them; on the C++
    `SiteKinematics`."""
    kin = _sole_kinematics()
    qpos = np.ascontiguousarray(qpos, dtype=np.float64)
    qvel = np.ascontiguousarray(np.clip(qvel, -VELOCITY_CLIP, VELOCITY_CLIP), dtype=np.float64)
    if qpos.ndim != 2 or qvel.ndim != 2 or len(qpos) != len(qvel):
        raise ValueError(f"qpos and qvel must be (n, nq) and (n, nv), got {qpos.shape} and {qvel.shape}")
    n, ns = len(qpos), kin.nsite
    pos, xmat = np.empty((n, ns, 3)), np.empty((n, ns, 9))
    linvel, angvel = np.empty((n, ns, 3)), np.empty((n, ns, 3))
    kin.compute(qpos, qvel, pos, xmat, linvel, angvel)
    c, s = unit_heading(qpos)
    c, s = c[:, None], s[:, None]
    vx, vy = linvel[..., 0], linvel[..., 1]
    fx, fy = xmat[..., 0], xmat[..., 3]  # each sole's x axis on the ground
    norm = np.hypot(fx, fy)
    yaw = np.where(norm > 0, (c * fy - s * fx) / np.where(norm > 0, norm, 1.0), 0.0)
    out = np.stack([c * vx + s * vy, c * vy - s * vx, pos[..., 2], yaw, angvel[..., 2]], axis=2)
    return out.reshape(n, -1)


def foot_motion_of_obs(obs: np.ndarray) -> np.ndarray:
    """`foot_motion` of the humanoid's observations `(n, nobs)`."""
    return foot_motion(*state_of_obs(obs))


def start_states(qpos: np.ndarray, episode_lengths: np.ndarray) -> np.ndarray:
    """The C++ task's per-simulation state `(nframe, HUMANOID_TASK_STATE)` at every frame
    of recorded episodes (`qpos` `(sum(T_i + 1), nq)`): the count of pelvis positions and
    the ring of the last HISTORY + 1 of them, filled from the episode's own frames, so an
    episode started there observes the recording's z_t. The pelvis site is the pelvis
    body's origin, i.e. qpos[:3]."""
    state = np.zeros((len(qpos), _core.HUMANOID_TASK_STATE))
    start = 0
    for n in np.asarray(episode_lengths).tolist():
        for t in range(n + 1):
            back = min(t, HISTORY)
            state[start + t, 0] = back + 1
            ring = qpos[start + t - back : start + t + 1, :3]  # positions 0..back, slot c holds number c
            state[start + t, 1 : 1 + 3 * (back + 1)] = ring.ravel()
        start += n + 1
    return state


def foot_contact_and_slide(kin: Kinematics, qpos: np.ndarray, dt: float, contact_height: float = 0.005):
    """Per frame and foot `(nframe - 1, 2)`: whether the foot is on the floor (its lowest
    point within `contact_height` of it, at both ends of the step) and how fast the point
    of the sole lowest at the step's start moves over the ground (m/s). Following one
    material point, a foot rolling from heel to toe does not count as sliding."""
    m, d = kin.model, kin.data
    n = len(qpos)
    low = np.empty((n, 2))
    start = np.empty((n, 2, 3))  # the lowest sole point at frame t
    local = np.empty((n, 2, 3))  # the same point in its body's frame
    pose = np.empty((n, 2, 4, 3))  # each foot body's rotation (3 rows) and position
    for t, q in enumerate(qpos):
        kin._at(q)
        for k, g in enumerate(kin.foot_geoms):
            b = m.geom_bodyid[g]
            point = kin.lowest_point(g)
            rot, pos = d.xmat[b].reshape(3, 3), d.xpos[b]
            low[t, k], start[t, k] = point[2], point
            local[t, k] = rot.T @ (point - pos)
            pose[t, k, :3], pose[t, k, 3] = rot, pos
    # where the frame-t point is at frame t + 1
    moved = pose[1:, :, 3] + np.einsum("fkij,fkj->fki", pose[1:, :, :3], local[:-1])
    slide = np.linalg.norm(moved[..., :2] - start[:-1, :, :2], axis=2) / dt
    contact = (low[:-1] < contact_height) & (low[1:] < contact_height)
    return contact, slide


def mirror_of(env_id: str) -> Mirror:
    """The `Mirror` of a humanoid environment (`envs.POSE_FEATURE_ENVS`, whose observation
    `Mirror.obs` maps); ValueError for any other."""
    from gail_fast import envs

    if env_id not in envs.POSE_FEATURE_ENVS:
        raise ValueError(
            f"a left-right mirror is defined for the humanoid environments {sorted(envs.POSE_FEATURE_ENVS)}, not {env_id!r}"
        )
    return Mirror(envs.FAST_ENVS[env_id].xml_path)


def _partner(name: str) -> str:
    """The name of the other side's counterpart (itself on the body's midline)."""
    for a, b in (("left_", "right_"), ("right_", "left_")):
        if name.startswith(a):
            return b + name[len(a) :]
    return name


class Mirror:
    """The humanoid's left-right mirror image, as signed permutations of its state,
    observation and action: the reflection through the world's x-z plane (y -> -y), which
    the flat floor and the left-right symmetric body leave the dynamics unchanged by.
    TRPO uses it to push the policy towards a gait with no preferred side
    (`TRPOConfig.mirror`, `TRPOConfig.mirror_loss`).

    Derived from the model: each hinge joint maps to the one whose name swaps left_ and
    right_ (itself on the midline), with the sign that takes a rotation about its world
    axis to the reflected rotation about the partner's; actuators follow their joints.
    Raises ValueError where the model is not symmetric so (unpaired names, axes that are
    not each other's reflection, partners with different ranges or gains).

    Each map is `(index, sign)`: `mirrored[..., i] = x[..., index[i]] * sign[i]`.
    """

    def __init__(self, xml_path: str | Path = MODEL_XML) -> None:
        m = mujoco.MjModel.from_xml_path(str(xml_path))
        d = mujoco.MjData(m)
        mujoco.mj_kinematics(m, d)
        if m.njnt < 1 or m.jnt_type[0] != mujoco.mjtJoint.mjJNT_FREE:
            raise ValueError(f"{xml_path}: the humanoid's first joint must be its free root joint")
        reflect = np.array([1.0, -1.0, 1.0])
        # root: position (x, -y, z), orientation (w, -x, y, -z); linear velocity in the world
        # frame (vx, -vy, vz), angular velocity in the body's frame, a pseudovector: (-wx, wy, -wz)
        qpos_index, qpos_sign = list(range(7)), [1.0, -1.0, 1.0, 1.0, -1.0, 1.0, -1.0]
        qvel_index, qvel_sign = list(range(6)), [1.0, -1.0, 1.0, -1.0, 1.0, -1.0]
        joint_sign = np.zeros(m.njnt)
        joint_partner = np.zeros(m.njnt, dtype=int)
        for j in range(1, m.njnt):
            name = m.joint(j).name
            if m.jnt_type[j] != mujoco.mjtJoint.mjJNT_HINGE:
                raise ValueError(f"{xml_path}: joint {name!r} is not a hinge; the mirror maps hinges only")
            p = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_JOINT, _partner(name))
            if p < 0:
                raise ValueError(f"{xml_path}: joint {name!r} has no counterpart {_partner(name)!r}")
            # Reflection R turns a rotation by t about axis a into one by -t about R a.
            cos = float((reflect * d.xaxis[j]) @ d.xaxis[p])
            if abs(abs(cos) - 1.0) > 1e-6:
                raise ValueError(f"{xml_path}: the axes of {name!r} and {m.joint(p).name!r} are not mirror images")
            sign = -np.sign(cos)
            low, high = sign * m.jnt_range[p]
            if not np.allclose(sorted((low, high)), m.jnt_range[j]):
                raise ValueError(f"{xml_path}: the ranges of {name!r} and {m.joint(p).name!r} do not mirror")
            joint_partner[j], joint_sign[j] = p, sign
            qpos_index.append(m.jnt_qposadr[p])
            qpos_sign.append(sign)
            qvel_index.append(m.jnt_dofadr[p])
            qvel_sign.append(sign)
        action_index, action_sign = [], []
        for i in range(m.nu):
            if m.actuator_trntype[i] != mujoco.mjtTrn.mjTRN_JOINT:
                raise ValueError(f"{xml_path}: actuator {i} does not drive a joint")
            j = m.actuator_trnid[i, 0]
            match = np.flatnonzero(
                (m.actuator_trnid[:, 0] == joint_partner[j]) & (m.actuator_trntype == m.actuator_trntype[i])
            )
            if len(match) != 1:
                raise ValueError(
                    f"{xml_path}: actuator {i} has no single counterpart on {m.joint(joint_partner[j]).name!r}"
                )
            k = int(match[0])
            same = np.allclose(m.actuator_gainprm[i], m.actuator_gainprm[k]) and np.allclose(
                m.actuator_biasprm[i], m.actuator_biasprm[k]
            )
            low, high = joint_sign[j] * m.actuator_ctrlrange[k]
            if not same or not np.allclose(sorted((low, high)), m.actuator_ctrlrange[i]):
                raise ValueError(f"{xml_path}: actuators {i} and {k} differ; their actions do not mirror")
            action_index.append(k)
            action_sign.append(joint_sign[j])
        # z_t: the end effectors swap sides and, with the displacement, change the sign
        # of their lateral (heading frame y) coordinate
        sites = FEATURE_SITES[1:]
        feature_index, feature_sign = [], []
        for site in sites:
            base = 3 * sites.index(_partner(site))
            feature_index += [base, base + 1, base + 2]
            feature_sign += [1.0, -1.0, 1.0]
        feature_index += [3 * len(sites) + i for i in range(3)]
        feature_sign += [1.0, -1.0, 1.0]

        def pair(index: list, sign: list) -> tuple[np.ndarray, np.ndarray]:
            return np.asarray(index, dtype=np.int64), np.asarray(sign, dtype=np.float64)

        self.qpos = pair(qpos_index, qpos_sign)
        self.qvel = pair(qvel_index, qvel_sign)
        self.action = pair(action_index, action_sign)
        self.features = pair(feature_index, feature_sign)
        # The observation (humanoid_imitation.cc, `observe`): qpos[2:], qvel, z_t.
        nq = m.nq
        self.obs = pair(
            [i - 2 for i in qpos_index[2:]]
            + [nq - 2 + i for i in qvel_index]
            + [nq - 2 + m.nv + i for i in feature_index],
            [*qpos_sign[2:], *qvel_sign, *feature_sign],
        )
        for name in ("qpos", "qvel", "action", "features", "obs"):
            index = getattr(self, name)[0]
            assert sorted(index.tolist()) == list(range(len(index))), f"the {name} mirror is not a permutation"

    def mirror_obs(self, obs):
        """The mirror images of observations `(..., nobs)` (TRPO's `MirrorMap`)."""
        return self.apply(obs, self.obs)

    def mirror_action(self, actions):
        """The mirror images of actions `(..., nact)` (TRPO's `MirrorMap`)."""
        return self.apply(actions, self.action)

    @staticmethod
    def apply(x, index_sign: tuple[np.ndarray, np.ndarray]):
        """`x` `(..., n)` (numpy array or torch tensor) through one of the maps."""
        index, sign = index_sign
        if x.shape[-1] != len(index):
            raise ValueError(f"the mirror maps {len(index)} entries, got an array of shape {tuple(x.shape)}")
        if isinstance(x, np.ndarray):
            return x[..., index] * sign
        import torch

        return x[..., torch.as_tensor(index)] * torch.as_tensor(sign, dtype=x.dtype)
