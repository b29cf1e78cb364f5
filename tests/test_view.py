"""The rollout viewer: what the page holds, the page in a real browser, videos where an
OpenGL backend is available, GAIL runs writing their page, and bad input."""

from __future__ import annotations

import base64
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from gail_fast import _core
from gail_fast.demos import Demonstrations
from gail_fast.gail import Discriminator
from gail_fast.mocap.convert import clip_features, convert
from gail_fast.nets import GaussianPolicy
from gail_fast.runs import policy_state, save_checkpoint
from gail_fast.view import mujoco_model, rollout, view
from gail_fast.view.chromium import find_chromium
from gail_fast.view.scene import feature_points, load_scene, replay

ENV = "Humanoid21Imitation-v0"
STEPS = 150
needs_chromium = pytest.mark.skipif(
    find_chromium() is None, reason="no chromium on PATH (Debian: apt-get install chromium; .ci/run installs it)"
)


def page_data(path: Path) -> dict:
    html = path.read_text()
    return json.loads(re.search(r'<script id="data" type="application/json">(.*?)</script>', html, re.S).group(1))


def floats(b64: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(b64), dtype="<f4")


def save_run(folder: Path, env_id: str, policy: GaussianPolicy, **extra) -> Path:
    state = {"format": "gail_fast.checkpoint", "algo": "gail", "env_id": env_id, "policy": policy_state(policy)}
    save_checkpoint(folder / "checkpoints" / "latest.pt", {**state, **extra})
    return folder


@pytest.fixture(scope="module")
def walk(tmp_path_factory, mocap_dir) -> Path:
    path = tmp_path_factory.mktemp("clips") / "walk.npz"
    convert(mocap_dir / "cmu" / "02.asf", [mocap_dir / "cmu" / "02_01.amc"], ENV)[0].save(path)
    return path


@pytest.fixture(scope="module")
def gail_run(tmp_path_factory, walk) -> Path:
    """An untrained humanoid policy with a discriminator on pose features, in a run folder."""
    torch.manual_seed(0)
    policy = GaussianPolicy(71, 21, (32, 32))
    features = Demonstrations.load(walk).features
    disc = Discriminator(features, (16, 16))
    config = {"mode": "z", "reward": "gail", "disc_hidden": [16, 16]}
    return save_run(
        tmp_path_factory.mktemp("runs") / "gail", ENV, policy, discriminator=disc.state_dict(), config=config
    )


@pytest.fixture(scope="module")
def page(gail_run, walk, tmp_path_factory) -> Path:
    return view(gail_run, tmp_path_factory.mktemp("pages") / "rollout.html", reference=walk, steps=STEPS)


@pytest.fixture(scope="module")
def clip_page(walk, tmp_path_factory) -> Path:
    return view(None, tmp_path_factory.mktemp("pages") / "clip.html", reference=walk)


# ---- what the page holds -------------------------------------------------------------------


def test_page_is_one_file_with_no_network(page):
    html = page.read_text()
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", html), "everything must be inlined"
    assert "http://" not in html and "https://" not in html
    data = page_data(page)
    assert data["envId"] == ENV and len(data["episodes"]) == 1
    assert page.stat().st_size < 1_000_000
    assert "task term" not in data["title"]


def test_a_task_term_policy_is_labelled(gail_run, tmp_path):
    """A policy trained with AMP's task term is not taken for imitation alone."""
    state = torch.load(gail_run / "checkpoints" / "latest.pt", weights_only=False)
    state["config"] = {**state["config"], "task_speed": 1.4}
    save_checkpoint(tmp_path / "task.pt", state)
    data = page_data(view(tmp_path / "task.pt", tmp_path / "task.html", steps=20))
    assert "not pure imitation: trained with AMP's task term, a target speed of 1.4 m/s at weight 0.5" in data["title"]


def test_page_holds_the_models_bodies_at_the_recorded_qpos(page, gail_run):
    """The geoms are the MuJoCo model's, where mj_kinematics puts them at each recorded qpos."""
    from gail_fast.runs import load_policy

    data = page_data(page)
    scene = load_scene(mujoco_model(ENV))
    assert [g["name"] for g in data["geoms"]] == [scene.model.geom(i).name for i in scene.geom_ids]
    assert {g["type"] for g in data["geoms"]} == {"box", "capsule", "sphere"}  # the floor plane is drawn as the floor
    policy, _, _ = load_policy(gail_run)
    episode = rollout(policy, ENV, steps=STEPS)[0]
    track = data["episodes"][0]["policy"]
    assert track["length"] == episode.length
    bodies = floats(track["bodies"]).reshape(episode.length, len(scene.geom_ids), 7)
    poses = replay(scene, episode.qpos)
    np.testing.assert_allclose(bodies[:, :, :3], poses.geom_pos, atol=1e-5)
    np.testing.assert_allclose(floats(track["features"]).reshape(-1, 18), episode.features, atol=1e-5)
    # The pelvis is where the free joint puts it.
    np.testing.assert_allclose(floats(track["root"]).reshape(-1, 3)[:, 2], episode.qpos[:, 2], atol=1e-5)


def test_page_has_the_discriminator_along_the_episode(page, gail_run, walk):
    """D and the reward are the checkpoint's discriminator on the episode's z_t (mode z)."""
    from gail_fast.runs import load_checkpoint, load_policy

    data = page_data(page)
    scores = data["episodes"][0]["scores"]
    assert scores["mode"] == "z" and scores["kind"] == "gail"
    state = load_checkpoint(gail_run)
    disc = Discriminator(np.zeros((2, 18)), (16, 16))
    disc.load_state_dict(state["discriminator"])
    episode = rollout(load_policy(gail_run)[0], ENV, steps=STEPS)[0]
    with torch.no_grad():
        logit = disc(torch.as_tensor(episode.features, dtype=torch.float32)).numpy()
    np.testing.assert_allclose(floats(scores["d"]), 1 / (1 + np.exp(-logit)), atol=1e-5)
    np.testing.assert_allclose(floats(scores["reward"]), np.logaddexp(0, logit), atol=1e-5)  # -log(1 - D)
    assert data["episodes"][0]["referenceScores"] is not None  # D on the clip too


def test_feature_points_give_back_their_features(walk):
    """A features-only clip is drawn at points whose features are the clip's own."""
    features = Demonstrations.load(walk).features
    scene = load_scene(mujoco_model(ENV))
    heading = np.array([0.6, 0.8])
    points = feature_points(features, scene.height, scene.foot_height, np.array([1.0, 2.0, 0.0]), heading)
    again = clip_features(points, np.tile(heading, (len(points), 1)), scene.height)
    np.testing.assert_allclose(again[:, :15], features[:, :15], atol=1e-9)
    assert points[:, 1:3, 2].min() == pytest.approx(scene.foot_height)  # the lower foot on the floor


def test_a_reference_with_qpos_is_drawn_as_bodies(gail_run, tmp_path, monkeypatch):
    """Retargeted clips carry qpos: the reference is then the humanoid's bodies at it."""
    from gail_fast.runs import load_policy

    episode = rollout(load_policy(gail_run)[0], ENV, steps=40, seed=5)[0]
    clip = Demonstrations(
        ENV, "retargeted", np.array([len(episode.qpos) - 1]), None, np.zeros(1, bool), np.ones(1, bool),
        features=episode.features,
    )  # fmt: skip
    object.__setattr__(clip, "qpos", episode.qpos)  # the field retargeting adds to the format
    monkeypatch.setattr(Demonstrations, "load", classmethod(lambda cls, path, env_id=None: clip))
    data = page_data(view(gail_run, tmp_path / "p.html", reference="retargeted.npz", steps=30))
    reference = data["episodes"][0]["reference"]
    assert reference["bodies"] is not None and reference["length"] == len(episode.qpos)
    object.__setattr__(clip, "qpos", episode.qpos[:, :20])
    with pytest.raises(ValueError, match="20-dim qpos; the model it is for has nq = 28"):
        view(gail_run, tmp_path / "q.html", reference="retargeted.npz")


# ---- the page in a browser -----------------------------------------------------------------


def body_pixels(png: bytes, top: int, bottom: int) -> tuple[int, int]:
    """Pixels of the humanoid's skin colour and of the reference's blue in rows [top, bottom)."""
    from PIL import Image

    rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))[top:bottom].astype(int)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    skin = (r > g + 12) & (g > b + 8) & (r - b > 35) & (r > 90)  # the model's (0.75, 0.6, 0.5), shaded
    blue = (b > r + 60) & (b > g + 15)  # (0.36, 0.56, 0.86), shaded
    return int(skin.sum()), int(blue.sum())


@needs_chromium
def test_page_in_headless_chromium(page, clip_page, tmp_path):
    from PIL import Image

    from gail_fast.view.chromium import Chromium

    with Chromium(1200, 900) as browser:
        shots = {}
        for t in (20, 120):
            browser.open(page, f"t={t}")
            assert browser.evaluate("document.body.dataset.ready") == "1"
            assert browser.evaluate("document.body.dataset.frame") == str(t)  # the scrubber's position
            assert browser.console_errors() == []
            assert browser.evaluate("window.viewer.errors") == []
            rect = browser.evaluate("(() => { const r = scene.getBoundingClientRect(); return [r.top, r.bottom]; })()")
            shots[t] = browser.screenshot()
            (tmp_path / f"t{t}.png").write_bytes(shots[t])
        top, bottom = int(rect[0]), int(rect[1])
        view_pixels = [np.asarray(Image.open(io.BytesIO(shots[t])).convert("RGB"))[top:bottom] for t in shots]
        assert view_pixels[0].std() > 10  # not blank
        skin, blue = body_pixels(shots[20], top, bottom)
        assert skin > 2000, f"the humanoid's body should show: {skin} skin-coloured pixels"
        assert blue > 200, f"the reference should show: {blue} blue pixels"
        changed = np.abs(view_pixels[0].astype(int) - view_pixels[1].astype(int)).max(axis=2) > 30
        assert changed.sum() > 2000, "moving the scrubber must change the picture"

        browser.open(clip_page, "t=50")
        assert browser.console_errors() == []
        assert browser.evaluate("document.body.dataset.ready") == "1"
        _, blue = body_pixels(browser.screenshot(), top, bottom)
        assert blue > 200  # the clip's feature points


# ---- videos ----------------------------------------------------------------------------------


def video_backend() -> str | None:
    """Why no video can be made here, or None where one can."""
    import ctypes.util
    import importlib.util

    if importlib.util.find_spec("imageio") is None:
        return 'imageio is not installed (pip install "gail_fast[video]")'
    if "MUJOCO_GL" not in os.environ and not ctypes.util.find_library("OSMesa"):
        return "no OpenGL backend: install libosmesa6 or set MUJOCO_GL"
    return None


@pytest.mark.skipif(video_backend() is not None, reason=str(video_backend()))
def test_gif_through_mujocos_renderer(gail_run, walk, tmp_path):
    """In a fresh process, so that MuJoCo picks its OpenGL backend for the viewer."""
    out = tmp_path / "rollout.gif"
    cmd = [sys.executable, "-m", "gail_fast.view", str(gail_run), "--reference", str(walk), "--steps", "12"]
    result = subprocess.run([*cmd, "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    from PIL import Image

    gif = Image.open(out)
    assert gif.n_frames == 6  # every other step of 15 ms: 33 frames per second
    rgb = np.asarray(gif.convert("RGB")).astype(int)
    assert ((rgb[..., 0] > rgb[..., 2] + 20) & (rgb[..., 0] > 60)).sum() > 1000  # the body, lit


def test_video_errors_name_what_is_missing(monkeypatch, tmp_path):
    import mujoco

    from gail_fast.view import video

    monkeypatch.setitem(sys.modules, "imageio", None)
    monkeypatch.setitem(sys.modules, "imageio.v2", None)
    with pytest.raises(RuntimeError, match=r"needs imageio: pip install \"gail_fast\[video\]\""):
        video._writer(tmp_path / "x.mp4", 30)

    def no_context(*args, **kwargs):
        raise AttributeError("module 'mujoco.gl_context' has no attribute 'GLContext'")

    monkeypatch.setattr(mujoco, "Renderer", no_context)
    with pytest.raises(RuntimeError, match="libosmesa6.*MUJOCO_GL=osmesa"):
        video._renderer(None, 480, 640)


# ---- GAIL runs write their page --------------------------------------------------------------


def test_gail_run_on_the_humanoid_writes_its_page(walk, tmp_path):
    from gail_fast.gail import GAILConfig, train_gail

    cfg = GAILConfig(
        env=ENV, demos=str(walk), num_trajectories=1, mode="z", total_steps=32, num_envs=2, nstep=16, hidden=(16,)
    )
    out = train_gail(cfg, tmp_path / "run")
    data = page_data(out / "rollout.html")
    assert data["episodes"][0]["scores"]["mode"] == "z" and data["episodes"][0]["reference"] is not None


# ---- bad input -----------------------------------------------------------------------------


def test_bad_input_is_a_clear_error(tmp_path, walk, gail_run, capsys):
    empty = tmp_path / "empty_run"
    (empty / "checkpoints").mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match="no checkpoint at .*empty_run/checkpoints/latest.pt"):
        view(empty, tmp_path / "x.html")
    save_checkpoint(empty / "checkpoints" / "latest.pt", {"format": "gail_fast.checkpoint", "env_id": ENV})
    with pytest.raises(ValueError, match="holds no usable policy"):
        view(empty, tmp_path / "x.html")

    hopper = tmp_path / "hopper.npz"
    Demonstrations(
        "Hopper-v5", "test", np.array([3]), np.zeros((4, 11)), np.zeros(1, bool), np.ones(1, bool)
    ).save(hopper)  # fmt: skip
    with pytest.raises(ValueError, match="holds demonstrations for Hopper-v5, not Humanoid21Imitation-v0"):
        view(gail_run, tmp_path / "x.html", reference=hopper)
    with pytest.raises(ValueError, match="neither qpos nor pose features"):
        view(None, tmp_path / "x.html", reference=hopper)

    policy = GaussianPolicy(4, 1, (8,))
    with pytest.raises(ValueError, match="unknown environment id 'NoSuchEnv-v0'"):
        view(save_run(tmp_path / "unknown", "NoSuchEnv-v0", policy), tmp_path / "x.html")
    with pytest.raises(ValueError, match="CartPole-v1 is not a MuJoCo environment"):
        view(save_run(tmp_path / "cartpole", "CartPole-v1", policy), tmp_path / "x.html")
    with pytest.raises(ValueError, match="--out must end in .html, .mp4 or .gif"):
        view(gail_run, tmp_path / "x.png")
    with pytest.raises(ValueError, match="give a run folder or checkpoint, a --reference clip, or both"):
        view(None, tmp_path / "x.html")

    from gail_fast.view.__main__ import main

    with pytest.raises(SystemExit) as exit_status:
        main([str(tmp_path / "missing"), "--out", str(tmp_path / "x.html")])
    assert exit_status.value.code == 2 and "error: no checkpoint at" in capsys.readouterr().err


def test_gymnasium_tasks_get_the_same_view(tmp_path):
    """Hopper's own geoms; no pose features, so no overlay, and the task's reward plotted."""
    policy = GaussianPolicy(11, 3, (8,))
    data = page_data(view(save_run(tmp_path / "hopper", "Hopper-v5", policy), tmp_path / "h.html", steps=20))
    assert [g["type"] for g in data["geoms"]] == ["capsule"] * 4 and data["floor"] is not None
    track = data["episodes"][0]["policy"]
    assert track["sites"] is None and track["features"] is None and track["envReward"] is not None
    assert _core.POSE_FEATURES == 18
