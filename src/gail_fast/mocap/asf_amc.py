"""Parsers for the Acclaim skeleton (ASF) and motion (AMC) formats of CMU's database.

Errors are `MocapParseError`, a `ValueError` that names the file and the line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

INCH = 0.0254
AXES = "xyz"


class MocapParseError(ValueError):
    """A malformed ASF or AMC file; the message names the file and line."""

    def __init__(self, path: str | Path, line: int | None, message: str) -> None:
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Bone:
    name: str
    direction: np.ndarray  # (3,) unit vector, world frame of the rest pose
    length: float  # in the file's length unit
    axis: np.ndarray  # (3,) angles of the bone's local frame, degrees or radians per the file
    axis_order: str  # e.g. "XYZ": rotation about X applied first
    dofs: tuple[str, ...]  # e.g. ("rx", "ry", "rz"), the order of the AMC values
    limits: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True)
class Skeleton:
    """A parsed ASF file. `bones[0]` is the root; `parents[i] < i` for every other bone."""

    path: str
    length_unit: float  # a length value divided by this is inches
    angles_in_degrees: bool
    root_order: tuple[str, ...]  # e.g. ("tx", "ty", "tz", "rx", "ry", "rz")
    root_axis_order: str
    root_position: np.ndarray
    root_orientation: np.ndarray
    bones: tuple[Bone, ...]  # the root first, then parents before children
    parents: tuple[int, ...]

    @property
    def names(self) -> list[str]:
        return [b.name for b in self.bones]

    @property
    def metres_per_unit(self) -> float:
        return INCH / self.length_unit


@dataclass(frozen=True)
class Motion:
    """A parsed AMC file: per frame, each bone's values in that bone's dof order."""

    path: str
    frames: np.ndarray  # (nframe,) frame numbers from the file
    values: dict[str, np.ndarray] = field(default_factory=dict)  # bone -> (nframe, ndof)
    angles_in_degrees: bool = True

    @property
    def nframe(self) -> int:
        return len(self.frames)


def _lines(path: Path) -> list[tuple[int, str]]:
    """(line number, text) of the non-empty, non-comment lines; CRLF and LF alike."""
    try:
        text = path.read_bytes().decode("ascii", errors="strict")
    except UnicodeDecodeError as e:
        raise MocapParseError(path, None, f"not an ASCII file ({e})") from None
    except OSError as e:
        raise MocapParseError(path, None, f"cannot read: {e.strerror}") from None
    out = []
    for k, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if line and not line.startswith("#"):
            out.append((k, line))
    return out


def _floats(path: Path, lineno: int, tokens: list[str], count: int | None = None) -> np.ndarray:
    if count is not None and len(tokens) != count:
        raise MocapParseError(path, lineno, f"expected {count} numbers, got {len(tokens)}: {' '.join(tokens)!r}")
    try:
        values = np.array([float(t) for t in tokens])
    except ValueError:
        raise MocapParseError(path, lineno, f"not a number in {' '.join(tokens)!r}") from None
    if not np.isfinite(values).all():
        raise MocapParseError(path, lineno, f"non-finite number in {' '.join(tokens)!r}")
    return values


def parse_asf(path: str | Path) -> Skeleton:
    """Parses an ASF skeleton file."""
    path = Path(path)
    lines = _lines(path)
    sections: dict[str, list[tuple[int, str]]] = {}
    current = None
    for lineno, line in lines:
        if line.startswith(":"):
            parts = line[1:].split(None, 1)
            if not parts:
                raise MocapParseError(path, lineno, "':' without a keyword")
            key, *rest = parts
            current = key.lower()
            sections[current] = [(lineno, rest[0])] if rest else []
        elif current is not None:
            sections[current].append((lineno, line))
        else:
            raise MocapParseError(path, lineno, f"text before the first ':' keyword: {line!r}")
    for needed in ("root", "bonedata", "hierarchy"):
        if needed not in sections:
            raise MocapParseError(path, None, f"no :{needed} section (truncated or not an ASF file?)")

    length_unit, degrees = 1.0, True
    for lineno, line in sections.get("units", []):
        key, *value = line.split()
        if key == "length":
            length_unit = float(_floats(path, lineno, value, 1)[0])
            if length_unit <= 0:
                raise MocapParseError(path, lineno, f"length unit must be positive, got {length_unit}")
        elif key == "angle":
            if value not in (["deg"], ["rad"]):
                raise MocapParseError(path, lineno, f"angle unit must be deg or rad, got {' '.join(value)!r}")
            degrees = value == ["deg"]

    root = {"order": None, "axis": "XYZ", "position": np.zeros(3), "orientation": np.zeros(3)}
    for lineno, line in sections["root"]:
        key, *value = line.split()
        if key == "order":
            order = tuple(v.lower() for v in value)
            bad = [v for v in order if v not in ("tx", "ty", "tz", "rx", "ry", "rz")]
            if bad or len(set(order)) != len(order):
                raise MocapParseError(path, lineno, f"bad root order {' '.join(value)!r}")
            root["order"] = order
        elif key == "axis":
            root["axis"] = _axis_order(path, lineno, value[0] if value else "")
        elif key in ("position", "orientation"):
            root[key] = _floats(path, lineno, value, 3)
    if root["order"] is None:
        raise MocapParseError(path, sections["root"][0][0] if sections["root"] else None, "the root has no order")

    bones = [Bone("root", np.zeros(3), 0.0, root["orientation"], root["axis"], root["order"])]
    block: dict | None = None
    for lineno, line in sections["bonedata"]:
        key, *value = line.split()
        if key == "begin":
            if block is not None:
                raise MocapParseError(path, lineno, "'begin' inside a bone (missing 'end')")
            block = {"line": lineno, "dofs": (), "limits": []}
        elif key == "end":
            if block is None:
                raise MocapParseError(path, lineno, "'end' without 'begin'")
            bones.append(_bone(path, block))
            block = None
        elif block is None:
            raise MocapParseError(path, lineno, f"{key!r} outside a begin/end block")
        elif key == "name":
            block["name"] = value[0] if value else ""
        elif key == "direction":
            block["direction"] = _floats(path, lineno, value, 3)
        elif key == "length":
            block["length"] = float(_floats(path, lineno, value, 1)[0])
        elif key == "axis":
            if len(value) != 4:
                raise MocapParseError(path, lineno, f"axis needs three angles and an order, got {' '.join(value)!r}")
            block["axis"] = _floats(path, lineno, value[:3], 3)
            block["axis_order"] = _axis_order(path, lineno, value[3])
        elif key == "dof":
            dofs = tuple(v.lower() for v in value)
            bad = [v for v in dofs if v not in ("rx", "ry", "rz")]
            if bad or len(set(dofs)) != len(dofs):
                raise MocapParseError(path, lineno, f"unsupported dof list {' '.join(value)!r} (rx, ry, rz only)")
            block["dofs"] = dofs
        elif key == "limits" or line.startswith("("):
            text = line[len("limits") :] if key == "limits" else line
            nums = text.replace("(", " ").replace(")", " ").split()
            block["limits"].append(tuple(_limit(path, lineno, nums)))
    if block is not None:
        raise MocapParseError(path, block["line"], "bone without 'end' (truncated file?)")

    by_name = {b.name: i for i, b in enumerate(bones)}
    if len(by_name) != len(bones):
        raise MocapParseError(path, None, "two bones share a name")
    children: dict[str, list[str]] = {}
    for lineno, line in sections["hierarchy"]:
        names = line.split()
        if names in (["begin"], ["end"]):
            continue
        for name in names:
            if name not in by_name:
                raise MocapParseError(path, lineno, f"the hierarchy names unknown bone {name!r}")
        children.setdefault(names[0], []).extend(names[1:])

    # Order bones parents first, from the root.
    order, parents, seen = [0], [-1], {"root"}
    k = 0
    while k < len(order):
        name = bones[order[k]].name
        for child in children.get(name, []):
            if child in seen:
                raise MocapParseError(path, None, f"bone {child!r} appears twice in the hierarchy")
            seen.add(child)
            order.append(by_name[child])
            parents.append(k)
        k += 1
    missing = [b.name for b in bones if b.name not in seen]
    if missing:
        raise MocapParseError(path, None, f"bones not connected to the root by the hierarchy: {missing}")
    return Skeleton(
        str(path),
        length_unit,
        degrees,
        root["order"],
        root["axis"],
        root["position"],
        root["orientation"],
        tuple(bones[i] for i in order),
        tuple(parents),
    )


def _axis_order(path: Path, lineno: int, text: str) -> str:
    order = text.upper()
    if sorted(order) != ["X", "Y", "Z"]:
        raise MocapParseError(path, lineno, f"axis order must be a permutation of XYZ, got {text!r}")
    return order


def _limit(path: Path, lineno: int, nums: list[str]) -> tuple[float, float]:
    if len(nums) != 2:
        raise MocapParseError(path, lineno, f"a limit needs two numbers, got {' '.join(nums)!r}")
    out = []
    for t in nums:
        try:
            out.append(float(t.replace("inf", "inf")))
        except ValueError:
            raise MocapParseError(path, lineno, f"not a number in limit {' '.join(nums)!r}") from None
    return out[0], out[1]


def _bone(path: Path, block: dict) -> Bone:
    for key in ("name", "direction", "length", "axis"):
        if key not in block:
            raise MocapParseError(path, block["line"], f"bone has no {key}")
    norm = np.linalg.norm(block["direction"])
    if block["length"] > 0 and norm == 0:
        raise MocapParseError(path, block["line"], f"bone {block['name']!r} has a zero direction")
    if block["length"] < 0:
        raise MocapParseError(path, block["line"], f"bone {block['name']!r} has a negative length")
    direction = block["direction"] / norm if norm > 0 else block["direction"]
    return Bone(
        block["name"],
        direction,
        block["length"],
        block["axis"],
        block["axis_order"],
        block["dofs"],
        tuple(block["limits"]),
    )


def parse_amc(path: str | Path, skeleton: Skeleton) -> Motion:
    """Parses an AMC motion file for `skeleton`: every bone line must name a bone of the
    skeleton and hold as many values as that bone has dofs."""
    path = Path(path)
    lines = _lines(path)
    dofs = {b.name: len(b.dofs) for b in skeleton.bones}
    degrees = True
    frames: list[int] = []
    rows: dict[str, list[np.ndarray]] = {b.name: [] for b in skeleton.bones if b.dofs}
    current: set[str] = set()
    header = True
    for lineno, line in lines:
        if line.startswith(":"):
            if not header:
                raise MocapParseError(path, lineno, f"keyword {line!r} after the first frame")
            key = line[1:].strip().upper()
            if key == "DEGREES":
                degrees = True
            elif key == "RADIANS":
                degrees = False
            continue
        tokens = line.split()
        if len(tokens) == 1 and tokens[0].isdigit():
            if frames:
                _check_frame(path, lineno, frames[-1], current, rows)
            header = False
            frames.append(int(tokens[0]))
            current = set()
            continue
        if not frames:
            raise MocapParseError(path, lineno, f"bone values before the first frame number: {line!r}")
        name = tokens[0]
        if name not in dofs:
            raise MocapParseError(path, lineno, f"bone {name!r} is not in the skeleton {skeleton.path}")
        if name in current:
            raise MocapParseError(path, lineno, f"bone {name!r} twice in frame {frames[-1]}")
        values = _floats(path, lineno, tokens[1:], dofs[name])
        current.add(name)
        if name in rows:
            rows[name].append(values)
    if not frames:
        raise MocapParseError(path, None, "no frames (truncated or not an AMC file?)")
    _check_frame(path, lines[-1][0], frames[-1], current, rows)
    values = {name: np.array(v).reshape(len(frames), -1) for name, v in rows.items()}
    return Motion(str(path), np.array(frames), values, degrees)


def _check_frame(path: Path, lineno: int, frame: int, seen: set[str], rows: dict[str, list]) -> None:
    missing = sorted(set(rows) - seen)
    if missing:
        raise MocapParseError(path, lineno, f"frame {frame} lacks bones {missing} (truncated file?)")
