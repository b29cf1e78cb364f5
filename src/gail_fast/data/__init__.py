"""Recordings shipped with the package, so that tests, examples and experiments need
nothing beside it. Their terms are in `mocap/README.md`."""

from __future__ import annotations

from pathlib import Path

MOCAP = Path(__file__).parent / "mocap"
"""CMU motion capture (`cmu/`) and 3D keypoints from video (`video3d_h36m/`)."""


def mocap_file(name: str) -> Path:
    """The path of a shipped recording, e.g. `mocap_file("cmu/02_01.amc")`; ValueError
    listing what ships if there is no such file."""
    path = MOCAP / name
    if not path.is_file():
        shipped = sorted(str(p.relative_to(MOCAP)) for p in MOCAP.rglob("*") if p.is_file() and p.suffix != ".md")
        raise ValueError(f"no shipped recording {name!r}; shipped: {shipped}")
    return path


def cmu_clip(name: str) -> tuple[Path, Path]:
    """(skeleton .asf, motion .amc) of a shipped CMU clip named by subject and trial,
    e.g. "02_01"; ValueError listing the shipped clips if there is none."""
    cmu = MOCAP / "cmu"
    amcs = sorted(cmu.glob(f"{name}.amc")) + sorted(cmu.glob(f"{name}-*.amc"))
    subject = name.split("_")[0]
    asfs = sorted(cmu.glob(f"{subject}.asf")) + sorted(cmu.glob(f"{subject}-*.asf"))
    if "/" in name or not amcs or not asfs:
        shipped = sorted(p.stem.split("-")[0] for p in cmu.glob("*.amc"))
        raise ValueError(f"no shipped CMU clip {name!r}; shipped: {shipped}")
    return asfs[0], amcs[0]
