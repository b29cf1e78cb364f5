"""TRC marker files (OpenSim's format; OpenCap, Pose2Sim, Sports2D) to landmark clips.

A TRC file is five header lines, tab separated: the file type; the names and values of
DataRate, CameraRate, NumFrames, NumMarkers, Units, OrigDataRate, OrigDataStartFrame,
OrigNumFrames; the marker names (after "Frame#" and "Time", each above its X, Y and Z
columns); the X1 Y1 Z1 ... labels. Then one row per frame: frame number, time and each
marker's x, y, z, a marker missing in a frame written as empty fields (or NaN). OpenSim
files are y up; the units are in the header (mm or m, also cm).

Landmarks are formed from markers by a named marker set (`MARKER_SETS`):

- "opencap": OpenCap's anatomical markers (its marker augmenter's "_study" set). Knee,
  ankle, elbow and wrist centres are the midpoints of the lateral and medial markers
  (femoral epicondyles, malleoli, humeral epicondyles, styloids); the ball of the foot
  is the midpoint of the toe and 5th metatarsal markers; the shoulder is the acromion
  marker (some 4 cm above the joint centre). The hip centres are OpenCap's RHJC/LHJC
  markers when the file has them, otherwise Harrington's regression (J Biomech 40:595,
  2007) from the four pelvis markers: in the pelvis frame at the mid-ASIS point, with
  PW the inter-ASIS width and PD the depth from mid-ASIS to mid-PSIS (mm),
  x (forward) = -0.24 PD - 9.9, y (up) = -0.30 PW - 10.9, z (lateral) = +-(0.33 PW + 7.3).
  OpenCap has no head markers: no neck or head landmark.
- "openpose": the body keypoints of markerless pipelines (OpenPose BODY_25, BODY_25B
  and HALPE_26 names as Pose2Sim, Sports2D and OpenCap's video keypoints write them:
  RHip, RKnee, RAnkle, RBigToe, RSmallToe, RShoulder, RElbow, RWrist, Head, ...). Joint
  keypoints are the joint centres; the ball of the foot is the midpoint of the big and
  small toe keypoints (a few cm ahead of it); the head's centre is the midpoint of the
  ears, or else of the "Head" keypoint (the top of the head in BODY_25B/HALPE) and the
  nose, which lies some 5 cm ahead of it; their "Neck" is the base of the neck, not of
  the head, and is not used.
- "auto": "opencap" if the file has its markers, else "openpose".

Gaps: a missing run of frames inside a marker's recording is filled by the C++ cubic
spline through the frames it has, if it lasts at most `MAX_GAP` seconds (0.2 s, about a
fifth of a walking stride, where a spline stays within a few cm). A longer one in a
marker that the legs and hips need (`landmarks.REQUIRED`) is an error naming the marker,
its frames and the file's lines; in any other marker it leaves out the landmarks made
from that marker (the summary says which and why). Frames at the start or end where a
needed marker is missing are trimmed off (no spline extrapolates well). Only the markers
the set uses are filled or checked.

Errors in the file are `MocapParseError` naming the file and line; a landmark the set
cannot form is a `ValueError` listing what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gail_fast.mocap.asf_amc import MocapParseError
from gail_fast.mocap.bvh import figure_lines, read_text, to_z_up_metres
from gail_fast.mocap.landmarks import LANDMARKS, REQUIRED, LandmarkClip
from gail_fast.mocap.spline import cubic_spline

UNITS = {"mm": 1e-3, "cm": 1e-2, "m": 1.0, "millimeters": 1e-3, "centimeters": 1e-2, "meters": 1.0}
MAX_GAP = 0.2  # s: the longest gap in a marker that is filled


@dataclass(frozen=True)
class Trc:
    """A parsed TRC file."""

    path: str
    rate: float  # DataRate, Hz
    units: str  # as the header writes it, lower case
    markers: tuple[str, ...]
    frames: np.ndarray  # (nframe,) the Frame# column, for messages
    time: np.ndarray  # (nframe,) seconds
    positions: np.ndarray  # (nframe, nmarker, 3) in `units`, NaN where a marker is missing
    first_data_line: int  # the file line of frame 0, for messages
    declared_frames: int  # NumFrames in the header, which files do not always keep to

    @property
    def nframe(self) -> int:
        return len(self.time)

    def marker(self, name: str) -> np.ndarray:
        """(nframe, 3) of one marker."""
        return self.positions[:, self.markers.index(name)]


def _fields(line: str) -> list[str]:
    """A line's fields: split at tabs when it has any (empty fields kept), else at spaces."""
    line = line.rstrip("\r\n")
    return [f.strip() for f in line.split("\t")] if "\t" in line else line.split()


def parse_trc(path: str | Path) -> Trc:
    """Parses a TRC file; empty or NaN fields are missing markers (NaN in `positions`)."""
    path = Path(path)
    text = read_text(path)
    lines = text.splitlines()
    if len(lines) < 5:
        raise MocapParseError(path, None, f"{len(lines)} lines; a TRC file has 5 header lines, then frames")
    if not lines[0].startswith("PathFileType"):
        raise MocapParseError(path, 1, "does not start with PathFileType (not a TRC file?)")
    keys, values = _fields(lines[1]), _fields(lines[2])
    header = {k.lower(): v for k, v in zip(keys, values)}
    for needed in ("DataRate", "NumFrames", "NumMarkers", "Units"):
        if needed.lower() not in (k.lower() for k in keys):
            raise MocapParseError(path, 2, f"the header has no {needed} field (names: {keys})")
    if len(values) < len(keys):
        raise MocapParseError(path, 3, f"{len(keys)} header names on line 2 but {len(values)} values")
    rate = _header_number(path, header["datarate"], "DataRate")
    if not rate > 0:
        raise MocapParseError(path, 3, f"DataRate must be positive, got {rate}")
    declared = int(_header_number(path, header["numframes"], "NumFrames", whole=True))
    nmarker = int(_header_number(path, header["nummarkers"], "NumMarkers", whole=True))
    units = header["units"].lower()
    if units not in UNITS:
        raise MocapParseError(path, 3, f"Units must be one of {sorted(UNITS)}, got {header['units']!r}")

    names_row = _fields(lines[3])
    if len(names_row) < 2 or names_row[0].lower() != "frame#" or names_row[1].lower() != "time":
        raise MocapParseError(path, 4, "the marker line must start with 'Frame#' and 'Time'")
    markers = tuple(n for n in names_row[2:] if n)
    if len(markers) != nmarker:
        raise MocapParseError(path, 4, f"NumMarkers is {nmarker} but the line names {len(markers)} markers")
    if len(set(markers)) != len(markers):
        twice = sorted({m for m in markers if markers.count(m) > 1})
        raise MocapParseError(path, 4, f"markers named twice: {twice}")

    labels = [f for f in _fields(lines[4]) if f]
    if not labels or any(f[0].upper() not in "XYZ" for f in labels):
        raise MocapParseError(path, 5, "line 5 must label the coordinate columns (X1 Y1 Z1 X2 ...)")

    # NumFrames is not trusted: real files disagree with it (Pose2Sim's demo T-pose says 50
    # and holds 25); the rows are what there is, and `summary` says when they differ.
    rows = [(k, line) for k, line in enumerate(lines[5:], start=6) if line.strip()]
    if len(rows) < 2:
        raise MocapParseError(path, len(lines), f"{len(rows)} frame rows; a clip needs at least 2")
    nframe = len(rows)
    ncol = 2 + 3 * nmarker
    table = np.full((nframe, ncol), np.nan)
    for f, (k, line) in enumerate(rows):
        fields = _fields(line)
        # writers leave off the empty fields of missing markers at the end of a row
        if len(fields) > ncol and any(fields[ncol:]):
            raise MocapParseError(path, k, f"{len(fields)} fields; {nmarker} markers make {ncol}")
        for c, field in enumerate(fields[:ncol]):
            if field == "" or field.lower() == "nan":
                if c < 2:
                    raise MocapParseError(path, k, "a frame row needs its frame number and time")
                continue
            try:
                table[f, c] = float(field)
            except ValueError:
                what = ("the frame number", "the time")[c] if c < 2 else f"marker {markers[(c - 2) // 3]!r}"
                raise MocapParseError(path, k, f"{what}: not a number: {field!r}") from None
            if not np.isfinite(table[f, c]):
                raise MocapParseError(path, k, f"not a finite number: {field!r}")
        if len(fields) < 2:
            raise MocapParseError(path, k, "a frame row needs its frame number and time")
    time = table[:, 1]
    step = np.diff(time)
    bad = np.flatnonzero(np.abs(step - 1.0 / rate) > 0.5 / rate)
    if bad.size:
        k = rows[int(bad[0]) + 1][0]
        raise MocapParseError(
            path,
            k,
            f"time {time[bad[0] + 1]:g} s after {time[bad[0]]:g} s: frames must be 1/DataRate = {1 / rate:g} s apart",
        )
    positions = table[:, 2:].reshape(nframe, nmarker, 3)
    positions[~np.isfinite(positions).all(axis=2)] = np.nan  # a marker with any field missing is missing
    return Trc(str(path), rate, units, markers, table[:, 0], time, positions, rows[0][0], declared)


def _header_number(path: Path, text: str, name: str, whole: bool = False) -> float:
    try:
        value = float(text)
    except ValueError:
        raise MocapParseError(path, 3, f"{name} is not a number: {text!r}") from None
    if not np.isfinite(value) or (whole and (value != int(value) or value < 0)):
        raise MocapParseError(path, 3, f"{name} must be a {'whole ' if whole else ''}number, got {text!r}")
    return value


# ---- marker sets ---------------------------------------------------------------------

# landmark -> alternatives, each a tuple of markers whose midpoint is the landmark (the
# first alternative the file has is used); "HARRINGTON" marks the hip regression.
HARRINGTON = "harrington"
PELVIS = ("r.ASIS_study", "L.ASIS_study", "r.PSIS_study", "L.PSIS_study")
MARKER_SETS: dict[str, dict[str, tuple[tuple[str, ...], ...]]] = {
    "opencap": {
        "left_hip": (("LHJC_study",), (HARRINGTON,)),
        "right_hip": (("RHJC_study",), (HARRINGTON,)),
        "left_knee": (("L_knee_study", "L_mknee_study"),),
        "right_knee": (("r_knee_study", "r_mknee_study"),),
        "left_ankle": (("L_ankle_study", "L_mankle_study"),),
        "right_ankle": (("r_ankle_study", "r_mankle_study"),),
        "left_toe": (("L_toe_study", "L_5meta_study"),),
        "right_toe": (("r_toe_study", "r_5meta_study"),),
        "left_shoulder": (("L_shoulder_study",),),
        "right_shoulder": (("r_shoulder_study",),),
        "left_elbow": (("L_lelbow_study", "L_melbow_study"),),
        "right_elbow": (("r_lelbow_study", "r_melbow_study"),),
        "left_wrist": (("L_lwrist_study", "L_mwrist_study"),),
        "right_wrist": (("r_lwrist_study", "r_mwrist_study"),),
    },
    "openpose": {
        "left_hip": (("LHip",),),
        "right_hip": (("RHip",),),
        "left_knee": (("LKnee",),),
        "right_knee": (("RKnee",),),
        "left_ankle": (("LAnkle",),),
        "right_ankle": (("RAnkle",),),
        "left_toe": (("LBigToe", "LSmallToe"),),
        "right_toe": (("RBigToe", "RSmallToe"),),
        "left_shoulder": (("LShoulder",),),
        "right_shoulder": (("RShoulder",),),
        "left_elbow": (("LElbow",),),
        "right_elbow": (("RElbow",),),
        "left_wrist": (("LWrist",),),
        "right_wrist": (("RWrist",),),
        "head": (("LEar", "REar"), ("Head", "Nose")),
    },
}


def _has(trc: Trc, markers: tuple[str, ...]) -> bool:
    """Whether the file has every marker, in some frame at least."""
    need = PELVIS if markers == (HARRINGTON,) else markers
    return all(m in trc.markers and np.isfinite(trc.marker(m)).any() for m in need)


def choose_marker_set(trc: Trc) -> str:
    """ "opencap" when the file has OpenCap's knee markers, else "openpose"."""
    return "opencap" if _has(trc, ("r_knee_study", "L_knee_study")) else "openpose"


def marker_plan(trc: Trc, marker_set: str) -> dict[str, tuple[str, ...] | None]:
    """The markers each landmark is formed from (None where the set cannot form it).

    Raises:
        ValueError naming the file, the landmarks that retargeting needs and cannot be
        formed, and the markers they lack.
    """
    if marker_set not in MARKER_SETS:
        raise ValueError(f"marker_set must be 'auto' or one of {sorted(MARKER_SETS)}, got {marker_set!r}")
    rules = MARKER_SETS[marker_set]
    plan: dict[str, tuple[str, ...] | None] = dict.fromkeys(LANDMARKS)
    for landmark, alternatives in rules.items():
        plan[landmark] = next((a for a in alternatives if _has(trc, a)), None)
    missing = [n for n in REQUIRED if plan[n] is None]
    if missing:
        lacks = []
        for n in missing:
            wanted = [PELVIS if a == (HARRINGTON,) else a for a in rules.get(n, ())]
            absent = sorted({m for a in wanted for m in a if not _has(trc, (m,))})
            options = " or ".join("+".join(a) for a in wanted) or "nothing in this set"
            lacks.append(f"{n} needs {options} (missing: {', '.join(absent)})")
        raise ValueError(
            f"{trc.path}: marker set {marker_set!r} cannot form the landmarks retargeting needs: "
            + "; ".join(lacks)
            + f". The file's markers: {list(trc.markers)}"
        )
    return plan


def harrington_hips(
    asis_r: np.ndarray, asis_l: np.ndarray, psis_r: np.ndarray, psis_l: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Right and left hip joint centres `(nframe, 3)` from the pelvis markers `(nframe, 3)`
    in metres, by Harrington et al. (2007)'s regression on pelvis width and depth."""
    origin = 0.5 * (asis_r + asis_l)
    mid_psis = 0.5 * (psis_r + psis_l)
    z = asis_r - asis_l  # towards the right
    width = np.linalg.norm(z, axis=1, keepdims=True)
    z = z / width
    back = origin - mid_psis
    x = back - np.sum(back * z, axis=1, keepdims=True) * z  # forward, in the ASIS-PSIS plane
    depth = np.linalg.norm(back, axis=1, keepdims=True)
    x = x / np.linalg.norm(x, axis=1, keepdims=True)
    y = np.cross(z, x)  # up
    pw, pd = width * 1000, depth * 1000  # the regression is in mm
    fwd, up, side = (-0.24 * pd - 9.9) / 1000, (-0.30 * pw - 10.9) / 1000, (0.33 * pw + 7.3) / 1000
    right = origin + fwd * x + up * y + side * z
    left = origin + fwd * x + up * y - side * z
    return right, left


# ---- gaps ----------------------------------------------------------------------------


def _runs(missing: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) of each run of True."""
    edges = np.diff(np.concatenate([[0], missing.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)))


def _gap_text(trc: Trc, marker: str, start: int, stop: int) -> str:
    """A gap of frames [start, stop) in words, with the file's frame numbers and lines."""
    n, last = stop - start, stop - 1
    return (
        f"marker {marker!r} is missing for {n} frames ({n / trc.rate:.2f} s, frames {trc.frames[start]:g}-"
        f"{trc.frames[last]:g}, file lines {trc.first_data_line + start}-{trc.first_data_line + last})"
    )


def fill_gaps(
    trc: Trc, markers: list[str], max_gap: float = MAX_GAP, required: set[str] | frozenset[str] = frozenset()
) -> tuple[np.ndarray, dict[str, int], slice, dict[str, str]]:
    """The `markers`' positions `(nframe, len(markers), 3)` with the inner gaps filled by
    cubic spline, cut to the frames where every one of them is recorded or filled.

    A marker that is not `required` and has a gap longer than `max_gap` seconds (at the
    ends included) is dropped instead: NaN throughout, and it does not cut the frames.

    Returns:
        (positions over the kept frames, frames filled per marker, the kept frames,
        the reason each dropped marker was dropped).

    Raises:
        ValueError naming the file, the marker and the frames of a gap longer than
        `max_gap` seconds in a required marker, or of a required marker never recorded.
    """
    pos = np.stack([trc.marker(m) for m in markers], axis=1).copy()
    ok = np.isfinite(pos[..., 0])
    longest = int(np.floor(max_gap * trc.rate + 1e-9))
    dropped: dict[str, str] = {}
    for k, m in enumerate(markers):
        if m in required:
            if not ok[:, k].any():
                raise ValueError(f"{trc.path}: marker {m!r} has no recorded frame")
            continue
        long = [(a, b) for a, b in _runs(~ok[:, k]) if b - a > longest]
        if long:
            dropped[m] = _gap_text(trc, m, *long[0])
    first, last = 0, trc.nframe
    for k, m in enumerate(markers):
        if m not in dropped:
            have = np.flatnonzero(ok[:, k])
            first, last = max(first, int(have[0])), min(last, int(have[-1]) + 1)
    if last - first < 2:
        raise ValueError(f"{trc.path}: fewer than 2 frames where the markers {markers} are all recorded")
    filled: dict[str, int] = {}
    t = trc.time[first:last]
    for k, m in enumerate(markers):
        if m in dropped:
            pos[:, k] = np.nan
            continue
        have = ok[first:last, k]
        for a, b in _runs(~have):
            if b - a > longest:
                raise ValueError(
                    f"{trc.path}: {_gap_text(trc, m, first + a, first + b)}; gaps up to {max_gap:g} s "
                    f"({longest} frames) are filled"
                )
        if have.all():
            continue
        known = np.flatnonzero(have)
        values, _ = cubic_spline(t[known], pos[first:last, k][known], t[~have])
        pos[first:last, k][~have] = values
        filled[m] = int((~have).sum())
    return pos[first:last], filled, slice(first, last), dropped


# ---- landmarks -----------------------------------------------------------------------


def landmarks_from_trc(
    path: str | Path,
    marker_set: str = "auto",
    up: str = "auto",
    units: str | None = None,
    max_gap: float = MAX_GAP,
) -> LandmarkClip:
    """The landmarks of a TRC marker file: metres, z up, at the file's DataRate.

    Args:
        path: the TRC file.
        marker_set: "opencap", "openpose" or "auto" (`MARKER_SETS`).
        up: the file's up axis ("y" in OpenSim's files; "x", "z" or negated, "-y");
            "auto" finds it from the motion.
        units: the length unit ("mm", "cm", "m"), overriding the header's.
        max_gap: the longest gap (s) in a marker that is filled by spline.
    """
    return _landmarks(path, marker_set, up, units, max_gap)[0]


def _landmarks(path, marker_set, up, units, max_gap):
    trc = parse_trc(path)
    chosen = choose_marker_set(trc) if marker_set == "auto" else marker_set
    plan = marker_plan(trc, chosen)

    def markers_of(a: tuple[str, ...]) -> tuple[str, ...]:
        return PELVIS if a == (HARRINGTON,) else a

    used = sorted({m for a in plan.values() if a for m in markers_of(a)})
    required = {m for n in REQUIRED for m in markers_of(plan[n])}
    pos, filled, kept, dropped = fill_gaps(trc, used, max_gap, required)
    # a landmark with a marker dropped for a long gap is left out (none of them is required)
    left_out = {n: dropped[m] for n, a in plan.items() if a for m in markers_of(a) if m in dropped}
    plan = {n: (None if n in left_out else a) for n, a in plan.items()}
    if units is not None and units not in UNITS:
        raise ValueError(f"units must be one of {sorted(UNITS)}, got {units!r}")
    metres = UNITS[units or trc.units]
    marker = {m: pos[:, k] * metres for k, m in enumerate(used)}
    points = np.full((len(pos), len(LANDMARKS), 3), np.nan)
    hips = None
    for k, landmark in enumerate(LANDMARKS):
        a = plan[landmark]
        if a is None:
            continue
        if a == (HARRINGTON,):
            if hips is None:
                hips = dict(zip(("right_hip", "left_hip"), harrington_hips(*(marker[m] for m in PELVIS))))
            points[:, k] = hips[landmark]
        else:
            points[:, k] = np.mean([marker[m] for m in a], axis=0)
    points, up_used, _ = to_z_up_metres(points, up, 1.0)
    clip = LandmarkClip(points, trc.rate, Path(path).name)
    meta = {
        "trc": trc,
        "marker_set": chosen,
        "plan": plan,
        "filled": filled,
        "kept": kept,
        "up": up_used,
        "left_out": left_out,
    }
    return clip, meta


def _formed(markers: tuple[str, ...]) -> str:
    return f"Harrington({', '.join(PELVIS)})" if markers == (HARRINGTON,) else "+".join(markers)


def summary(
    path: str | Path, marker_set: str = "auto", up: str = "auto", units: str | None = None, max_gap: float = MAX_GAP
) -> str:
    """What `python -m gail_fast.mocap info --trc FILE` prints: the header, the marker set
    and the markers each landmark comes from, the gaps filled, the frames kept and the
    clip's physical figures."""
    clip, meta = _landmarks(path, marker_set, up, units, max_gap)
    trc: Trc = meta["trc"]
    kept: slice = meta["kept"]
    gaps = ", ".join(f"{m} {n}" for m, n in meta["filled"].items()) or "none"
    lines = [
        f"clip:          {path}",
        f"file:          {trc.nframe} frames"
        + (f" (the header says {trc.declared_frames})" if trc.declared_frames != trc.nframe else "")
        + f" at {trc.rate:g} Hz, {len(trc.markers)} markers, units {units or trc.units}, "
        f"{meta['up']} up" + (" (chosen from the motion)" if up == "auto" else ""),
        f"marker set:    {meta['marker_set']}"
        + (" (chosen from the marker names)" if marker_set == "auto" else "")
        + ": "
        + ", ".join(f"{n}={_formed(a)}" for n, a in meta["plan"].items() if a),
        f"gaps filled:   {gaps} (frames; by cubic spline, at most {max_gap:g} s each)",
    ]
    for landmark, why in meta["left_out"].items():
        lines.append(f"left out:      {landmark}: {why}, longer than {max_gap:g} s")
    if kept.start > 0 or kept.stop < trc.nframe:
        lines.append(
            f"trimmed:       frames kept {kept.start + 1}-{kept.stop} of {trc.nframe} (markers missing at the ends)"
        )
    return "\n".join(lines + figure_lines(clip))


def write_trc(path: str | Path, markers: dict[str, np.ndarray], rate: float, units: str = "m") -> None:
    """Writes markers (name -> `(nframe, 3)`, NaN where missing) as an OpenSim TRC file;
    a missing marker's fields are left empty."""
    names = list(markers)
    pos = np.stack([markers[n] for n in names], axis=1)
    nframe = len(pos)
    out = [
        f"PathFileType\t4\t(X/Y/Z)\t{Path(path).name}",
        "DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\tOrigDataRate\tOrigDataStartFrame\tOrigNumFrames",
        f"{rate:g}\t{rate:g}\t{nframe}\t{len(names)}\t{units}\t{rate:g}\t1\t{nframe}",
        "Frame#\tTime\t" + "\t\t\t".join(names) + "\t\t",
        "\t\t" + "\t".join(f"{a}{k}" for k in range(1, len(names) + 1) for a in "XYZ"),
        "",
    ]
    for f in range(nframe):
        values = ["" if not np.isfinite(x) else f"{x:.6f}" for x in pos[f].ravel()]
        out.append("\t".join([str(f + 1), f"{f / rate:.6f}"] + values))
    Path(path).write_text("\n".join(out) + "\n")
