"""Fuzzing the BVH and TRC readers: any bytes give a file, or a MocapParseError; turning
what parses into landmarks raises nothing but MocapParseError or ValueError.

CI runs a short budget; `GAIL_FAST_FUZZ_EXAMPLES=20000 pytest tests/test_motionfile_fuzz.py`
runs for minutes.
"""

import pytest
from fuzzing import fuzz_settings, mutate
from hypothesis import given
from hypothesis import strategies as st

from gail_fast.mocap import bvh, trc
from gail_fast.mocap.asf_amc import MocapParseError

FUZZ = fuzz_settings(300)


def first_frames(data: bytes, nframe: int) -> bytes:
    lines = data.split(b"\n")
    m = lines.index(b"MOTION")
    return b"\n".join(lines[: m + 1] + [b"Frames: %d" % nframe, lines[m + 2]] + lines[m + 3 : m + 3 + nframe]) + b"\n"


@pytest.fixture(scope="module")
def seeds(mocap_dir):
    return {
        "blender.bvh": first_frames((mocap_dir / "bvhtools" / "test3_excerpt.bvh").read_bytes(), 12),
        "cmu.bvh": first_frames((mocap_dir / "cmu_bvh" / "02_01.bvh").read_bytes(), 12),
        "gaps.trc": b"\n".join((mocap_dir / "pose2sim" / "Balancing_for_IK_gaps.trc").read_bytes().split(b"\n")[:40]),
    }


EDITS = st.lists(
    st.tuples(
        st.integers(0, 2),
        st.integers(0, 10**6),
        st.binary(min_size=1, max_size=8)
        | st.sampled_from(
            [
                b"\n",
                b" ",
                b"\t",
                b"{",
                b"}",
                b"JOINT X",
                b"End Site",
                b"CHANNELS 3",
                b"ROOT",
                b"MOTION",
                b":",
                b"nan",
                b"1e400",
                b"-",
                b"\t\t\t",
            ]
        ),
    ),
    max_size=6,
)


@FUZZ
@given(edits=EDITS, seed=st.sampled_from(["blender.bvh", "cmu.bvh"]))
def test_bvh_reader_raises_only_its_own_errors(seeds, tmp_path_factory, edits, seed):
    path = tmp_path_factory.mktemp("fuzz") / "f.bvh"
    path.write_bytes(mutate(seeds[seed], edits))
    try:
        b = bvh.parse_bvh(path)
    except MocapParseError:
        return
    bvh.joint_positions(b)
    try:
        bvh.landmarks_from_bvh(path)
    except ValueError:  # MocapParseError is one too
        pass


@FUZZ
@given(edits=EDITS)
def test_trc_reader_raises_only_its_own_errors(seeds, tmp_path_factory, edits):
    path = tmp_path_factory.mktemp("fuzz") / "f.trc"
    path.write_bytes(mutate(seeds["gaps.trc"], edits))
    try:
        trc.parse_trc(path)
    except MocapParseError:
        return
    try:
        trc.landmarks_from_trc(path)
    except ValueError:
        pass
