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
    print("| clip | s of motion | s to retarget | landmark error median / 95% / worst (cm) | lowest foot (cm) "
          "| planted-foot slide median (m/s) | largest feature move (std) |")
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
        raw = raw_features(skeleton, motion, 120.0, RATE).features
        new = kin.features(solved.qpos)
        moved = np.abs(new.mean(0) - raw.mean(0)) / np.maximum(raw.std(0), 1e-9)
        moves.append(moved)
        worst = int(np.argmax(moved))
        print(
            f"| {amc} | {clip.nframe / 120:.1f} | {seconds:.1f} | {100 * e['median_m']:.1f} / {100 * e['p95_m']:.1f} / "
            f"{100 * e['max_m']:.1f} ({e['worst_landmark']}) | {100 * kin.lowest_foot_point(solved.qpos).min():.2f} "
            f"| {np.median(slide[contact]):.3f} | {moved[worst]:.1f} ({humanoid.FEATURE_NAMES[worst]}) |"
        )
    print("\nMedian over clips of each feature's move (recording std):")
    print(", ".join(f"{n} {m:.1f}" for n, m in zip(humanoid.FEATURE_NAMES, np.median(moves, axis=0))))


if __name__ == "__main__":
    main()
