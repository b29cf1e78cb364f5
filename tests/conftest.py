from pathlib import Path

import numpy as np
import pytest

from gail_fast.data import MOCAP
from gail_fast.demos import Demonstrations


@pytest.fixture(scope="session")
def mocap_dir() -> Path:
    """The real recordings shipped in the package (gail_fast/data/mocap)."""
    return MOCAP


@pytest.fixture(scope="session")
def hopper_demos(tmp_path_factory) -> Path:
    """Two random Hopper-v5 episodes with actions: enough for GAIL to run on, not to learn."""
    root = tmp_path_factory.mktemp("demos")
    rng = np.random.default_rng(0)
    lengths = np.array([40, 50])
    Demonstrations(
        "Hopper-v5",
        "test",
        lengths,
        rng.normal(size=(lengths.sum() + 2, 11)),
        np.array([True, False]),
        np.array([False, True]),
        rng.uniform(-1, 1, size=(lengths.sum(), 3)),
    ).save(root / "d.npz")
    return root / "d.npz"
