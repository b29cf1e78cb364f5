"""A picture of a humanoid policy's gait: frames of one deterministic episode from the
standing reset, side by side, seen from the side by a camera that follows the pelvis.

    MUJOCO_GL=osmesa python experiments/gait_picture.py RUN_OR_MODEL --out gait.png
        [--start 2.0] [--frames 8] [--every 0.15]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import gail_fast.view  # noqa: F401  (first: it picks MuJoCo's OpenGL backend before mujoco loads)
from gail_fast import walking
from gail_fast.runs import load_policy
from gail_fast.view.record import mujoco_model
from gail_fast.view.video import _renderer


def main() -> None:
    import mujoco
    from PIL import Image

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--start", type=float, default=2.0, help="seconds into the episode of the first frame")
    parser.add_argument("--frames", type=int, default=8)
    parser.add_argument("--every", type=float, default=0.15, help="seconds between frames")
    parser.add_argument("--seed", type=int, default=20_000)
    args = parser.parse_args()

    policy, env_id, _ = load_policy(args.path)
    run = walking.rollout(policy, env_id, episodes=1, steps=1000, seed=args.seed)
    qpos = run.qpos[0]
    picks = [round((args.start + i * args.every) / run.dt) for i in range(args.frames)]
    picks = [p for p in picks if p < len(qpos)]
    if not picks:
        raise SystemExit(f"the episode lasted {len(qpos) * run.dt:.2f} s, before --start {args.start}")
    model = mujoco_model(env_id)
    data = mujoco.MjData(model)
    renderer = _renderer(model, 360, 240)
    camera = mujoco.MjvCamera()
    camera.type = mujoco.mjtCamera.mjCAMERA_FREE
    camera.distance, camera.elevation = 2.6, -8.0
    tiles = []
    for p in picks:
        data.qpos[:] = qpos[p]
        mujoco.mj_kinematics(model, data)
        # side view of the walking direction: the heading from the episode's start to its end
        travel = qpos[-1, :2] - qpos[0, :2]
        camera.azimuth = float(np.degrees(np.arctan2(travel[1], travel[0]))) + 90.0
        camera.lookat[:] = [qpos[p, 0], qpos[p, 1], 0.9]
        renderer.update_scene(data, camera)
        tiles.append(Image.fromarray(renderer.render()))
    strip = Image.new("RGB", (sum(t.width for t in tiles), tiles[0].height))
    for i, tile in enumerate(tiles):
        strip.paste(tile, (i * tile.width, 0))
    strip.save(args.out, optimize=True)
    print(f"written: {args.out} ({len(tiles)} frames from {picks[0] * run.dt:.2f} s, every {args.every} s)")


if __name__ == "__main__":
    main()
