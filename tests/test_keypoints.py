"""3D keypoints from video (the shipped video3d_h36m clip) to pose features."""

import io
import tracemalloc

import numpy as np
import pytest

from gail_fast import _core
from gail_fast.demos import Demonstrations
from gail_fast.mocap import __main__ as cli
from gail_fast.mocap.keypoints import H36M_JOINTS, convert_keypoints, keypoints_clip, load_keypoints, stature

ENV = "Humanoid21Imitation-v0"
CONTROL_RATE = 1 / 0.015
FPS = 30.0


@pytest.fixture(scope="module")
def clip_path(mocap_dir):
    return mocap_dir / "video3d_h36m" / "3d_pose.npy"


@pytest.fixture(scope="module")
def keypoints(clip_path):
    return load_keypoints(clip_path)


def joint(keypoints, name):
    return keypoints[:, H36M_JOINTS.index(name)]


@pytest.fixture(scope="module")
def short_clip(keypoints, tmp_path_factory):
    """The clip's first 5 s (retargeting the whole 30 s in every test would take minutes)."""
    path = tmp_path_factory.mktemp("keypoints") / "short.npy"
    np.save(path, keypoints[:150] * 1e3)  # back to millimetres, as the file has them
    return path


@pytest.fixture(scope="module")
def short_dataset(short_clip):
    return convert_keypoints([short_clip], ENV, FPS)


def test_real_clip_converts_to_plausible_features(short_dataset, keypoints):
    demos, (solved,) = short_dataset
    z = demos.features
    assert demos.obs is None and demos.num_episodes == 1
    assert abs(len(z) - 149 / FPS * CONTROL_RATE) <= 2  # 5 s at 66.67 Hz
    assert np.isfinite(z).all() and z.shape[1] == _core.POSE_FEATURES
    assert demos.qpos.shape == (len(z), 28) and demos.qvel.shape == (len(z), 27)
    assert 1.4 < stature(keypoints) < 2.0  # an adult
    assert (z[:, 14] > 0.2).mean() > 0.95  # head well above the pelvis, in heights
    assert (z[:, 2] < -0.2).mean() > 0.95 and (z[:, 5] < -0.2).mean() > 0.95  # feet below it
    assert solved.error_summary()["median_m"] < 0.05  # a lifted pose is less like the body than mocap
    # The lifting network held the pelvis at the origin: hardly any displacement in the
    # ground plane (a walk moves about 0.013 body heights a step).
    assert np.abs(z[:, 15:17]).mean() < 0.002


def test_facing_direction_points_where_the_nose_does(keypoints):
    # The library's facing direction (from the hips), at the clip's own frame rate so that
    # its frames are the keypoints' frames: the neck should lie ahead of the pelvis.
    clip = keypoints_clip(keypoints, FPS, FPS)
    assert len(clip.forward) == len(keypoints)
    ahead = ((joint(keypoints, "neck") - joint(keypoints, "pelvis"))[:, :2] * clip.forward).sum(1)
    assert (ahead > 0).mean() > 0.8


def test_raw_features_do_not_depend_on_place_heading_or_units(keypoints, tmp_path):
    c, s = np.cos(1.1), np.sin(1.1)
    turned = keypoints @ np.array([[c, s, 0], [-s, c, 0], [0, 0, 1]]) + np.array([3.0, -2.0, 0.0])
    np.save(tmp_path / "turned_m.npy", turned)
    base = keypoints_clip(keypoints, FPS, CONTROL_RATE).features
    moved = keypoints_clip(load_keypoints(tmp_path / "turned_m.npy", units="m"), FPS, CONTROL_RATE).features
    np.testing.assert_allclose(moved, base, atol=1e-9)


def test_retargeted_features_do_not_depend_on_place_heading_or_units(keypoints, short_dataset, tmp_path):
    c, s = np.cos(1.1), np.sin(1.1)
    turned = keypoints[:150] @ np.array([[c, s, 0], [-s, c, 0], [0, 0, 1]]) + np.array([3.0, -2.0, 0.0])
    np.save(tmp_path / "turned_m.npy", turned)
    moved, _ = convert_keypoints([tmp_path / "turned_m.npy"], ENV, FPS, units="m")
    np.testing.assert_allclose(moved.features, short_dataset[0].features, atol=1e-4)


def test_several_clips_make_several_episodes(short_clip):
    demos, _ = convert_keypoints([short_clip, short_clip], ENV, FPS)
    assert demos.num_episodes == 2 and len(demos.features) == 2 * (demos.episode_lengths[0] + 1)


def test_dataset_round_trip(short_dataset, tmp_path):
    short_dataset[0].save(tmp_path / "dance.npz")
    loaded = Demonstrations.load(tmp_path / "dance.npz", ENV)
    assert loaded.features.shape[1] == _core.POSE_FEATURES
    np.testing.assert_array_equal(loaded.qpos, short_dataset[0].qpos)


@pytest.mark.parametrize(
    "array, message",
    [
        (np.zeros((10, 16, 3)), "shape (nframe, 17, 3)"),
        (np.zeros((10, 17)), "shape (nframe, 17, 3)"),
        (np.zeros((1, 17, 3)), "at least 2"),
        (np.array(["a"] * 51).reshape(1, 17, 3), "real array"),
    ],
)
def test_bad_arrays(tmp_path, array, message):
    np.save(tmp_path / "bad.npy", array)
    with pytest.raises(ValueError, match="bad.npy") as e:
        load_keypoints(tmp_path / "bad.npy")
    assert message in str(e.value)


def test_non_finite_frames_are_named(keypoints, tmp_path):
    bad = keypoints.copy()
    bad[7, 3, 1] = np.nan
    np.save(tmp_path / "nan.npy", bad)
    with pytest.raises(ValueError, match=r"nan.npy: non-finite keypoints in frames \[7\]"):
        load_keypoints(tmp_path / "nan.npy", units="m")


def npy_header(shape, descr="<f8") -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": descr, "fortran_order": False, "shape": shape})
    return buf.getvalue()


def test_header_claiming_more_than_the_file_holds(tmp_path):
    """A 14 KB file whose header claims 10^8 frames (about 380 GiB): refused from the header."""
    (tmp_path / "liar.npy").write_bytes(npy_header((10**8, 17, 3)) + bytes(14_000))
    tracemalloc.start()
    with pytest.raises(ValueError, match=r"liar.npy: its header claims shape \(100000000, 17, 3\)"):
        load_keypoints(tmp_path / "liar.npy")
    assert tracemalloc.get_traced_memory()[1] < 10e6
    tracemalloc.stop()


def test_truncated_and_renamed_files(tmp_path, keypoints):
    np.save(tmp_path / "k.npy", keypoints)
    data = (tmp_path / "k.npy").read_bytes()
    for cut in (5, 60, len(data) - 8):
        (tmp_path / "cut.npy").write_bytes(data[:cut])
        with pytest.raises(ValueError, match="cut.npy"):
            load_keypoints(tmp_path / "cut.npy")
    np.savez(tmp_path / "z.npz", keypoints=keypoints)
    (tmp_path / "z.npz").rename(tmp_path / "z.npy")
    with pytest.raises(ValueError, match="z.npy: not a .npy array"):
        load_keypoints(tmp_path / "z.npy")
    (tmp_path / "dir.npy").mkdir()
    with pytest.raises(ValueError, match="dir.npy: cannot be read"):
        load_keypoints(tmp_path / "dir.npy")


def test_size_limit_and_impossible_shapes(tmp_path, keypoints):
    np.save(tmp_path / "k.npy", keypoints)
    with pytest.raises(ValueError, match="k.npy: .* MiB of keypoints, more than"):
        load_keypoints(tmp_path / "k.npy", max_bytes=1000)
    (tmp_path / "neg.npy").write_bytes(npy_header((-2, 17, 3)) + bytes(100))
    with pytest.raises(ValueError, match="neg.npy: impossible shape"):
        load_keypoints(tmp_path / "neg.npy")
    (tmp_path / "rec.npy").write_bytes(npy_header((2, 17, 3), descr=[("x", "<f8")]) + bytes(816))
    with pytest.raises(ValueError, match="rec.npy: a structured dtype"):
        load_keypoints(tmp_path / "rec.npy")


def test_other_byte_order_layout_and_integer_keypoints_load(tmp_path, keypoints):
    np.save(tmp_path / "big.npy", np.asfortranarray(keypoints * 1000).astype(">f8"))
    np.testing.assert_allclose(load_keypoints(tmp_path / "big.npy"), keypoints, rtol=1e-12)
    np.save(tmp_path / "int.npy", np.round(keypoints * 1000).astype(np.int32))
    np.testing.assert_allclose(load_keypoints(tmp_path / "int.npy"), keypoints, atol=1e-3)


def test_bad_files_and_arguments(tmp_path, clip_path):
    np.save(tmp_path / "objects.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    (tmp_path / "junk.npy").write_bytes(b"not numpy at all")
    for path in (tmp_path / "objects.npy", tmp_path / "junk.npy", tmp_path / "missing.npy"):
        with pytest.raises(ValueError, match=path.name):
            load_keypoints(path)
    with pytest.raises(ValueError, match="units"):
        load_keypoints(clip_path, units="inch")
    with pytest.raises(ValueError, match="fps must be positive"):
        convert_keypoints([clip_path], ENV, 0.0)
    with pytest.raises(ValueError, match="no pose features"):
        convert_keypoints([clip_path], "Hopper-v5", FPS)


def test_cli(clip_path, short_clip, tmp_path, capsys):
    cli.main(["info", "--keypoints", str(clip_path), "--fps", "30"])
    assert "900 at 30 Hz" in capsys.readouterr().out
    cli.main(["convert", "--keypoints", str(short_clip), "--fps", "30", "--out", str(tmp_path / "d.npz")])
    assert (tmp_path / "d.npz").exists() and "landmark error median" in capsys.readouterr().out
    for args, message in (
        (["info", "--keypoints", str(clip_path)], "need --fps"),
        (
            ["convert", "--keypoints", str(clip_path), "--asf", "x.asf", "--fps", "30", "--out", "o.npz"],
            "one kind of source",
        ),
        (["convert", "--out", "o.npz"], "one kind of source"),
    ):
        with pytest.raises(SystemExit) as e:
            cli.main(args)
        assert e.value.code == 2 and message in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        cli.main(["info", "--keypoints", str(tmp_path / "d.npz"), "--fps", "30"])
    assert e.value.code == 2 and "d.npz" in capsys.readouterr().err
