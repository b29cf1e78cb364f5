"""The recordings ship with the package: nothing reads data from beside the repository."""

import re
from pathlib import Path

import pytest

from gail_fast.data import MOCAP, mocap_file

ROOT = Path(__file__).resolve().parents[1]
# Paths that would reach outside the clone: the old ../shared/data location or an
# environment variable pointing there.
OUTSIDE = re.compile(r"\.\./shared|shared/data|GAIL_FAST_DATA")


def test_every_recording_ships_with_its_terms():
    for name in (
        "cmu/02.asf",
        "cmu/02_01.amc",
        "cmu/02_02.amc",
        "cmu/02_03.amc",
        "cmu/02_04.amc",
        "cmu/07-walk.asf",
        "cmu/07_05-walk.amc",
        "cmu/13.asf",
        "cmu/13_39.amc",
        "video3d_h36m/3d_pose.npy",
        "video3d_h36m/LICENSE_video2bvh.txt",
    ):
        assert mocap_file(name).stat().st_size > 0
    terms = (MOCAP / "README.md").read_text()
    assert "NSF EIA-0196217" in terms and "MIT" in terms
    assert "Permission is hereby granted" in mocap_file("video3d_h36m/LICENSE_video2bvh.txt").read_text()


def test_crlf_files_keep_their_line_endings():
    assert b"\r\n" in mocap_file("cmu/02.asf").read_bytes()


def test_unknown_recording_is_a_clear_error():
    with pytest.raises(ValueError, match="no shipped recording 'cmu/99.asf'.*02.asf"):
        mocap_file("cmu/99.asf")


def test_nothing_reads_data_from_outside_the_repository():
    files = [ROOT / "README.md", ROOT / ".ci" / "run"]
    for folder in ("tests", "experiments", "benchmarks", "src", "examples"):
        files += [p for p in (ROOT / folder).rglob("*") if p.suffix in {".py", ".sh", ".md", ".toml", ".cc", ".h"}]
    offenders = [
        f"{p.relative_to(ROOT)}:{n}"
        for p in files
        if p.is_file() and p != Path(__file__)
        for n, line in enumerate(p.read_text(errors="replace").splitlines(), 1)
        if OUTSIDE.search(line)
    ]
    assert not offenders, f"these lines read data from outside the repository: {offenders}"
