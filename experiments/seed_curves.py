"""Training curves of humanoid runs side by side (one line per run): training episode
length, forward pelvis speed and the discriminator's reward against environment steps,
each a running mean over `--window` iterations.

    python experiments/seed_curves.py "zv seed 2=models/humanoid21_walk" \
        "zv seed 1=runs/amp_zv_s1/full/gail" --out docs/humanoid21_curves.png

Training episodes start mostly from recorded states, so these curves show whether a run
moves forward, not whether it walks from standing (`walking_checkpoints.py` measures that).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from gail_fast.runs import read_progress  # noqa: E402

PANELS = (
    ("charts/episodic_length", "training episode length (steps)"),
    ("charts/pelvis_speed", "forward pelvis speed (m/s)"),
    ("charts/gail_reward", "discriminator reward per step"),
)
# With --score: the discriminator's mean output on expert samples. Least squares (the recipe's):
# a score towards +1, the policy's its mirror image, the margin its gradient penalty leaves
# between the two; cross-entropy: the probability D.
SCORE_PANEL = ("disc/d_expert", "discriminator on expert samples (ls: score, bce: D)")


def progress_columns(path: Path) -> dict[str, np.ndarray]:
    """The columns of a run's progress.csv (a run folder or the file), NaN where a row has no value."""
    path = path / "progress.csv" if path.is_dir() else path
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no progress.csv there")
    rows = read_progress(path)
    if not rows:
        raise ValueError(f"{path}: no rows")
    keys = dict.fromkeys(key for r in rows for key in r)  # a row has only the columns it has values in
    return {key: np.array([r.get(key, np.nan) for r in rows]) for key in keys}


def running_mean(x: np.ndarray, window: int) -> np.ndarray:
    """The mean of the last `window` finite values at each point."""
    out = np.full(len(x), np.nan)
    for i in range(len(x)):
        part = x[max(0, i - window + 1) : i + 1]
        part = part[np.isfinite(part)]
        if len(part):
            out[i] = part.mean()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", metavar="LABEL=PATH", help="a label and a run folder or progress.csv")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--window", type=int, default=20, help="iterations in each running mean")
    parser.add_argument("--score", action="store_true", help="add a panel of the discriminator's score")
    args = parser.parse_args()
    runs = []
    for item in args.runs:
        label, sep, path = item.partition("=")
        if not sep or not label or not path:
            parser.error(f"{item!r}: expected LABEL=PATH")
        try:
            runs.append((label, progress_columns(Path(path))))
        except (FileNotFoundError, ValueError) as e:
            parser.error(str(e))
    panels = PANELS + (SCORE_PANEL,) if args.score else PANELS
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 3.6))
    for ax, (key, title) in zip(axes, panels):
        for label, progress in runs:
            if key in progress:
                ax.plot(progress["global_step"] / 1e6, running_mean(progress[key], args.window), label=label)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("environment steps (M)")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=9)
    fig.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=100)
    print(f"written: {args.out}")


if __name__ == "__main__":
    main()
