import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def mocap_dir() -> Path:
    """The real recordings in ../shared/data/mocap (or $GAIL_FAST_DATA/mocap)."""
    root = Path(os.environ.get("GAIL_FAST_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
    path = root / "mocap"
    if not path.is_dir():
        pytest.fail(f"motion data not found at {path}; set GAIL_FAST_DATA to the folder holding mocap/")
    return path
