"""Where a humanoid policy's Frechet distance to the reference walk comes from.

    python experiments/frechet_parts.py FILE_OR_RUN [--seed 20000] [--episodes 8]

Rolls the deterministic policy out from the standing reset as the walking report does
(`walking.rollout`), then splits the Frechet distance between its two-frame z_t windows and
the reference walk's (07_05) into the term of the means and the term of the covariances, and
per point of z_t (a foot, a hand, the head, the pelvis's step): the distance over that
point's coordinates alone and the distance over all the others, so that a point whose
removal drops the total is what keeps the policy away. The trained clips (with their mirror
images) get the same split: what an exact imitation of them would score. Last, each
feature's mean and standard deviation for the policy, the trained clips and the reference.
"""

from __future__ import annotations

import argparse

import numpy as np

from gail_fast import humanoid, walking
from gail_fast.mocap_pipeline import ENV_ID, comparison_clips
from gail_fast.runs import load_policy


def episode_features(demos) -> list[np.ndarray]:
    return [demos.features[rows] for rows, _ in demos.episode_slices()]


def split(name: str, a: np.ndarray, b: np.ndarray) -> None:
    """Prints the split of the Frechet distance between windows `a` and `b`."""
    nz = len(humanoid.FEATURE_NAMES)
    total = walking.frechet_distance(a, b)
    means = float(np.sum((a.mean(0) - b.mean(0)) ** 2))
    print(f"{name}: {total:.4f} = means {means:.4f} + covariances {total - means:.4f}")
    points: dict[str, list[int]] = {}
    for i, feature in enumerate(humanoid.FEATURE_NAMES):
        points.setdefault(feature.rsplit("_", 1)[0], []).append(i)
    for point, columns in points.items():
        both = columns + [i + nz for i in columns]  # the point at t and at t+1
        rest = [c for c in range(2 * nz) if c not in both]
        alone = walking.frechet_distance(a[:, both], b[:, both])
        print(f"  {point:12s} alone {alone:.4f}   all but it {walking.frechet_distance(a[:, rest], b[:, rest]):.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("policy", help="a checkpoint file, run folder or shipped model")
    parser.add_argument("--seed", type=int, default=20_000, help="the walking report's evaluation seed")
    parser.add_argument("--episodes", type=int, default=8)
    args = parser.parse_args()

    policy, _, _ = load_policy(args.policy, ENV_ID)
    reference, _, trained = comparison_clips()
    run = walking.rollout(policy, ENV_ID, args.episodes, 1000, args.seed)
    theirs = walking.windows(episode_features(reference))
    windows = {"policy": walking.windows(run.features), "trained clips": walking.windows(episode_features(trained))}
    for name, ours in windows.items():
        split(f"{name} to the reference walk", ours, theirs)
    print(f"\n{'feature':16s} {'policy':>15s} {'trained clips':>15s} {'reference':>15s}   (mean, sd)")
    nz = len(humanoid.FEATURE_NAMES)
    for i, feature in enumerate(humanoid.FEATURE_NAMES):
        cells = [f"{w[:, i].mean():+.3f} {w[:, i].std():.3f}" for w in (*windows.values(), theirs[:, :nz])]
        print(f"{feature:16s} " + " ".join(f"{c:>15s}" for c in cells))


if __name__ == "__main__":
    main()
