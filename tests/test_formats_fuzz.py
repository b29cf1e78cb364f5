"""Fuzzing the loaders of demonstrations, checkpoints and keypoint files: any bytes give a
loaded object or a ValueError naming the file; never another exception (MemoryError
included).

CI runs a short budget (100 examples each); `GAIL_FAST_FUZZ_EXAMPLES=20000 pytest tests/test_formats_fuzz.py`
runs for minutes.
"""

import io
import zipfile

import numpy as np
import pytest
import torch
from fuzzing import fuzz_settings, mutate
from hypothesis import given
from hypothesis import strategies as st

from gail_fast.demos import Demonstrations
from gail_fast.mocap.keypoints import load_keypoints
from gail_fast.nets import GaussianPolicy
from gail_fast.runs import load_policy, policy_state, save_checkpoint

FUZZ = fuzz_settings(100)


EDITS = st.lists(
    st.tuples(
        st.integers(0, 2),
        st.integers(0, 10**6),
        st.binary(min_size=1, max_size=8)
        | st.sampled_from(
            [b"\x00", b"\xff" * 4, b"(", b")", b",", b"'<f8'", b"'|O'", b"'<U5'", b"True", b"-1", b"99999999999", b"PK"]
        ),
    ),
    min_size=1,
    max_size=6,
)


def demos_members() -> dict[str, bytes]:
    d = Demonstrations(
        env_id="Hopper-v5",
        source="fuzz",
        episode_lengths=np.array([3, 2]),
        obs=np.linspace(0, 1, 7 * 4).reshape(7, 4),
        terminated=np.array([True, False]),
        truncated=np.array([False, True]),
        actions=np.ones((5, 2)),
        rewards=np.full(5, 0.5),
        features=np.zeros((7, 3)),
        qpos=np.zeros((7, 2)),
        qvel=np.zeros((7, 2)),
    )
    buf = io.BytesIO()
    np.savez(buf, **arrays_of(d))
    with zipfile.ZipFile(buf) as z:
        return {info.filename: z.read(info) for info in z.infolist()}


def arrays_of(d: Demonstrations) -> dict[str, np.ndarray]:
    out = {
        "format": np.array("gail_fast.demos"),
        "version": np.array(2),
        "env_id": np.array(d.env_id),
        "source": np.array(d.source),
        "episode_lengths": d.episode_lengths,
        "terminated": d.terminated,
        "truncated": d.truncated,
        "returns": d.returns,
    }
    for name in ("obs", "actions", "rewards", "features", "qpos", "qvel"):
        out[name] = getattr(d, name)
    return out


def zipped(members: dict[str, bytes], compression=zipfile.ZIP_STORED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    """One folder for every example's file, rewritten each time."""
    return tmp_path_factory.mktemp("fuzz")


@pytest.fixture(scope="module")
def seeds(tmp_path_factory):
    members = demos_members()
    torch.manual_seed(0)
    ckpt = tmp_path_factory.mktemp("seed") / "c.pt"
    save_checkpoint(
        ckpt,
        {"format": "gail_fast.checkpoint", "env_id": "Hopper-v5", "policy": policy_state(GaussianPolicy(11, 3, (4,)))},
    )
    keypoints = io.BytesIO()
    np.save(keypoints, np.random.default_rng(0).normal(size=(3, 17, 3)))
    return Seeds(members=members, checkpoint=ckpt.read_bytes(), keypoints=keypoints.getvalue())


class Seeds(dict):
    """The valid files the fuzzers mutate (a short repr for hypothesis's reports)."""

    def __repr__(self) -> str:
        return "<seed files>"


def load_or_value_error(load, path):
    try:
        load(path)
    except ValueError as e:
        assert path.name in str(e), str(e)


def test_seeds_load(seeds, tmp_path):
    (tmp_path / "d.npz").write_bytes(zipped(seeds["members"]))
    assert Demonstrations.load(tmp_path / "d.npz").qpos.shape == (7, 2)
    (tmp_path / "c.pt").write_bytes(seeds["checkpoint"])
    assert load_policy(tmp_path / "c.pt")[1] == "Hopper-v5"
    (tmp_path / "k.npy").write_bytes(seeds["keypoints"])
    assert load_keypoints(tmp_path / "k.npy").shape == (3, 17, 3)


@FUZZ
@given(edits=EDITS, compressed=st.booleans())
def test_demos_file_bytes(seeds, scratch, edits, compressed):
    path = scratch / "d.npz"
    compression = zipfile.ZIP_DEFLATED if compressed else zipfile.ZIP_STORED
    path.write_bytes(mutate(zipped(seeds["members"], compression), edits))
    load_or_value_error(Demonstrations.load, path)


@FUZZ
@given(member=st.integers(0, 13), edits=EDITS, near_header=st.booleans())
def test_demos_member_bytes(seeds, scratch, member, edits, near_header):
    """A damaged member inside a sound archive (checksums right): its header and data are
    what the loader must judge."""
    members = dict(seeds["members"])
    name = sorted(members)[member % len(members)]
    if near_header:
        edits = [(kind, pos % 128, payload) for kind, pos, payload in edits]
    members[name] = mutate(members[name], edits)
    path = scratch / "d.npz"
    path.write_bytes(zipped(members))
    load_or_value_error(Demonstrations.load, path)


DTYPES = st.sampled_from(["<f8", ">f4", "<i8", "|b1", "<U3", "|S2", "<c16", "<M8[s]", "|V4", "<f2"])
SHAPES = st.lists(st.integers(0, 9), min_size=0, max_size=3).map(tuple)


@FUZZ
@given(
    fields=st.dictionaries(
        st.sampled_from(
            ["version", "episode_lengths", "terminated", "truncated", "obs", "actions", "rewards", "features", "qpos"]
        ),
        st.tuples(DTYPES, SHAPES, st.integers(-3, 3)),
        max_size=4,
    )
)
def test_demos_fields_of_any_dtype_and_shape(seeds, scratch, fields):
    members = dict(seeds["members"])
    for name, (dtype, shape, value) in fields.items():
        buf = io.BytesIO()
        np.save(buf, np.full(shape, value).astype(dtype))
        members[name + ".npy"] = buf.getvalue()
    path = scratch / "d.npz"
    path.write_bytes(zipped(members))
    load_or_value_error(Demonstrations.load, path)


@FUZZ
@given(edits=EDITS)
def test_checkpoint_file_bytes(seeds, scratch, edits):
    path = scratch / "c.pt"
    path.write_bytes(mutate(seeds["checkpoint"], edits))
    load_or_value_error(load_policy, path)


@FUZZ
@given(edits=EDITS, member=st.sampled_from(["data.pkl", "byteorder", "version", "data/0", "data/5"]))
def test_checkpoint_member_bytes(seeds, scratch, edits, member):
    """A damaged pickle or record inside a sound archive (checksums right)."""
    with zipfile.ZipFile(io.BytesIO(seeds["checkpoint"])) as z:
        members = {info.filename: z.read(info) for info in z.infolist()}
    name = next(n for n in members if n.endswith("/" + member))
    members[name] = mutate(members[name], edits)
    path = scratch / "c.pt"
    path.write_bytes(zipped(members))
    load_or_value_error(load_policy, path)


@FUZZ
@given(edits=EDITS, near_header=st.booleans())
def test_keypoints_file_bytes(seeds, scratch, edits, near_header):
    if near_header:
        edits = [(kind, pos % 128, payload) for kind, pos, payload in edits]
    path = scratch / "k.npy"
    path.write_bytes(mutate(seeds["keypoints"], edits))
    load_or_value_error(load_keypoints, path)
