"""The walking metrics of several checkpoints of a humanoid run, a line each, for choosing
one: deterministic episodes from the standing reset, as `train mocap`'s report measures
them (`walking.assess`), on evaluation seeds of your choosing.

    python experiments/walking_checkpoints.py FILE_OR_RUN... [--episodes 16] [--seed 30000]

Choose on seeds other than the report's (20000), so that the report stays a fair measure
of the one chosen.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from gail_fast import walking
from gail_fast.mocap_pipeline import ENV_ID, comparison_clips
from gail_fast.runs import load_policy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoints", type=Path, nargs="+", help="checkpoint files or run folders")
    parser.add_argument("--episodes", type=int, default=16)
    parser.add_argument("--seed", type=int, default=30_000, help="the first episode's seed")
    args = parser.parse_args()
    torch.set_num_threads(1)
    clips = comparison_clips()
    for path in args.checkpoints:
        policy, env_id, state = load_policy(path, ENV_ID)
        r = walking.assess(policy, env_id, *clips, episodes=args.episodes, seed=args.seed)
        p = r["policy"]
        print(
            f"{path} {state['global_step'] / 1e6:.2f}M: falls {p['fall_fraction']:.3f}, up {p['upright_s']:.2f} s, "
            f"{p['speed_mps']:.2f} m/s, drift {p['heading_drift_deg']:.1f} deg, {p['step_rate_hz']:.2f} steps/s, "
            f"flight {p['flight_fraction']:.3f}, slide {p['foot_slide_mps']:.3f} m/s, Frechet {r['frechet_z2']:.4f} "
            f"(run {r['frechet_z2_run']:.3f}, bound {walking.frechet_bound(r):.4f}), goals {sum(r['goals'].values())} of {len(r['goals'])}",
            flush=True,
        )


if __name__ == "__main__":
    main()
