"""Videos through MuJoCo's own renderer: the policy's bodies as MuJoCo draws them, the
reference's added to the same scene, and the feature trails as line connectors.

Needs an OpenGL backend for `mujoco.Renderer` (`MUJOCO_GL=egl` with a GPU driver, or
`MUJOCO_GL=osmesa` with Debian's `libosmesa6`) and `imageio` (plus `imageio-ffmpeg` for
MP4): `pip install "gail_fast[video]"`.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from gail_fast.view.scene import Scene

FPS = 30  # frames per second written; frames are taken every round(1 / (FPS * dt)) steps
WIDTH, HEIGHT = 640, 480
TRAIL_SECONDS = 1.5
REFERENCE_RGBA = np.array([0.36, 0.56, 0.86, 1.0], dtype=np.float32)
TRAIL_RGBA = [(0.89, 0.34, 0.18), (0.12, 0.62, 0.54), (0.95, 0.66, 0.0), (0.42, 0.24, 0.6), (0.23, 0.49, 0.85)]


def _writer(path: Path, fps: float):
    """An imageio writer for `path`, or RuntimeError naming what to install."""
    try:
        import imageio.v2 as imageio
    except ImportError as e:
        raise RuntimeError(f'writing {path.suffix} needs imageio: pip install "gail_fast[video]" ({e})') from e
    if path.suffix.lower() == ".gif":
        return imageio.get_writer(path, mode="I", duration=1000 / fps, loop=0)
    try:
        import imageio_ffmpeg  # noqa: F401
    except ImportError as e:
        raise RuntimeError(f'writing .mp4 needs imageio-ffmpeg: pip install "gail_fast[video]" ({e})') from e
    return imageio.get_writer(path, fps=fps, codec="libx264", quality=7, macro_block_size=8)


def _renderer(model, height: int, width: int):
    """MuJoCo's offscreen renderer, or RuntimeError saying which OpenGL backend is missing."""
    import mujoco

    backend = os.environ.get("MUJOCO_GL", "")
    try:
        return mujoco.Renderer(model, height, width)
    except Exception as e:
        raise RuntimeError(
            f"MuJoCo's renderer found no OpenGL backend (MUJOCO_GL={backend or 'unset, so GLFW, which needs a display'}: "
            f"{type(e).__name__}: {e}). Set MUJOCO_GL=egl where a GPU driver provides EGL, or install OSMesa "
            f"(Debian: apt-get install libosmesa6) and set MUJOCO_GL=osmesa; or write an .html page instead"
        ) from e


def _add_geom(scn, kind: int, size: np.ndarray, pos: np.ndarray, mat: np.ndarray, rgba: np.ndarray) -> None:
    import mujoco

    if scn.ngeom >= scn.maxgeom:
        return
    mujoco.mjv_initGeom(scn.geoms[scn.ngeom], kind, size, pos, mat, rgba)
    scn.ngeom += 1


def _add_line(scn, a: np.ndarray, b: np.ndarray, rgba: np.ndarray, width: float) -> None:
    import mujoco

    if scn.ngeom >= scn.maxgeom:
        return
    geom = scn.geoms[scn.ngeom]
    mujoco.mjv_initGeom(geom, mujoco.mjtGeom.mjGEOM_LINE, np.zeros(3), np.zeros(3), np.eye(3).ravel(), rgba)
    mujoco.mjv_connector(geom, mujoco.mjtGeom.mjGEOM_LINE, width, a, b)
    scn.ngeom += 1


def write_video(path: str | Path, scene: Scene, shown: list, dt: float) -> Path:
    """Renders the first of the `shown` episodes (`gail_fast.view.Shown`) to an .mp4 or .gif."""
    import mujoco

    from gail_fast.view import REFERENCE_BESIDE

    path = Path(path)
    episode = shown[0]
    if episode.qpos is None:
        raise ValueError("a video needs bodies to draw: this clip has pose features only; write an .html page instead")
    model = scene.model
    width = min(WIDTH, model.vis.global_.offwidth)
    height = min(HEIGHT, model.vis.global_.offheight)
    stride = max(1, round(1 / (FPS * dt)))
    # A brighter headlight than MuJoCo's default, on the viewer's own copy of the model: the
    # humanoid's single spotlight leaves the floor around it dark.
    model.vis.headlight.ambient[:] = 0.35
    model.vis.headlight.diffuse[:] = 0.6
    renderer = _renderer(model, height, width)
    writer = _writer(path, 1 / (stride * dt))
    data = mujoco.MjData(model)
    camera = mujoco.MjvCamera()
    camera.type = mujoco.mjtCamera.mjCAMERA_FREE
    camera.distance, camera.azimuth, camera.elevation = 4.2, 120.0, -12.0
    main = episode.policy if episode.policy is not None else episode.reference
    ref = episode.reference if episode.policy is not None else None
    ref_points = episode.reference_points
    facing = main.heading[0] if main.heading is not None else np.array([1.0, 0.0])
    lateral = REFERENCE_BESIDE * np.array([-facing[1], facing[0], 0.0])
    kinds = model.geom_type[scene.geom_ids]
    sizes = model.geom_size[scene.geom_ids]
    trail = max(1, round(TRAIL_SECONDS / dt))
    mat = np.empty(9)
    try:
        for t in range(0, len(episode.qpos), stride):
            data.qpos[:] = episode.qpos[t]
            mujoco.mj_kinematics(model, data)
            camera.lookat[:] = main.root[t]
            renderer.update_scene(data, camera)
            scn = renderer.scene
            if ref is not None:
                # Beside the policy, pelvis by pelvis, as the page's default; a shorter clip loops.
                frame = t % ref.nframe
                offset = lateral + np.r_[main.root[t, :2] - ref.root[frame, :2], 0.0]
                for g in range(len(kinds)):
                    mujoco.mju_quat2Mat(mat, ref.geom_quat[frame, g])
                    _add_geom(scn, kinds[g], sizes[g], ref.geom_pos[frame, g] + offset, mat, REFERENCE_RGBA)
            elif ref_points is not None:
                frame = t % len(ref_points)
                offset = lateral + np.r_[main.root[t, :2] - ref_points[frame, 0, :2], 0.0]
                for k, p in enumerate(ref_points[frame]):
                    size = np.array([0.09 if k == 5 else 0.05, 0, 0])
                    _add_geom(scn, mujoco.mjtGeom.mjGEOM_SPHERE, size, p + offset, np.eye(3).ravel(), REFERENCE_RGBA)
                    if k:
                        _add_line(scn, ref_points[frame, 0] + offset, p + offset, REFERENCE_RGBA, 4)
            if main.sites is not None:
                for s in range(1, 6):
                    rgba = np.array([*TRAIL_RGBA[s - 1], 1.0], dtype=np.float32)
                    for f in range(max(0, t - trail), t, 2):
                        _add_line(scn, main.sites[f, s], main.sites[min(f + 2, t), s], rgba, 3)
            writer.append_data(renderer.render())
    finally:
        writer.close()
        renderer.close()
    return path
