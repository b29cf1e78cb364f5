from pathlib import Path

import pytest

from gail_fast.data import MOCAP


@pytest.fixture(scope="session")
def mocap_dir() -> Path:
    """The real recordings shipped in the package (gail_fast/data/mocap)."""
    return MOCAP
