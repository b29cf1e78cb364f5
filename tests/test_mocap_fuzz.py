"""Fuzzing the parsers: any bytes give a skeleton, a motion or a MocapParseError.

CI runs a short budget; `GAIL_FAST_FUZZ_EXAMPLES=20000 pytest tests/test_mocap_fuzz.py`
runs for minutes.
"""

import pytest
from fuzzing import fuzz_settings, mutate
from hypothesis import given
from hypothesis import strategies as st

from gail_fast import mocap
from gail_fast.mocap import MocapParseError

FUZZ = fuzz_settings(300)


@pytest.fixture(scope="module")
def seeds(mocap_dir):
    asf = (mocap_dir / "cmu" / "07-walk.asf").read_bytes()
    amc = b"\n".join((mocap_dir / "cmu" / "07_05-walk.amc").read_bytes().splitlines()[:120])
    return asf, amc, mocap.parse_asf(mocap_dir / "cmu" / "07-walk.asf")


EDITS = st.lists(
    st.tuples(
        st.integers(0, 2),
        st.integers(0, 10**6),
        st.binary(min_size=1, max_size=8)
        | st.sampled_from([b"\n", b" ", b"(", b")", b"begin", b"end", b":", b"nan", b"1e400", b"-"]),
    ),
    max_size=6,
)


@FUZZ
@given(edits=EDITS)
def test_asf_parser_raises_only_its_own_error(seeds, tmp_path_factory, edits):
    path = tmp_path_factory.mktemp("fuzz") / "f.asf"
    path.write_bytes(mutate(seeds[0], edits))
    try:
        mocap.parse_asf(path)
    except MocapParseError:
        pass


@FUZZ
@given(edits=EDITS)
def test_amc_parser_raises_only_its_own_error(seeds, tmp_path_factory, edits):
    path = tmp_path_factory.mktemp("fuzz") / "f.amc"
    path.write_bytes(mutate(seeds[1], edits))
    try:
        motion = mocap.parse_amc(path, seeds[2])
        mocap.forward_kinematics(seeds[2], motion)
    except MocapParseError:
        pass
