"""Retargeting of every shipped CMU clip onto the humanoid: landmark error, time, feet,
and how far each pose feature moved from the recording's own (in the recording's std).

    python experiments/retarget_report.py
"""

import time

import numpy as np

from gail_fast import humanoid
from gail_fast.data import MOCAP
from gail_fast.mocap import parse_amc, parse_asf
from gail_fast.mocap.convert import landmarks_from_amc, raw_features
from gail_fast.mocap.retarget import Retargeter

CLIPS = [
    ("02.asf", "02_01.amc"),
    ("02.asf", "02_02.amc"),
    ("02.asf", "02_03.amc"),
    ("02.asf", "02_04.amc"),
    ("07-walk.asf", "07_05-walk.amc"),
    ("13.asf", "13_39.amc"),
]
RATE = 1 / 0.015


def main() -> None:
    retargeter = Retargeter()
    kin = retargeter.kin
    print(
        "| clip | s of motion | s to retarget | landmark error median / 95% / worst (cm) | lowest foot (cm) "
        "| foot slide median, on the floor / planted there (m/s) | largest feature move (std) |"
    )
    print("|---|---|---|---|---|---|---|")
    moves = []
    for asf, amc in CLIPS:
        skeleton = parse_asf(MOCAP / "cmu" / asf)
        motion = parse_amc(MOCAP / "cmu" / amc, skeleton)
        clip = landmarks_from_amc(skeleton, motion, 120.0)
        start = time.perf_counter()
        solved = retargeter.retarget(clip, RATE)
        seconds = time.perf_counter() - start
        e = solved.error_summary()
        contact, slide = humanoid.foot_contact_and_slide(kin, solved.qpos, 1 / RATE)
        planted = contact & solved.planted[:-1] & solved.planted[1:]
        raw = raw_features(skeleton, motion, 120.0, RATE).features
        new = kin.features(solved.qpos)
        moved = np.abs(new.mean(0) - raw.mean(0)) / np.maximum(raw.std(0), 1e-9)
        moves.append(moved)
        worst = int(np.argmax(moved))
        print(
            f"| {amc} | {clip.nframe / 120:.1f} | {seconds:.1f} | {100 * e['median_m']:.1f} / {100 * e['p95_m']:.1f} / "
            f"{100 * e['max_m']:.1f} ({e['worst_landmark']}) | {100 * kin.lowest_foot_point(solved.qpos).min():.2f} "
            f"| {np.median(slide[contact]):.3f} / {np.median(slide[planted]):.3f} "
            f"| {moved[worst]:.1f} ({humanoid.FEATURE_NAMES[worst]}) |"
        )
    print("\nMedian over clips of each feature's move (recording std):")
    print(", ".join(f"{n} {m:.1f}" for n, m in zip(humanoid.FEATURE_NAMES, np.median(moves, axis=0))))


def torque_needs(amc: str = "02_01.amc") -> None:
    """Joint torques the retargeted walk asks for, against each servo's force limit.

    Inverse dynamics without contacts gives the generalized force the motion needs
    (M qacc + bias); the floor supplies its pelvis part through the feet on the ground (a
    force and torque at each, least-norm where both are down); what is left on the hinges
    is what the servos must give."""
    import mujoco

    retargeter = Retargeter()
    skeleton = parse_asf(MOCAP / "cmu" / "02.asf")
    solved = retargeter.retarget(landmarks_from_amc(skeleton, parse_amc(MOCAP / "cmu" / amc, skeleton), 120.0), RATE)
    m, d = retargeter.m, mujoco.MjData(retargeter.m)
    m.opt.disableflags |= mujoco.mjtDisableBit.mjDSBL_CONTACT
    qacc = np.gradient(solved.qvel, 1 / RATE, axis=0)
    low = retargeter.kin.lowest_foot_point(solved.qpos)
    feet = [m.body(name).id for name in humanoid.FOOT_GEOMS]
    tau, unexplained = [], []
    for t in range(solved.nframe):
        d.qpos[:], d.qvel[:], d.qacc[:] = solved.qpos[t], solved.qvel[t], qacc[t]
        mujoco.mj_inverse(m, d)
        need = d.qfrc_inverse.copy()
        down = [f for f, h in zip(feet, low[t]) if h < 0.01] or [feet[int(np.argmin(low[t]))]]
        jac = []
        for f in down:
            jp, jr = np.zeros((3, m.nv)), np.zeros((3, m.nv))
            mujoco.mj_jacBody(m, d, jp, jr, f)
            jac.append(np.vstack([jp, jr]))
        jac = np.vstack(jac)  # (6 per foot, nv): the feet's wrenches act through J^T
        wrench = np.linalg.lstsq(jac[:, :6].T, need[:6], rcond=None)[0]
        rest = need - jac.T @ wrench
        tau.append(rest[6:])
        unexplained.append(np.linalg.norm(rest[:3]))
    tau = np.array(tau)
    print(f"\nTorques of {amc} (95th percentile of |torque|, Nm, against the servo's limit):")
    rows = []
    for i in range(m.nu):
        joint = m.actuator_trnid[i, 0]
        need = np.percentile(np.abs(tau[:, m.jnt_dofadr[joint] - 6]), 95)
        rows.append(f"{m.joint(joint).name} {need:.0f}/{m.actuator_forcerange[i, 1]:.0f}")
    print(", ".join(rows))
    print(f"force at the pelvis the feet cannot supply, median: {np.median(unexplained):.1f} N")


if __name__ == "__main__":
    main()
    torque_needs()
