"""Motion capture command line.

    python -m gail_fast.mocap convert --asf S.asf --amc M.amc [--amc M2.amc ...] \\
        --env Humanoid21Imitation-v0 --out walk.npz
    python -m gail_fast.mocap info --asf S.asf --amc M.amc
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from gail_fast.mocap.asf_amc import MocapParseError, parse_amc, parse_asf
from gail_fast.mocap.kinematics import forward_kinematics


def info(asf: Path, amc: Path, rate: float) -> str:
    skeleton = parse_asf(asf)
    motion = parse_amc(amc, skeleton)
    pos = forward_kinematics(skeleton, motion)
    pelvis = pos[:, 0]
    speed = np.linalg.norm(np.diff(pelvis[:, :2], axis=0), axis=1).mean() * rate if motion.nframe > 1 else 0.0
    head = pos[:, skeleton.names.index("head"), 2] if "head" in skeleton.names else None
    lines = [
        f"clip:          {amc} ({skeleton.path})",
        f"frames:        {motion.nframe} at {rate:g} Hz = {motion.nframe / rate:.2f} s",
        f"pelvis speed:  {speed:.2f} m/s (horizontal, mean)",
        f"pelvis height: {np.median(pelvis[:, 2]):.2f} m (median), {pelvis[:, 2].min():.2f}-{pelvis[:, 2].max():.2f} m",
    ]
    if head is not None:
        lines.append(f"head height:   {np.median(head):.2f} m (median)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    from gail_fast.demos import summary
    from gail_fast.mocap.convert import convert

    parser = argparse.ArgumentParser(prog="python -m gail_fast.mocap", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    conv = sub.add_parser("convert", help="write pose features of clips as a state-only dataset")
    conv.add_argument("--asf", type=Path, required=True)
    conv.add_argument("--amc", type=Path, action="append", required=True, help="repeat for several clips")
    conv.add_argument("--env", default="Humanoid21Imitation-v0")
    conv.add_argument("--out", type=Path, required=True)
    conv.add_argument("--rate", type=float, default=120.0, help="the recording's frame rate in Hz")
    inf = sub.add_parser("info", help="frames, duration, pelvis speed and height of a clip")
    inf.add_argument("--asf", type=Path, required=True)
    inf.add_argument("--amc", type=Path, required=True)
    inf.add_argument("--rate", type=float, default=120.0)
    args = parser.parse_args(argv)
    try:
        if args.command == "convert":
            demos = convert(args.asf, args.amc, args.env, args.rate)
            demos.save(args.out)
            print(summary(demos))
            print(f"written: {args.out}")
        else:
            print(info(args.asf, args.amc, args.rate))
    except (MocapParseError, ValueError) as e:
        parser.exit(2, f"error: {e}\n")


if __name__ == "__main__":
    main(sys.argv[1:])
