"""The page: one HTML file with the viewer's script, style and data inlined, so that it
opens from disk with no network and no server."""

from __future__ import annotations

import base64
import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from gail_fast.runs import atomic_write_bytes
from gail_fast.view.record import Scores
from gail_fast.view.scene import FEATURE_SITES, Poses, Scene

FEATURE_NAMES = [f"{site} {axis}" for site in FEATURE_SITES[1:] for axis in "xyz"] + [
    f"pelvis step {axis}" for axis in "xyz"
]


def encode(array: np.ndarray | None) -> str | None:
    """A float array as base64 of its little-endian float32 bytes, a sixth of its JSON text."""
    if array is None:
        return None
    return base64.b64encode(np.ascontiguousarray(array, dtype="<f4").tobytes()).decode("ascii")


def track(
    label: str,
    poses: Poses | None,
    points: np.ndarray | None,
    features: np.ndarray | None,
    env_reward: np.ndarray | None = None,
) -> dict[str, Any]:
    """One motion as the page reads it: bodies (`poses`) or feature-point markers (`points`
    `(n, 6, 3)`), its pose features `(n, 18)` and the environment's reward `(n,)` for the plots."""
    if poses is not None:
        n = poses.nframe
        bodies = np.concatenate([poses.geom_pos, poses.geom_quat], axis=2)  # (n, ngeom, 7)
        sites, root, heading = poses.sites, poses.root, poses.heading
    else:
        assert points is not None
        n, bodies, sites, root, heading = len(points), None, points, points[:, 0], None
    return {
        "label": label,
        "length": n,
        "bodies": encode(bodies),
        "sites": encode(sites),
        "root": encode(root),
        "heading": encode(heading),
        "features": encode(None if features is None else features[:n]),
        "envReward": encode(env_reward),
    }


def scores(values: Scores | None) -> dict[str, Any] | None:
    if values is None:
        return None
    return {"d": encode(values.d), "reward": encode(values.reward), "kind": values.kind, "mode": values.mode}


def page_data(
    title: str,
    env_id: str,
    dt: float,
    scene: Scene,
    episodes: list[dict[str, Any]],
    lateral: np.ndarray,
    history: int,
) -> dict[str, Any]:
    """Everything the page's script reads, as JSON-ready values.

    Args:
        episodes: per episode, `label`, `policy` and `reference` (`track()` dicts or None),
            `scores` and `reference_scores` (`scores()` dicts or None).
        lateral: (2,) where "beside" puts the reference: an offset on the ground, m.
        history: k of the pose features' displacement term, in steps.
    """
    return {
        "title": title,
        "envId": env_id,
        "dt": dt,
        "height": scene.height,
        "history": history,
        "geoms": scene.geoms,
        "floor": scene.floor_rgba,
        "skipped": scene.skipped,
        "siteNames": list(FEATURE_SITES),
        "featureNames": FEATURE_NAMES,
        "lateral": [float(v) for v in lateral],
        "episodes": episodes,
    }


def render_html(data: dict[str, Any]) -> str:
    """The page's HTML with `data` and the viewer's script inlined."""
    files = resources.files("gail_fast.view")
    template = files.joinpath("page.html").read_text(encoding="utf-8")
    script = files.joinpath("page.js").read_text(encoding="utf-8")
    # "</" would end the inline script early; JSON allows its slash escaped.
    payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    title = data["title"].replace("&", "&amp;").replace("<", "&lt;")
    # One pass, so that nothing inserted is searched for placeholders again.
    values = {"TITLE": title, "DATA": payload, "SCRIPT": script}
    return re.sub(r"\{\{(TITLE|DATA|SCRIPT)\}\}", lambda m: values[m.group(1)], template)


def write_page(path: str | Path, data: dict[str, Any]) -> Path:
    """Writes the page atomically; returns its path."""
    path = Path(path)
    atomic_write_bytes(path, lambda f: f.write(render_html(data).encode("utf-8")))
    return path
