"""python -m gail_fast.view: write a rollout page or video (see `gail_fast.view`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import gail_fast.view as viewer


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m gail_fast.view",
        description=viewer.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("path", nargs="?", help="a run folder or checkpoint file (omit to view --reference alone)")
    parser.add_argument("--reference", help="a demonstrations file whose clip is drawn beside the policy")
    parser.add_argument("--episodes", type=int, default=1, help="episodes to record, each from its own seed")
    parser.add_argument("--steps", type=int, default=1000, help="most steps recorded per episode")
    parser.add_argument("--seed", type=int, default=0, help="seed of the first episode (episode i: seed + i)")
    parser.add_argument("--stochastic", action="store_true", help="sample actions instead of taking the mean")
    parser.add_argument(
        "--out", type=Path, required=True, help="rollout.html, or rollout.mp4 / rollout.gif for a video"
    )
    args = parser.parse_args(argv)
    try:
        out = viewer.view(
            args.path, args.out, args.reference, args.episodes, args.steps, args.seed, not args.stochastic
        )
    except (FileNotFoundError, ValueError, RuntimeError) as e:
        parser.exit(2, f"error: {e}\n")
    print(f"written: {out} ({out.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main(sys.argv[1:])
