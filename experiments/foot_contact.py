"""Where a humanoid policy's foot slide comes from: MuJoCo's own contacts, and the same
policy under other foot-floor physics.

    python experiments/foot_contact.py FILE_OR_RUN [--seed 30000] [--episodes 8] [--foot-friction 2]
        [--noslip 5] [--condim 6] [--elliptic]

Rolls the deterministic policy out from the standing reset (4 episodes of 600 steps, the
first 100 left out), then per frame in which one foot alone is on the floor by the walking
metrics' test (`humanoid.foot_contact_and_slide`): the metric's slide beside the horizontal
speed of the simulator's own contact points on that foot (from its Jacobian at each
contact; their mean along the heading says whether the foot is pushed back or skids on),
how fast the sole turns about the vertical (a twist on the floor moves its edges), and how
deep the feet sink into the floor. Then the soles as the discriminator's mode zvf sees
them (`humanoid.foot_motion`), for the policy and the trained clips: how often a sole is
within 2 cm of the floor, and then its median speed over the ground, mean sideways speed
and mean turn rate. With any physics flag the model's XML
is copied and edited (feet's friction or contact dimension, the solver's no-slip pass,
elliptic friction cones) and the policy runs in that copy: one trained on the model as it
is, or one that `train_foot_physics.py` trained with the same edits. The walking metrics
(`walking.assess`, --episodes 8) follow.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import shutil
import tempfile
from pathlib import Path

import mujoco
import numpy as np
import torch

from gail_fast import envs, humanoid, walking
from gail_fast.mocap_pipeline import ENV_ID, comparison_clips
from gail_fast.runs import load_policy

FOOT_GEOM = re.compile(r'(<geom name="(left|right)_foot"[^/]*)/>')


def at_least_zero(kind):
    def parse(text: str):
        value = kind(text)
        if not value >= 0:  # NaN too
            raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
        return value

    return parse


def add_physics_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--foot-friction", type=at_least_zero(float), help="the feet's sliding friction (model: 1)")
    parser.add_argument("--condim", type=int, choices=(1, 3, 4, 6), help="the feet's contact dimension (model: 3)")
    parser.add_argument("--noslip", type=at_least_zero(int), default=0, help="no-slip solver iterations (model: 0)")
    parser.add_argument("--elliptic", action="store_true", help="elliptic friction cones, impratio 10")


def physics_edits(args: argparse.Namespace) -> dict:
    """The asked edits, by flag name; empty for the model as it is."""
    edits = {"foot_friction": args.foot_friction, "condim": args.condim}
    edits = {key: value for key, value in edits.items() if value is not None}  # 0 is a friction
    return edits | ({"noslip": args.noslip} if args.noslip else {}) | ({"elliptic": True} if args.elliptic else {})


def use_edited_physics(env_id: str, args: argparse.Namespace, folder: Path) -> envs.FastEnvSpec:
    """Copies the model's assets into `folder` with the asked foot-floor physics and points
    this process's `env_id` environments at the copy; returns its spec (unchanged when
    nothing is asked)."""
    spec = envs.FAST_ENVS[env_id]
    if not physics_edits(args):
        return spec
    shutil.copytree(spec.xml_path.parent, folder, dirs_exist_ok=True)
    extra = ""
    if args.foot_friction is not None:
        extra += f' friction="{args.foot_friction} 0.05 0.05"'
    if args.condim is not None:
        extra += f' condim="{args.condim}"'
    body = folder / "humanoid21_body.xml"
    text, count = FOOT_GEOM.subn(lambda m: f"{m.group(1)}{extra}/>", body.read_text())
    if count != 2:
        raise SystemExit(f"expected the two foot geoms in {body}, found {count}")
    body.write_text(text)
    option = ""
    if args.noslip:
        option += f' noslip_iterations="{args.noslip}"'
    if args.elliptic:
        option += ' cone="elliptic" impratio="10"'
    main = folder / spec.xml_path.name
    main.write_text(main.read_text().replace("<option ", f"<option{option} ", 1))
    spec = dataclasses.replace(spec, xml_path=main)
    envs.FAST_ENVS[env_id] = spec
    return spec


def contact_speeds(xml: Path, qpos: np.ndarray, qvel: np.ndarray, feet: list[int]):
    """Per frame and foot: median horizontal speed of the simulator's contact points on the
    foot and their median velocity along the body's heading (NaN without contact), and the
    sole's heading (rad); and every contact's depth (m)."""
    m = mujoco.MjModel.from_xml_path(str(xml))
    d = mujoco.MjData(m)
    jacp = np.zeros((3, m.nv))
    speed, forward, depth = np.full((len(qpos), 2), np.nan), np.full((len(qpos), 2), np.nan), []
    yaw, body = np.empty((len(qpos), 2)), walking.heading(qpos)
    for t in range(len(qpos)):
        d.qpos[:], d.qvel[:] = qpos[t], qvel[t]
        mujoco.mj_forward(m, d)
        for k, g in enumerate(feet):
            yaw[t, k] = np.arctan2(d.geom_xmat[g, 3], d.geom_xmat[g, 0])
        per_foot, ahead = [[], []], np.array([np.cos(body[t]), np.sin(body[t])])
        for c in (d.contact[i] for i in range(d.ncon)):
            for k, g in enumerate(feet):
                if g in (c.geom1, c.geom2):
                    mujoco.mj_jac(m, d, jacp, None, c.pos, m.geom_bodyid[g])
                    per_foot[k].append((jacp @ d.qvel)[:2])
                    depth.append(-c.dist)
        for k in range(2):
            if per_foot[k]:
                v = np.array(per_foot[k])
                speed[t, k], forward[t, k] = np.median(np.linalg.norm(v, axis=1)), np.median(v @ ahead)
    return speed, forward, yaw, np.array(depth)


def soles_near_the_floor(qpos: np.ndarray, qvel: np.ndarray, height: float = 0.02) -> str:
    """Mode zvf's features of the soles, summarised where a sole is within `height` of the floor."""
    feet = humanoid.foot_motion(qpos, qvel).reshape(len(qpos), len(humanoid.SOLE_SITES), -1)
    low = feet[..., 2] < height
    speed = np.hypot(feet[..., 0], feet[..., 1])[low]
    return (
        f"sole within {100 * height:.0f} cm of the floor {low.mean():.2f} of the time; there: speed median "
        f"{np.median(speed):.3f} m/s, sideways {np.abs(feet[..., 1][low]).mean():.3f} m/s, "
        f"turn {np.abs(feet[..., 4][low]).mean():.2f} rad/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint", type=Path, help="a checkpoint file, run folder or model folder")
    parser.add_argument("--seed", type=int, default=30_000, help="the first episode's seed")
    parser.add_argument("--episodes", type=int, default=8, help="episodes of the walking metrics")
    add_physics_arguments(parser)
    args = parser.parse_args()
    torch.set_num_threads(1)
    policy, env_id, _ = load_policy(args.checkpoint, ENV_ID)
    with tempfile.TemporaryDirectory() as tmp:
        spec = use_edited_physics(env_id, args, Path(tmp))
        edited = bool(physics_edits(args))
        kin = humanoid.Kinematics(spec.xml_path)
        run = walking.rollout(policy, env_id, episodes=4, steps=600, seed=args.seed)
        slides, speeds, forwards, turns, depths = [], [], [], [], []
        for qpos, qvel, fell in zip(run.qpos, run.qvel, run.fell):
            if fell:
                continue
            qpos, qvel = qpos[100:], qvel[100:]
            contact, slide = humanoid.foot_contact_and_slide(kin, qpos, run.dt)
            speed, forward, yaw, depth = contact_speeds(spec.xml_path, qpos, qvel, list(kin.foot_geoms))
            speed, forward = speed[:-1], forward[:-1]  # per step, as the metric's slide
            single = contact & ~(contact[:, :1] & contact[:, 1:]) & ~np.isnan(speed)
            slides.append(slide[single])
            speeds.append(speed[single])
            forwards.append(forward[single])
            turns.append(np.abs(np.angle(np.exp(1j * np.diff(yaw, axis=0))))[single] / run.dt)
            depths.append(depth)
        slide, speed, forward, turn, depth = (
            np.concatenate(x) if x else np.empty(0) for x in (slides, speeds, forwards, turns, depths)
        )
        kept = [k for k, fell in enumerate(run.fell) if not fell]
        if len(slide):
            print(
                f"{len(slides)} of 4 episodes up for 600 steps; one foot on the floor, {len(slide)} foot-frames: "
                f"metric slide median {np.median(slide):.3f} m/s, the simulator's contact points "
                f"{np.median(speed):.3f} m/s (75th percentile {np.percentile(speed, 75):.3f}; along the heading "
                f"{np.mean(forward):+.3f} on average), the sole turning about the "
                f"vertical at {np.degrees(np.median(turn)):.0f} deg/s; contact depth median "
                f"{1000 * np.median(depth):.1f} mm, 90th percentile {1000 * np.percentile(depth, 90):.1f} mm"
            )
        else:
            print(
                f"{len(slides)} of 4 episodes up for 600 steps, none with one foot alone on the floor: no gait to measure"
            )
        clips = comparison_clips()
        if kept:
            qpos, qvel = (np.concatenate([x[k][100:] for k in kept]) for x in (run.qpos, run.qvel))
            print(f"mode zvf's view, policy: {soles_near_the_floor(qpos, qvel)}")
        print(f"mode zvf's view, trained clips: {soles_near_the_floor(clips[2].qpos, clips[2].qvel)}")
        r = walking.assess(policy, env_id, *clips, episodes=args.episodes, seed=args.seed)
        p = r["policy"]
        print(
            f"walking ({'edited physics' if edited else 'the model'}): falls {p['fall_fraction']:.3f}, "
            f"{p['speed_mps']:.2f} m/s, drift {p['heading_drift_deg']:.1f} deg, {p['step_rate_hz']:.2f} steps/s, "
            f"slide {p['foot_slide_mps']:.3f} m/s, Frechet {r['frechet_z2']:.3f}, "
            f"goals {sum(r['goals'].values())} of {len(r['goals'])}"
        )


if __name__ == "__main__":
    main()
