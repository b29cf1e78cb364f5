"""Retargeting: a landmark clip onto the humanoid's joint angles.

For every frame at the control rate, the humanoid's `qpos` (free pelvis and 21 hinges)
that puts its landmark points (`gail_fast.humanoid.LANDMARK_POINTS`) where the clip,
scaled to the humanoid's leg length, has them: damped least squares (Levenberg-Marquardt)
on MuJoCo's own point Jacobians, within the joint limits, warm-started from the previous
frame and pulled weakly towards it and towards the standing pose, which settles the
angles the landmarks leave free (the feet's roll, the abdomen's twist). Then the body is
lifted so that a planted foot stands on the floor and no foot goes below it,
and `qvel` is the derivative of a cubic spline through the solved frames (the free
joint's angular velocity in the pelvis frame, as MuJoCo's `qvel` has it).
"""

from __future__ import annotations

from dataclasses import dataclass

import mujoco
import numpy as np

from gail_fast import humanoid
from gail_fast.mocap.landmarks import LANDMARKS, LandmarkClip
from gail_fast.mocap.spline import cubic_spline, resample

# Landmark weights: the legs and the pelvis set the gait; the head and the neck are the
# least alike between a recording and the model (no neck joint here).
WEIGHTS = {name: 0.5 if name in ("neck", "head") else 1.0 for name in LANDMARKS}
# A foot point is planted while it is within PLANT_HEIGHT of its low (over the second around) and slower than
# PLANT_SPEED; recordings let planted feet drift (marker noise, skin motion), and that
# drift would teach sliding, so a planted point's target is held still.
PLANT_HEIGHT = 0.03  # m
PLANT_SPEED = 0.4  # m/s
BLEND = 4  # frames over which a hold fades in and out
PLANTED_WEIGHT = 5.0  # a planted foot point outweighs the others: where it stands matters most
# A planted foot stands flat: its sole's two sides at one height (m of height difference,
# weighted like a landmark). The landmarks (ankle and ball) leave the foot's roll free.
FLAT_WEIGHT = 5.0
SOLE_SIDES = ((0.05, 0.04, -0.07), (0.05, -0.04, -0.07))  # points on the sole, in the foot's frame
FOOT_POINTS = ("left_toe", "right_toe", "left_ankle", "right_ankle")
# Recordings' floors tilt against their up axis (CMU's walks drop about 2 cm a metre along
# the walk): over a take a planted foot then sits centimetres higher at one end than at the
# other, which hides plants from the height test. The floor is fitted to the feet at rest and
# the clip turned level, unless the fit is steeper than a floor's tilt (a ramp, stairs).
REST_SPEED = 0.15  # m/s: a foot point this slow is resting on the floor
LEVEL_SPREAD = 0.5  # m: the feet must rest this far apart along a direction to fit its slope
LEVEL_MAX_DEG = 5.0
SMOOTHNESS = 0.05  # pull towards the previous frame's angles (m of landmark error per rad)
NOMINAL = 0.02  # pull towards the standing pose (m per rad)


@dataclass(frozen=True)
class Retargeted:
    """A clip on the humanoid at the control rate."""

    qpos: np.ndarray  # (nframe, nq)
    qvel: np.ndarray  # (nframe, nv)
    rate: float
    error: np.ndarray  # (nframe, NLANDMARK) landmark distance (m) after the solve, NaN where absent
    lift: np.ndarray  # (nframe,) how far the body was raised to put the feet on the floor (m)
    planted: np.ndarray  # (nframe, 2) bool: the clip has the left / right foot planted
    scale: float  # humanoid leg length / clip leg length
    source: str
    floor_tilt_deg: float = 0.0  # how far the recording's floor was turned to level it

    @property
    def nframe(self) -> int:
        return len(self.qpos)

    @property
    def support(self) -> np.ndarray:
        """(nframe,) bool: the clip has a foot planted."""
        return self.planted.any(axis=1)

    def error_summary(self) -> dict[str, float]:
        """Median and worst landmark error in metres, and the landmark of the worst."""
        valid = np.isfinite(self.error[0])
        err = self.error[:, valid]
        worst = np.unravel_index(np.argmax(err), err.shape)
        return {
            "median_m": float(np.median(err)),
            "p95_m": float(np.percentile(err, 95)),
            "max_m": float(err.max()),
            "worst_landmark": [n for n, v in zip(LANDMARKS, valid) if v][worst[1]],
            "worst_frame": int(worst[0]),
        }


def ground_speed(x: np.ndarray, rate: float) -> np.ndarray:
    """Horizontal speed (m/s) of a point's track `x` `(nframe, 3)` at `rate` Hz, per frame."""
    return np.linalg.norm(np.gradient(x[:, :2], axis=0), axis=1) * rate


def floor_tilt(target: np.ndarray, present: np.ndarray, rate: float) -> np.ndarray:
    """The rotation `(3, 3)` that turns the floor under the feet at rest in `target`
    `(nframe, NLANDMARK, 3)` (z up) level: the slope of a plane fitted to the resting foot
    points (each point its own height above the plane), fitted again without the points
    more than 2 cm off it (a foot held still in the air). Identity where the feet rest over
    too small an area (`_floor_grade`) or the fit is steeper than LEVEL_MAX_DEG."""
    rows, which = [], []
    for k, name in enumerate(FOOT_POINTS):
        i = LANDMARKS.index(name)
        if present[i] and len(target) > 1:
            x = target[:, i]
            resting = ground_speed(x, rate) < REST_SPEED
            rows.append(x[resting])
            which += [k] * int(resting.sum())
    if not rows:
        return np.eye(3)
    points, which = np.concatenate(rows), np.array(which)
    xy, z = points[:, :2], points[:, 2]
    grade = _floor_grade(xy, z, which)
    if grade is not None:
        off = z - xy @ grade
        for k in np.unique(which):
            off[which == k] -= np.median(off[which == k])
        keep = np.abs(off) < 0.02
        grade = _floor_grade(xy[keep], z[keep], which[keep])
    if grade is None or np.degrees(np.arctan(np.linalg.norm(grade))) > LEVEL_MAX_DEG:
        return np.eye(3)
    normal = np.array([-grade[0], -grade[1], 1.0]) / np.hypot(np.linalg.norm(grade), 1.0)
    # Rodrigues: the rotation about normal x z that takes the normal to z
    axis, cos = np.cross(normal, [0.0, 0.0, 1.0]), normal[2]
    cross = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + cross + cross @ cross / (1 + cos)


def _floor_grade(xy: np.ndarray, z: np.ndarray, which: np.ndarray) -> np.ndarray | None:
    """The floor's rise (m per m along x and y) under resting foot points at `xy` `(n, 2)`,
    heights `z`, point numbers `which`, each point at its own height above it; along a
    direction in which no point rests over LEVEL_SPREAD, none (a point's height is fitted
    apart, so only one point resting in different places shows the slope). None if no
    direction qualifies or there are fewer than 10 points."""
    if len(z) < 10:
        return None
    centred = xy.copy()
    for k in np.unique(which):
        centred[which == k] -= xy[which == k].mean(axis=0)
    _, directions = np.linalg.eigh(np.cov(centred.T))
    along = centred @ directions
    fitted = [d for d in range(2) if np.ptp(along[:, d]) >= LEVEL_SPREAD]
    if not fitted:
        return None
    offsets = (which[:, None] == np.unique(which)[None, :]).astype(float)
    coef = np.linalg.lstsq(np.column_stack([along[:, fitted], offsets]), z, rcond=None)[0]
    return directions[:, fitted] @ coef[: len(fitted)]


def hold_planted_feet(target: np.ndarray, present: np.ndarray, rate: float) -> np.ndarray:
    """`target` `(nframe, NLANDMARK, 3)` with each planted foot point held at its mean
    ground position over the stretch it is planted, the hold fading in and out over
    BLEND frames; returns the planted mask `(nframe, NLANDMARK)`."""
    planted = np.zeros(target.shape[:2], dtype=bool)
    n = len(target)
    for name in FOOT_POINTS:
        i = LANDMARKS.index(name)
        if not present[i]:
            continue
        x = target[:, i]
        speed = ground_speed(x, rate)
        # height over the lowest the point came within a second either way: recordings'
        # floors drift by centimetres over a take
        half = int(rate)
        padded = np.pad(x[:, 2], half, mode="edge")
        floor = np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1).min(axis=1)
        on = (x[:, 2] < floor + PLANT_HEIGHT) & (speed < PLANT_SPEED)
        offset = np.zeros((n, 2))
        weight = np.zeros(n)
        edges = np.flatnonzero(np.diff(np.r_[0, on.astype(int), 0]))
        for start, stop in zip(edges[::2], edges[1::2]):
            if stop - start < 3:
                continue
            planted[start:stop, i] = True
            hold = x[start:stop, :2].mean(axis=0)
            offset[start:stop] = hold - x[start:stop, :2]
            weight[start:stop] = 1
            for k in range(1, BLEND + 1):  # fade: the edge's offset, shrinking
                fade = 1 - k / (BLEND + 1)
                for t, edge in ((start - k, start), (stop - 1 + k, stop - 1)):
                    if 0 <= t < n and fade > weight[t]:
                        offset[t], weight[t] = fade * offset[edge], fade
        x[:, :2] += offset
    return planted


def leg_length(clip: LandmarkClip) -> float:
    """Median hip-knee-ankle length of the clip's legs (m)."""
    p = {n: clip.positions[:, i] for i, n in enumerate(LANDMARKS)}
    lengths = [
        np.linalg.norm(p[f"{s}_hip"] - p[f"{s}_knee"], axis=1)
        + np.linalg.norm(p[f"{s}_knee"] - p[f"{s}_ankle"], axis=1)
        for s in ("left", "right")
    ]
    return float(np.median(np.concatenate(lengths)))


class Retargeter:
    """Solves the humanoid's `qpos` for landmark clips (one model, reused across clips)."""

    def __init__(self, kinematics: humanoid.Kinematics | None = None) -> None:
        self.kin = kinematics or humanoid.Kinematics()
        m = self.kin.model
        self.m, self.d = m, mujoco.MjData(m)
        self.bodies = np.array(
            [mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_BODY, humanoid.LANDMARK_POINTS[n][0]) for n in LANDMARKS]
        )
        if (self.bodies < 0).any():
            raise ValueError("the humanoid model lacks a body that a landmark sits on")
        self.local = np.array([humanoid.LANDMARK_POINTS[n][1] for n in LANDMARKS])
        self.feet = np.array([mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_BODY, f) for f in humanoid.FOOT_GEOMS])
        # Hinge limits, in qpos order after the free joint (7 numbers) and in qvel order
        # after its 6: the same joints, one number each.
        hinge = np.arange(1, m.njnt)
        self.lo, self.hi = m.jnt_range[hinge, 0], m.jnt_range[hinge, 1]
        self.nominal = m.qpos0[7:].copy()
        ankle, thigh = self._body_origin("left_foot", m.qpos0), self._body_origin("left_thigh", m.qpos0)
        self.leg = float(np.linalg.norm(ankle - thigh))

    def _body_origin(self, name: str, qpos: np.ndarray) -> np.ndarray:
        self.d.qpos[:] = qpos
        mujoco.mj_kinematics(self.m, self.d)
        return self.d.xpos[mujoco.mj_name2id(self.m, mujoco.mjtObj.mjOBJ_BODY, name)].copy()

    def points(self, qpos: np.ndarray) -> np.ndarray:
        """The landmark points `(NLANDMARK, 3)` at one `qpos`."""
        d = self.d
        d.qpos[:] = qpos
        mujoco.mj_kinematics(self.m, d)
        return d.xpos[self.bodies] + np.einsum("nij,nj->ni", d.xmat[self.bodies].reshape(-1, 3, 3), self.local)

    def _initial(self, target: np.ndarray) -> np.ndarray:
        """A standing pose at the clip's first frame: pelvis between the hips, facing
        the way the hips say."""
        i = {n: k for k, n in enumerate(LANDMARKS)}
        left = target[i["left_hip"]] - target[i["right_hip"]]
        yaw = np.arctan2(-left[0], left[1])  # forward = left x up
        q = self.m.qpos0.copy()
        q[:3] = 0.5 * (target[i["left_hip"]] + target[i["right_hip"]]) + [0, 0, 0.03]
        q[3:7] = [np.cos(yaw / 2), 0, 0, np.sin(yaw / 2)]
        return q

    def _sole_sides(self) -> np.ndarray:
        """`(2 feet, 2 sides, 3)` world positions of the soles' sides (kinematics in self.d)."""
        d = self.d
        rot = d.xmat[self.feet].reshape(-1, 3, 3)
        return d.xpos[self.feet][:, None] + np.einsum("fij,sj->fsi", rot, np.array(SOLE_SIDES))

    def _cost(self, q, target, w, flat, prior_w, prior_to):
        p = self.points(q)
        r = (p - target).ravel()
        sides = self._sole_sides()
        tilt = sides[:, 0, 2] - sides[:, 1, 2]  # per foot: how far its sole leans sideways
        cost = w @ r**2 + flat @ tilt**2 + prior_w @ (q[7:] - prior_to) ** 2
        return float(cost), p, r, sides, tilt

    def solve_frame(
        self,
        target: np.ndarray,
        weight: np.ndarray,
        q: np.ndarray,
        previous: np.ndarray | None,
        iterations: int,
        free: bool = True,
        flat: np.ndarray | None = None,
    ) -> np.ndarray:
        """Levenberg-Marquardt from `q` towards landmark `target` `(NLANDMARK, 3)`; with
        `free=False` the hinges stay where they are and only the pelvis moves; `flat`
        (2,) weighs each foot's sole towards level (0 leaves it free)."""
        m, d = self.m, self.d
        nv = m.nv
        jacp = np.zeros((3, nv))
        w = np.repeat(weight, 3)  # per residual of the landmark points
        # The priors: one quadratic per hinge, towards a blend of the standing pose and the
        # previous frame (their weighted mean, which has the same minimiser).
        a, b = NOMINAL**2, (SMOOTHNESS**2 if previous is not None else 0.0)
        prior_w = np.full(nv - 6, a + b)
        prior_to = self.nominal if previous is None else (a * self.nominal + b * previous[7:]) / (a + b)
        flat = np.zeros(2) if flat is None else flat
        q = q.copy()
        cost, p, r, sides, tilt = self._cost(q, target, w, flat, prior_w, prior_to)
        mu = 1e-3
        for _ in range(iterations):
            mujoco.mj_comPos(m, d)  # d holds q's kinematics from the last _cost
            jac = np.zeros((3 * len(p), nv))
            for k in np.flatnonzero(weight):
                mujoco.mj_jac(m, d, jacp, None, p[k], self.bodies[k])
                jac[3 * k : 3 * k + 3] = jacp
            # the soles' tilt: one more residual per flat foot
            feet = np.flatnonzero(flat)
            tilt_jac = np.zeros((len(feet), nv))
            for row, f in zip(tilt_jac, feet):
                mujoco.mj_jac(m, d, jacp, None, sides[f, 0], self.feet[f])
                row += jacp[2]
                mujoco.mj_jac(m, d, jacp, None, sides[f, 1], self.feet[f])
                row -= jacp[2]
            jac = np.vstack([jac, tilt_jac])
            if not free:
                jac[:, 6:] = 0
            all_r, all_w = np.concatenate([r, tilt[feet]]), np.concatenate([w, flat[feet]])
            jw = jac * all_w[:, None]
            grad = jw.T @ all_r
            grad[6:] += prior_w * (q[7:] - prior_to)
            hess = jac.T @ jw
            hess[6:, 6:] += np.diag(prior_w)
            if not free:
                hess[6:, 6:] = np.eye(nv - 6)
                grad[6:] = 0
            while True:
                dq = np.linalg.solve(hess + mu * np.diag(np.diag(hess) + 1e-6), -grad)
                trial = q.copy()
                mujoco.mj_integratePos(m, trial, dq, 1.0)
                trial[7:] = np.clip(trial[7:], self.lo, self.hi)
                new_cost, new_p, new_r, new_sides, new_tilt = self._cost(trial, target, w, flat, prior_w, prior_to)
                if new_cost < cost:
                    q, cost, p, r, sides, tilt, mu = (
                        trial,
                        new_cost,
                        new_p,
                        new_r,
                        new_sides,
                        new_tilt,
                        max(mu / 3, 1e-7),
                    )
                    break
                mu *= 4
                if mu > 1e6:
                    break
            if mu > 1e6 or np.abs(dq).max() < 1e-7:
                break
        self.points(q)  # leave d at the solution
        return q

    def retarget(self, clip: LandmarkClip, control_rate: float) -> Retargeted:
        """The clip resampled to `control_rate` Hz and solved frame by frame."""
        scale = self.leg / leg_length(clip)
        present = clip.present
        filled = np.where(present[None, :, None], clip.positions, 0.0)
        target = resample(filled.reshape(clip.nframe, -1) * scale, clip.rate, control_rate).reshape(
            -1, len(LANDMARKS), 3
        )
        if len(target) < 2:
            raise ValueError(
                f"{clip.source}: {clip.nframe} frames at {clip.rate:g} Hz are under two frames at the control "
                f"rate ({control_rate:g} Hz); a clip needs at least 2"
            )
        level = floor_tilt(target, present, control_rate)
        centre = target[:, present].reshape(-1, 3).mean(axis=0)
        target = (target - centre) @ level.T + centre
        planted = hold_planted_feet(target, present, control_rate)
        weight = np.array([WEIGHTS[n] for n in LANDMARKS]) * present * np.where(planted, PLANTED_WEIGHT, 1.0)
        qpos = np.empty((len(target), self.m.nq))
        # The first frame from a standing pose: the pelvis alone first, so that the limbs
        # do not bend to make up for a pelvis that faces or leans the wrong way.
        q = self.solve_frame(target[0], weight[0], self._initial(target[0]), None, iterations=100, free=False)
        q, previous = self.solve_frame(target[0], weight[0], q, None, iterations=200), None
        feet = [[LANDMARKS.index(f"{side}_{point}") for point in ("toe", "ankle")] for side in ("left", "right")]
        flat = FLAT_WEIGHT * np.stack([planted[:, f].any(axis=1) for f in feet], axis=1)  # (nframe, 2)
        for t in range(len(target)):
            q = self.solve_frame(target[t], weight[t], q, previous, iterations=30, flat=flat[t])
            qpos[t] = previous = q
        error = np.array([np.linalg.norm(self.points(q) - x, axis=1) for q, x in zip(qpos, target)])
        error[:, ~present] = np.nan
        foot_planted = flat > 0
        lift = self._put_on_floor(qpos, foot_planted)
        qvel = spline_velocities(qpos, control_rate)
        tilt = float(np.degrees(np.arccos(np.clip(level[2, 2], -1.0, 1.0))))
        return Retargeted(qpos, qvel, control_rate, error, lift, foot_planted, scale, clip.source, tilt)

    def _put_on_floor(self, qpos: np.ndarray, planted: np.ndarray) -> np.ndarray:
        """Moves the body up or down so that a planted foot (`planted` `(nframe, 2)`,
        left and right) touches the floor, by amounts interpolated in time between the
        frames that have one (a flight phase stays in the air), and never lets a foot go
        below the floor. Returns the lift per frame (m)."""
        low = self.kin.lowest_foot_point(qpos)
        support = planted.any(axis=1)
        frames = np.arange(len(qpos))
        if support.any():
            on_floor = np.where(planted, low, np.inf).min(axis=1)  # the lower planted foot
            lift = np.interp(frames, frames[support], -on_floor[support])
        else:
            lift = np.full(len(low), -np.median(low.min(axis=1)))
        lift = np.maximum(lift, -low.min(axis=1))
        qpos[:, 2] += lift
        return lift


def spline_velocities(qpos: np.ndarray, rate: float) -> np.ndarray:
    """`qvel` `(nframe, nv)` of a free-joint body's `qpos` `(nframe, 7 + nhinge)` as the
    derivative of a not-a-knot cubic spline through the frames: linear velocity in the
    world frame, angular velocity in the body frame (2 conj(q) dq/dt), hinge rates."""
    quat = qpos[:, 3:7].copy()
    flip = np.cumprod(np.where(np.sum(quat[1:] * quat[:-1], axis=1) < 0, -1.0, 1.0))
    quat[1:] *= flip[:, None]  # one sign throughout, so the spline does not cross zero
    values = np.concatenate([qpos[:, :3], quat, qpos[:, 7:]], axis=1)
    t = np.arange(len(qpos)) / rate
    _, deriv = cubic_spline(t, values, t)
    q, dq = quat / np.linalg.norm(quat, axis=1, keepdims=True), deriv[:, 3:7]
    w, v = q[:, :1], -q[:, 1:]  # conjugate
    dw, dv = dq[:, :1], dq[:, 1:]
    omega = 2 * (w * dv + dw * v + np.cross(v, dv))  # vector part of conj(q) * dq
    return np.concatenate([deriv[:, :3], omega, deriv[:, 7:]], axis=1)
