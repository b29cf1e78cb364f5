"""The demonstrations file format: version 2 (simulator state per frame), version 1 still read."""

import numpy as np
import pytest

from gail_fast import demos
from gail_fast.demos import Demonstrations

NQ, NV, NFEAT = 28, 27, 18


def mocap_like(lengths=(4, 2), seed=0) -> Demonstrations:
    """Features-only demonstrations with the simulator state of every frame, as a
    retargeted clip has them."""
    rng = np.random.default_rng(seed)
    nrow = sum(lengths) + len(lengths)
    return Demonstrations(
        env_id="Humanoid21Imitation-v0",
        source="retargeted: 02_01.amc, 02_02.amc",
        episode_lengths=np.array(lengths, dtype=np.int64),
        obs=None,
        terminated=np.zeros(len(lengths), dtype=bool),
        truncated=np.ones(len(lengths), dtype=bool),
        features=rng.normal(size=(nrow, NFEAT)),
        qpos=rng.normal(size=(nrow, NQ)),
        qvel=rng.normal(size=(nrow, NV)),
    )


def test_version_2_round_trip(tmp_path):
    d = mocap_like()
    d.save(tmp_path / "v2.npz")
    with np.load(tmp_path / "v2.npz") as z:
        assert int(z["version"]) == 2 and z["qpos"].dtype == np.float64
    back = Demonstrations.load(tmp_path / "v2.npz", env_id="Humanoid21Imitation-v0")
    for name in ("episode_lengths", "terminated", "truncated", "features", "qpos", "qvel"):
        np.testing.assert_array_equal(getattr(back, name), getattr(d, name))
    assert back.obs is None and back.actions is None and back.rewards is None
    assert back.source == d.source


def test_take_keeps_the_state_rows_of_its_episodes():
    d = mocap_like((4, 2, 3))
    first = d.take(1)
    np.testing.assert_array_equal(first.qpos, d.qpos[:5])
    np.testing.assert_array_equal(first.qvel, d.qvel[:5])
    two = d.take(2)
    assert len(two.qpos) == len(two.qvel) == len(two.features) == 5 + 3


def test_summary_mentions_the_state():
    assert "qpos 28 + qvel 27 dims per frame" in demos.summary(mocap_like())
    without = Demonstrations("Hopper-v5", "t", np.array([2]), np.zeros((3, 11)), np.array([True]), np.array([False]))
    assert "state:     none" in demos.summary(without)


def test_info_cli_prints_the_state(tmp_path, capsys):
    mocap_like().save(tmp_path / "d.npz")
    demos.main(["info", str(tmp_path / "d.npz")])
    assert "qpos 28 + qvel 27" in capsys.readouterr().out


def test_version_1_file_still_loads(tmp_path):
    """A file as version 1 wrote it (the layout of commit 440d0b9), read without qpos/qvel."""
    lengths = np.array([3, 2])
    arrays = dict(
        format=np.array("gail_fast.demos"),
        version=np.array(1),
        env_id=np.array("Hopper-v5"),
        source=np.array("runs/expert"),
        episode_lengths=lengths,
        terminated=np.array([True, False]),
        truncated=np.array([False, True]),
        obs=np.arange(7 * 11, dtype=np.float64).reshape(7, 11),
        actions=np.ones((5, 3)),
        rewards=np.full(5, 2.0),
        returns=np.array([6.0, 4.0]),
    )
    np.savez_compressed(tmp_path / "v1.npz", **arrays)
    d = Demonstrations.load(tmp_path / "v1.npz", env_id="Hopper-v5")
    assert d.qpos is None and d.qvel is None and d.features is None
    np.testing.assert_array_equal(d.obs, arrays["obs"])
    np.testing.assert_array_equal(d.returns, [6.0, 4.0])
    # and written again, it becomes a version 2 file holding the same
    d.save(tmp_path / "again.npz")
    with np.load(tmp_path / "again.npz") as z:
        assert int(z["version"]) == 2 and "qpos" not in z.files
    np.testing.assert_array_equal(Demonstrations.load(tmp_path / "again.npz").obs, arrays["obs"])


def test_version_1_file_with_state_is_refused(tmp_path):
    d = mocap_like()
    d.save(tmp_path / "v2.npz")
    with np.load(tmp_path / "v2.npz") as z:
        arrays = {k: z[k] for k in z.files}
    arrays["version"] = np.array(1)
    np.savez(tmp_path / "mixed.npz", **arrays)
    with pytest.raises(ValueError, match="mixed.npz is a version 1 file with qpos/qvel"):
        Demonstrations.load(tmp_path / "mixed.npz")


def test_unknown_version_is_named(tmp_path):
    mocap_like().save(tmp_path / "d.npz")
    with np.load(tmp_path / "d.npz") as z:
        arrays = {k: z[k] for k in z.files}
    arrays["version"] = np.array(3)
    np.savez(tmp_path / "future.npz", **arrays)
    with pytest.raises(ValueError, match=r"future.npz has format version 3; this gail_fast reads \(1, 2\)"):
        Demonstrations.load(tmp_path / "future.npz")


@pytest.mark.parametrize("name", ["qpos", "qvel"])
def test_state_rows_must_match_the_episodes(name):
    d = mocap_like()
    fields = {name: getattr(d, name)[:-1]}
    with pytest.raises(ValueError, match=rf"{name} has 7 rows; episode_lengths \[4, 2\] need 8"):
        Demonstrations(**{**d.__dict__, **fields})


def test_non_finite_state_is_refused():
    d = mocap_like()
    qpos = d.qpos.copy()
    qpos[3, 5] = np.nan
    with pytest.raises(ValueError, match="qpos must be a finite 2-D array"):
        Demonstrations(**{**d.__dict__, "qpos": qpos})
    qvel = d.qvel.copy()
    qvel[0, 0] = np.inf
    with pytest.raises(ValueError, match="qvel must be a finite 2-D array"):
        Demonstrations(**{**d.__dict__, "qvel": qvel})


def test_qpos_needs_qvel():
    d = mocap_like()
    with pytest.raises(ValueError, match="qpos and qvel come together"):
        Demonstrations(**{**d.__dict__, "qvel": None})


def test_file_errors_name_the_file(tmp_path):
    """Wrong rows and NaN in a file's qpos: a ValueError naming the file and the field."""
    mocap_like().save(tmp_path / "d.npz")
    with np.load(tmp_path / "d.npz") as z:
        arrays = {k: z[k] for k in z.files}
    short = {**arrays, "qpos": arrays["qpos"][:-2]}
    np.savez(tmp_path / "short.npz", **short)
    with pytest.raises(ValueError, match="short.npz.*qpos has 6 rows"):
        Demonstrations.load(tmp_path / "short.npz")
    nan = {**arrays, "qpos": arrays["qpos"].copy()}
    nan["qpos"][1, 1] = np.nan
    np.savez(tmp_path / "nan.npz", **nan)
    with pytest.raises(ValueError, match="nan.npz.*qpos must be a finite"):
        Demonstrations.load(tmp_path / "nan.npz")
