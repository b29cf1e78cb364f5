"""gail_fast: fast, faithful Generative Adversarial Imitation Learning for MuJoCo."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("gail_fast")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0.0.0"


def _load_core():
    """Imports the C++ extension and checks it runs on the MuJoCo it was built against."""
    try:
        from gail_fast import _core
    except ImportError as e:
        if "libmujoco" in str(e):
            raise ImportError(
                f"gail_fast's C++ core cannot find the MuJoCo library it was built against "
                f"({e}). The installed mujoco package differs from the one pinned at build "
                f"time: reinstall gail_fast (`pip install .`) or the pinned mujoco."
            ) from e
        raise
    built, loaded = _core.MUJOCO_HEADER_VERSION, _core.mujoco_version()
    if built != loaded:
        raise ImportError(
            f"gail_fast was built against MuJoCo {built} but MuJoCo {loaded} is loaded; "
            f"reinstall gail_fast so that both agree"
        )
    return _core


_core = _load_core()

__all__ = ["__version__"]
