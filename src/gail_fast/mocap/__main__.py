"""Motion capture command line: CMU ASF/AMC recordings, or 3D keypoints from video.

    python -m gail_fast.mocap convert --asf S.asf --amc M.amc [--amc M2.amc ...] \\
        --env Humanoid21Imitation-v0 [--mirror] --out walk.npz
    python -m gail_fast.mocap convert --keypoints K.npy [--keypoints K2.npy ...] --fps 30 \\
        [--units mm] --env Humanoid21Imitation-v0 --out dance.npz
    python -m gail_fast.mocap info --asf S.asf --amc M.amc          (with its retargeting error)
    python -m gail_fast.mocap info --keypoints K.npy --fps 30
    python -m gail_fast.mocap convert --bvh F.bvh [--bvh F2.bvh ...] [--up auto] [--bvh-unit auto] \\
        --env Humanoid21Imitation-v0 --out clip.npz
    python -m gail_fast.mocap convert --trc F.trc [--trc F2.trc ...] [--marker-set auto] [--max-gap 0.2] \\
        --env Humanoid21Imitation-v0 --out clip.npz
    python -m gail_fast.mocap info --bvh F.bvh          (or --trc F.trc; with its retargeting error)
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


def retarget_report(solved) -> str:
    """One line on how well a clip was retargeted onto the humanoid."""
    e = solved.error_summary()
    return (
        f"retargeted:    {solved.source}: {solved.nframe} frames at {solved.rate:.2f} Hz, body scaled by "
        f"{solved.scale:.3f}; landmark error median {100 * e['median_m']:.1f} cm, 95% {100 * e['p95_m']:.1f} cm, "
        f"worst {100 * e['max_m']:.1f} cm ({e['worst_landmark']}, frame {e['worst_frame']}); "
        f"lifted {100 * solved.lift.min():+.1f} to {100 * solved.lift.max():+.1f} cm onto the floor "
        f"(levelled by {solved.floor_tilt_deg:.1f} deg)"
    )


def sources(parser: argparse.ArgumentParser, args: argparse.Namespace) -> str:
    """ "amc", "keypoints", "bvh" or "trc", after checking that the flags name exactly one
    kind of source."""
    amc, keypoints = bool(args.asf or args.amc), bool(args.keypoints)
    kinds = [k for k, given in (("amc", amc), ("keypoints", keypoints), ("bvh", args.bvh), ("trc", args.trc)) if given]
    if len(kinds) != 1:
        parser.error("give one kind of source: --asf with --amc, --keypoints with --fps, --bvh or --trc")
    if kinds[0] in ("bvh", "trc"):
        return kinds[0]
    if amc and not (args.asf and args.amc):
        parser.error("motion capture needs both --asf and --amc")
    if keypoints and args.fps is None:
        parser.error("keypoints need --fps, the video's frame rate (it is not in the file)")
    return "amc" if amc else "keypoints"


def main(argv: list[str] | None = None) -> None:
    from gail_fast.demos import summary
    from gail_fast.mocap import bvh, keypoints, trc
    from gail_fast.mocap.convert import control_rate_of, convert, landmarks_from_amc, retargeted_dataset
    from gail_fast.mocap.retarget import Retargeter

    parser = argparse.ArgumentParser(
        prog="python -m gail_fast.mocap", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    conv = sub.add_parser("convert", help="write pose features of clips as a state-only dataset")
    inf = sub.add_parser("info", help="frames, duration, pelvis speed and height of a clip")
    for p, several in ((conv, True), (inf, False)):
        p.add_argument("--asf", type=Path, help="CMU skeleton")
        p.add_argument(
            "--amc",
            type=Path,
            action="append" if several else "store",
            help="CMU motion" + (" (repeat for several clips)" if several else ""),
        )
        p.add_argument("--rate", type=float, default=120.0, help="the recording's frame rate in Hz")
        p.add_argument(
            "--keypoints",
            type=Path,
            action="append" if several else "store",
            help="3D keypoints (nframe, 17, 3), Human3.6M order, .npy" + (" (repeat)" if several else ""),
        )
        p.add_argument("--fps", type=float, help="the keypoint video's frame rate in Hz")
        p.add_argument("--units", choices=sorted(keypoints.UNITS), default="mm", help="units of the keypoints")
        for kind, what in (("bvh", "BVH motion"), ("trc", "TRC marker")):
            p.add_argument(
                f"--{kind}",
                type=Path,
                action="append" if several else "store",
                help=f"{what} file" + (" (repeat for several clips)" if several else ""),
            )
        p.add_argument(
            "--up", choices=["auto", *bvh.TO_Z_UP], default="auto", help="BVH/TRC up axis (auto: from the motion)"
        )
        p.add_argument(
            "--bvh-unit", default="auto", help="BVH length unit: auto (from the legs), m, cm, mm, in or metres per unit"
        )
        p.add_argument(
            "--marker-set", choices=["auto", *trc.MARKER_SETS], default="auto", help="TRC markers to landmarks"
        )
        p.add_argument("--max-gap", type=float, default=trc.MAX_GAP, help="longest TRC marker gap (s) filled by spline")
    conv.add_argument("--env", default="Humanoid21Imitation-v0")
    conv.add_argument("--out", type=Path, required=True)
    conv.add_argument("--mirror", action="store_true", help="add each clip mirrored left-right (doubles the data)")
    args = parser.parse_args(argv)
    source = sources(conv if args.command == "convert" else inf, args)
    try:
        unit = bvh.unit_from_text(args.bvh_unit)

        def landmarks(path: Path):
            if source == "bvh":
                return bvh.landmarks_from_bvh(path, args.up, unit)
            return trc.landmarks_from_trc(path, args.marker_set, args.up, max_gap=args.max_gap)

        if args.command == "convert":
            if source == "amc":
                demos, solved = convert(args.asf, args.amc, args.env, args.rate, args.mirror)
            elif source in ("bvh", "trc"):
                files = args.bvh or args.trc
                clips = [landmarks(f) for f in files]
                label = f"{source}: " + ", ".join(f.name for f in files)
                demos, solved = retargeted_dataset(args.env, label, clips, args.mirror)
            else:
                demos, solved = keypoints.convert_keypoints(args.keypoints, args.env, args.fps, args.units, args.mirror)
            demos.save(args.out)
            print(summary(demos))
            print("\n".join(retarget_report(r) for r in solved))
            print(f"written: {args.out}")
        elif source == "amc":
            print(info(args.asf, args.amc, args.rate))
            skeleton = parse_asf(args.asf)
            clip = landmarks_from_amc(skeleton, parse_amc(args.amc, skeleton), args.rate)
            print(retarget_report(Retargeter().retarget(clip, control_rate_of("Humanoid21Imitation-v0"))))
        elif source in ("bvh", "trc"):
            path = args.bvh or args.trc
            if source == "bvh":
                print(bvh.summary(path, args.up, unit))
            else:
                print(trc.summary(path, args.marker_set, args.up, max_gap=args.max_gap))
            print(retarget_report(Retargeter().retarget(landmarks(path), control_rate_of("Humanoid21Imitation-v0"))))
        else:
            print(keypoints.summary(args.keypoints, args.fps, args.units))
    except (MocapParseError, ValueError) as e:
        parser.exit(2, f"error: {e}\n")


if __name__ == "__main__":
    main(sys.argv[1:])
