"""The viewer's page against a library's: file size and frame rate on a 15 s humanoid recording.

    pip install plotly==7.1.0 && python benchmarks/viewer_pages.py [--frames 1000] [--out DIR] [--video]

The recording: 1000 steps (15 s) of an untrained policy on Humanoid21Imitation-v0 in one
simulation, through its falls and resets (no policy of ours walks for 15 s yet; size and
drawing cost depend on the frame count and the model, not on the motion), with the two
CMU walk clips of subject 02 as the reference (pose features only, drawn as points).

- canvas: `gail_fast.view`'s page, hand-written Canvas2D.
- plotly: plotly's self-contained HTML (`include_plotlyjs=True`), one `Mesh3d` of all the
  humanoid's geoms per frame (capsules and spheres tessellated 10 x 8, about the least
  that still reads as round limbs), the reference as `Scatter3d` points, animated by
  plotly's frames.

Both measured in headless Chromium (software rendering, SwiftShader for plotly's WebGL):
milliseconds to draw one frame, averaged over consecutive frames, after a warm-up; the
median over rounds in which the pages alternate (the range in brackets).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import torch

from gail_fast import envs
from gail_fast.data import mocap_file
from gail_fast.mocap.convert import convert
from gail_fast.nets import GaussianPolicy
from gail_fast.view import Episode, control_dt, gather, load_reference, mujoco_model, write_page
from gail_fast.view.chromium import Chromium
from gail_fast.view.scene import Poses, load_scene

ENV = "Humanoid21Imitation-v0"


def continuous_recording(nstep: int, seed: int = 0) -> Episode:
    """`nstep` steps of one simulation, across episode ends (an untrained policy falls)."""
    torch.manual_seed(seed)
    env = envs.make(ENV, num_envs=1)
    policy = GaussianPolicy(env.single_observation_space.shape[0], env.single_action_space.shape[0], (150, 150, 150))
    obs, _ = env.reset(seed=seed)
    qpos, all_obs, actions = [], [obs[0]], []
    for _ in range(nstep):
        qpos.append(env.get_state()[0][0])
        action, _ = policy.act(torch.as_tensor(obs, dtype=torch.float32), deterministic=True)
        action = np.clip(action.numpy().astype(np.float64), env.single_action_space.low, env.single_action_space.high)
        obs, _, _, _, _ = env.step(action)
        all_obs.append(obs[0])
        actions.append(action[0])
    env.close()
    return Episode(np.array(qpos), np.array(all_obs), np.array(actions), np.zeros(nstep), False, True, seed)


def tessellate(kind: str, size: np.ndarray, around: int = 10, rings: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Vertices (n, 3) in the geom's frame and triangles (m, 3) of a sphere or capsule."""
    u = np.linspace(0, 2 * np.pi, around, endpoint=False)
    v = np.linspace(0, np.pi, rings + 1)
    x = np.outer(np.sin(v), np.cos(u)).ravel()
    y = np.outer(np.sin(v), np.sin(u)).ravel()
    z = np.repeat(np.cos(v), around)
    verts = np.stack([x, y, z], axis=1) * size[0]
    if kind in ("capsule", "cylinder"):
        verts[:, 2] += np.where(z > 0, size[1], -size[1])
    faces = []
    for r in range(rings):
        for a in range(around):
            p, q = r * around + a, r * around + (a + 1) % around
            faces += [(p, q, p + around), (q, q + around, p + around)]
    return verts, np.array(faces)


def rotate(quat: np.ndarray, v: np.ndarray) -> np.ndarray:
    """v (n, 3) rotated by the unit quaternions quat (..., 4), broadcast to (..., n, 3)."""
    w, xyz = quat[..., :1, None], quat[..., None, 1:]
    t = 2 * np.cross(xyz, v)
    return v + w * t + np.cross(xyz, t)


def plotly_page(path: Path, scene, poses: Poses, points: np.ndarray | None) -> None:
    import plotly.graph_objects as go

    parts = [tessellate(g["type"], np.array(g["size"])) for g in scene.geoms]
    offsets = np.cumsum([0] + [len(v) for v, _ in parts[:-1]])
    faces = np.concatenate([f + o for (_, f), o in zip(parts, offsets)])

    def mesh(t: int) -> np.ndarray:
        return np.concatenate(
            [poses.geom_pos[t, g] + rotate(poses.geom_quat[t, g], v) for g, (v, _) in enumerate(parts)]
        ).astype(np.float32)

    def traces(t: int) -> list:
        m = mesh(t)
        out = [go.Mesh3d(x=m[:, 0], y=m[:, 1], z=m[:, 2], color="rgb(191,153,128)", flatshading=False)]
        if points is not None:
            p = points[t % len(points)].astype(np.float32)
            out.append(go.Scatter3d(x=p[:, 0], y=p[:, 1] + 1.0, z=p[:, 2], mode="markers", marker={"size": 5}))
        return out

    first = traces(0)
    first[0].update(i=faces[:, 0], j=faces[:, 1], k=faces[:, 2])
    frames = [go.Frame(data=traces(t), name=str(t)) for t in range(poses.nframe)]
    fig = go.Figure(data=first, frames=frames)
    fig.update_layout(scene={"aspectmode": "data"}, width=1200, height=800, showlegend=False)
    fig.write_html(path, include_plotlyjs=True, full_html=True, auto_play=False)


PLOTLY_FRAME_MS = """(async () => {
  const gd = document.querySelector('.plotly-graph-div');
  const first = %d, n = %d, start = performance.now();
  for (let t = first; t < first + n; t++) {
    await Plotly.animate(gd, [String(t)], {frame: {duration: 0, redraw: true}, transition: {duration: 0}, mode: 'immediate'});
  }
  return (performance.now() - start) / n;
})()"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=1000)
    parser.add_argument("--measure", type=int, default=30, help="frames drawn to time each page, per round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, the pages alternated; medians reported")
    parser.add_argument("--out", type=Path, default=None, help="keep the pages here")
    parser.add_argument(
        "--video", action="store_true", help="also time an .mp4 of the same recording (MuJoCo's renderer)"
    )
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="viewer_pages_"))
    out.mkdir(parents=True, exist_ok=True)
    cmu = "cmu/02.asf", "cmu/02_01.amc", "cmu/02_02.amc"
    convert(mocap_file(cmu[0]), [mocap_file(c) for c in cmu[1:]], ENV)[0].save(out / "walk.npz")
    model = mujoco_model(ENV)
    scene = load_scene(model)
    episode = continuous_recording(args.frames)
    clips = load_reference(out / "walk.npz", ENV, model.nq)[1]
    shown = gather(scene, [episode], clips, None, ENV, has_features=True)
    canvas = write_page(out / "canvas.html", "15 s", ENV, control_dt(ENV), scene, shown)
    plotly = out / "plotly.html"
    plotly_page(plotly, scene, shown[0].policy, shown[0].reference_points)
    # The machine is shared: the pages alternate, each after a warm-up, and medians are kept.
    times: dict[str, list[float]] = {"canvas": [], "plotly": []}
    errors: dict[str, list[str]] = {"canvas": [], "plotly": []}
    with Chromium(1200, 900, webgl=True) as browser:
        for _ in range(args.rounds):
            browser.open(canvas, "t=0")
            browser.evaluate("window.viewer.bench(10)")
            times["canvas"].append(browser.evaluate(f"window.viewer.bench({args.measure})"))
            errors["canvas"] += browser.console_errors()
            browser.open(plotly)
            browser.evaluate(PLOTLY_FRAME_MS % (0, 5), await_promise=True)
            times["plotly"].append(browser.evaluate(PLOTLY_FRAME_MS % (5, args.measure), await_promise=True))
            errors["plotly"] += browser.console_errors()
    if args.video:
        import time

        from gail_fast.view.video import write_video

        start = time.perf_counter()
        mp4 = write_video(out / "video.mp4", scene, shown, control_dt(ENV))
        seconds = time.perf_counter() - start
        nframe = len(range(0, args.frames, max(1, round(1 / (30 * control_dt(ENV))))))
        print(f"mp4: {mp4.stat().st_size / 1e6:.2f} MB, {nframe} frames of 640 x 480 in {seconds:.0f} s")
    print(f"{args.frames} frames ({args.frames * control_dt(ENV):.1f} s), pages in {out}")
    print("| page | size | ms per frame | frames per second | console errors |")
    print("|---|---|---|---|---|")
    for name, path in (("canvas", canvas), ("plotly", plotly)):
        ms = float(np.median(times[name]))
        spread = f"{min(times[name]):.0f}-{max(times[name]):.0f}"
        print(
            f"| {name} | {path.stat().st_size / 1e6:.2f} MB | {ms:.1f} ({spread}) | {1000 / ms:.0f} | {len(errors[name])} |"
        )


if __name__ == "__main__":
    main()
