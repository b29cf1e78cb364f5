"""BVH (Biovision hierarchy) motion files to landmark clips.

A BVH file is a skeleton (HIERARCHY: joints with an OFFSET from their parent, a CHANNELS
list, End Sites) and a MOTION block (frame count, frame time, one line of channel values
per frame). The conventions this reader follows, which are those of CMU's BVH conversion,
LAFAN1, Mixamo, Blender and Holden's widely used reader:

- Rotation channels are Euler angles in degrees, applied in the order listed, each about
  the axis of the frame the previous one left (intrinsic): "Zrotation Xrotation Yrotation"
  is R = Rz Rx Ry. Each joint may list its own order.
- A joint's position channels replace the matching component of its OFFSET (the root's
  world position in most files; Blender writes them for every joint).
- A joint's point is its origin; an End Site adds the point at the end of a chain (the
  tip of a head, toe or finger), named "<joint>/end" here.

Forward kinematics is numpy, vectorised over frames, rather than the C++ ASF kernel:
BVH rotations sit at joints (a joint's rotation moves its children's offsets) where ASF
rotations sit on bones, and any joint may carry position channels where the kernel
translates the root only. It is not the slow part: a LAFAN1-sized file (27 joints, 7,184
frames) takes about 0.15 s of kinematics after 0.9 s of reading the text here.

Axes and units are not in the file. Up is found from the motion (the median direction
from the hips to the head) and the length unit from the skeleton (the unit among m, cm,
mm and inches that makes the rest leg, hip to ankle, closest to 0.85 m, an adult's);
both can be given instead (`up=`, `unit=`).

Landmarks come from joint names (`landmark_joints`): the knees and elbows by name in the
common conventions (CMU's BVH and Mixamo: LeftLeg, LeftForeArm; LAFAN1; Biovision's
LeftKnee, LeftElbow; Blender's shin.L, forearm.L; any "namespace:" prefix such as
Mixamo's "mixamorig:" is dropped), the hips and shoulders as their parents, the ankles
and wrists as their children (CMU's BVH conversion: the wrist at LeftFingerBase, since
its LeftHand is the forearm's twist joint), the toes (ball of the foot) as the ankle's
child or End Site, the neck (base of the head) as the head joint and the head (its
centre) as the head joint's end: CMU's head bone ends about 9 cm above the base of the
skull, near the centre; where the end is named as the top of the head (Mixamo's
HeadTop_End), the head is halfway to it.

Errors are `MocapParseError` naming the file and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gail_fast.mocap.asf_amc import MocapParseError
from gail_fast.mocap.landmarks import LANDMARKS, REQUIRED, LandmarkClip

UNITS = {"m": 1.0, "cm": 0.01, "mm": 0.001, "in": 0.0254}
ADULT_LEG = 0.85  # m, hip joint to ankle: about 0.49 of stature (Winter)
END = "/end"  # suffix of End Site names
CHANNELS = tuple(f"{a}{k}" for k in ("position", "rotation") for a in "XYZ")

# z-up rotations (proper, det +1) for each up axis a file may have; "y" is CMU's, the
# same as gail_fast.mocap.kinematics.Y_UP_TO_Z_UP.
TO_Z_UP = {
    "z": np.eye(3),
    "-z": np.array([[1.0, 0, 0], [0, -1, 0], [0, 0, -1]]),
    "y": np.array([[1.0, 0, 0], [0, 0, -1], [0, 1, 0]]),
    "-y": np.array([[1.0, 0, 0], [0, 0, 1], [0, -1, 0]]),
    "x": np.array([[0.0, 1, 0], [0, 0, 1], [1, 0, 0]]),
    "-x": np.array([[0.0, 1, 0], [0, 0, -1], [-1, 0, 0]]),
}


@dataclass(frozen=True)
class BvhJoint:
    """One joint or End Site of a BVH skeleton."""

    name: str  # End Sites: "<parent>/end"
    parent: int  # index in `Bvh.joints`, -1 for the root
    offset: np.ndarray  # (3,) from the parent's origin, file units and axes
    channels: tuple[str, ...]  # e.g. ("Xposition", ..., "Zrotation"); () for End Sites
    column: int  # the first of this joint's columns in `Bvh.motion`
    line: int  # where the joint is declared


@dataclass(frozen=True)
class Bvh:
    """A parsed BVH file. `joints` are in file order, parents before children."""

    path: str
    joints: tuple[BvhJoint, ...]
    frame_time: float  # seconds
    motion: np.ndarray  # (nframe, nchannel) in file order: positions in file units, angles in degrees

    @property
    def names(self) -> list[str]:
        return [j.name for j in self.joints]

    @property
    def nframe(self) -> int:
        return len(self.motion)

    @property
    def rate(self) -> float:
        """Frames per second; a whole number when the frame time is one written to a few
        digits (0.033333 s is 30 Hz)."""
        rate = 1.0 / self.frame_time
        return float(round(rate)) if abs(rate - round(rate)) < 1e-4 * rate else rate


def read_text(path: Path) -> str:
    """A motion file's text (UTF-8, a BOM allowed); MocapParseError for anything else."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise MocapParseError(path, None, f"cannot read: {e.strerror}") from None
    if b"\x00" in data:
        raise MocapParseError(path, None, "not a text file (it holds NUL bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise MocapParseError(path, None, f"not a UTF-8 text file ({e})") from None


def _number(path: Path, lineno: int, token: str, what: str) -> float:
    try:
        value = float(token)
    except ValueError:
        raise MocapParseError(path, lineno, f"{what}: not a number: {token!r}") from None
    if not np.isfinite(value):
        raise MocapParseError(path, lineno, f"{what}: not a finite number: {token!r}")
    return value


def parse_bvh(path: str | Path) -> Bvh:
    """Parses a BVH file (one ROOT; any rotation order per joint; CRLF or LF)."""
    path = Path(path)
    lines = read_text(path).splitlines()
    tokens: list[tuple[int, str]] = []  # the HIERARCHY's words with their line numbers
    motion_line = None
    for k, line in enumerate(lines, start=1):
        words = line.split()
        if words and words[0].upper() == "MOTION":
            motion_line = k
            break
        tokens += [(k, w) for w in words]
    if not tokens or tokens[0][1].upper() != "HIERARCHY":
        where = tokens[0][0] if tokens else motion_line
        raise MocapParseError(path, where, "does not start with HIERARCHY (not a BVH file?)")
    if motion_line is None:
        raise MocapParseError(path, None, "no MOTION section (truncated or not a BVH file?)")
    joints = _hierarchy(path, tokens, motion_line)
    nchannel = sum(len(j.channels) for j in joints)
    frame_time, motion = _motion(path, lines, motion_line, nchannel)
    return Bvh(str(path), tuple(joints), frame_time, motion)


def _channel(path: Path, lineno: int, token: str) -> str:
    for name in CHANNELS:
        if token.lower() == name.lower():
            return name
    raise MocapParseError(path, lineno, f"unknown channel {token!r} (X/Y/Z position or rotation)")


def _hierarchy(path: Path, tokens: list[tuple[int, str]], motion_line: int) -> list[BvhJoint]:
    """The joints of the HIERARCHY section, `tokens` its words after "HIERARCHY"."""
    records: list[dict] = []  # per joint, in declaration order
    stack: list[int] = []  # indices of the open joints, innermost last
    column = 0  # motion columns follow the order the CHANNELS lists appear in
    n, i = len(tokens), 1

    def ended(what: str) -> MocapParseError:
        return MocapParseError(path, motion_line, f"the hierarchy ends inside {what} (truncated?)")

    while i < n:
        lineno, word = tokens[i]
        key = word.upper()
        i += 1
        if key in ("ROOT", "JOINT") or (key == "END" and i < n and tokens[i][1].upper() == "SITE"):
            if key == "ROOT" and stack:
                raise MocapParseError(path, lineno, "ROOT inside a joint")
            if key != "ROOT" and not stack:
                raise MocapParseError(path, lineno, f"{word} outside the ROOT's braces")
            if stack and records[stack[-1]]["end"]:
                raise MocapParseError(path, lineno, f"{word} inside an End Site")
            if key == "END":
                i += 1  # "Site"
                name = records[stack[-1]]["name"] + END
            else:
                # a name is the rest of its line (some hold spaces), up to a "{"
                words = []
                while i < n and tokens[i][0] == lineno and tokens[i][1] != "{":
                    words.append(tokens[i][1])
                    i += 1
                if not words:
                    raise MocapParseError(path, lineno, f"{word} without a name")
                name = " ".join(words)
            if any(r["name"] == name for r in records):
                raise MocapParseError(path, lineno, f"two joints are named {name!r}")
            if i >= n:
                raise ended(f"{name!r}")
            if tokens[i][1] != "{":
                raise MocapParseError(path, tokens[i][0], f"expected '{{' to open {name!r}, got {tokens[i][1]!r}")
            i += 1
            parent = stack[-1] if stack else -1
            records.append(
                {"name": name, "parent": parent, "line": lineno, "end": key == "END", "offset": None, "channels": None}
            )
            stack.append(len(records) - 1)
        elif word == "}":
            if not stack:
                raise MocapParseError(path, lineno, "'}' without an open joint")
            r = records[stack.pop()]
            if r["offset"] is None:
                raise MocapParseError(path, r["line"], f"{r['name']!r} has no OFFSET")
            if r["channels"] is None and not r["end"]:
                raise MocapParseError(path, r["line"], f"joint {r['name']!r} has no CHANNELS")
            if not stack:
                break
        elif not stack:
            raise MocapParseError(path, lineno, f"unexpected {word!r} before the ROOT")
        elif key == "OFFSET":
            r = records[stack[-1]]
            if r["offset"] is not None:
                raise MocapParseError(path, lineno, f"two OFFSETs in {r['name']!r}")
            if i + 3 > n:
                raise ended("an OFFSET")
            r["offset"] = np.array([_number(path, ln, t, "OFFSET") for ln, t in tokens[i : i + 3]])
            i += 3
        elif key == "CHANNELS":
            r = records[stack[-1]]
            if r["end"]:
                raise MocapParseError(path, lineno, "an End Site has no CHANNELS")
            if r["channels"] is not None:
                raise MocapParseError(path, lineno, f"two CHANNELS lists in {r['name']!r}")
            count = tokens[i][1] if i < n and tokens[i][0] == lineno else ""
            if not (count.isascii() and count.isdigit() and int(count) <= 6):
                raise MocapParseError(path, lineno, f"CHANNELS needs a count from 0 to 6, got {count!r}")
            names = [t for ln, t in tokens[i + 1 : i + 1 + int(count)] if ln == lineno]
            if len(names) != int(count) or (i + 1 + len(names) < n and tokens[i + 1 + len(names)][0] == lineno):
                raise MocapParseError(path, lineno, f"CHANNELS {count} must be followed by {count} channel names")
            channels = tuple(_channel(path, lineno, t) for t in names)
            if len(set(channels)) != len(channels):
                raise MocapParseError(path, lineno, f"a channel appears twice: {' '.join(names)}")
            r["channels"], r["column"] = channels, column
            column += len(channels)
            i += 1 + len(names)
        else:
            raise MocapParseError(path, lineno, f"unexpected {word!r} in the hierarchy")
    if stack:
        raise ended(f"{records[stack[-1]]['name']!r} (unclosed braces)")
    if not records:
        raise MocapParseError(path, motion_line, "no ROOT in the hierarchy")
    if i < n:
        lineno, word = tokens[i]
        if word.upper() == "ROOT":
            raise MocapParseError(path, lineno, "a second ROOT (one skeleton per file is read)")
        raise MocapParseError(path, lineno, f"unexpected {word!r} after the ROOT's closing brace")
    return [
        BvhJoint(r["name"], r["parent"], r["offset"], r["channels"] or (), r.get("column", 0), r["line"])
        for r in records
    ]


_FRAMES = re.compile(r"^\s*frames\s*:\s*(\S+)\s*$", re.IGNORECASE)
_FRAME_TIME = re.compile(r"^\s*frame\s+time\s*:\s*(\S+)\s*$", re.IGNORECASE)


def _motion(path: Path, lines: list[str], motion_line: int, nchannel: int) -> tuple[float, np.ndarray]:
    """The frame time and the `(nframe, nchannel)` values after the MOTION line."""
    body = [(k, line) for k, line in enumerate(lines[motion_line:], start=motion_line + 1) if line.strip()]
    if len(body) < 2:
        raise MocapParseError(path, motion_line, "MOTION without 'Frames:' and 'Frame Time:' lines (truncated?)")
    (k1, l1), (k2, l2) = body[:2]
    m1, m2 = _FRAMES.match(l1), _FRAME_TIME.match(l2)
    if not m1:
        raise MocapParseError(path, k1, f"expected 'Frames: N', got {l1.strip()!r}")
    if not m2:
        raise MocapParseError(path, k2, f"expected 'Frame Time: SECONDS', got {l2.strip()!r}")
    if not (m1.group(1).isascii() and m1.group(1).isdigit()):
        raise MocapParseError(path, k1, f"the frame count must be a whole number, got {m1.group(1)!r}")
    nframe = int(m1.group(1))
    frame_time = _number(path, k2, m2.group(1), "Frame Time")
    if frame_time <= 0:
        raise MocapParseError(path, k2, f"the frame time must be positive, got {frame_time}")
    if nchannel == 0:
        raise MocapParseError(path, motion_line, "the skeleton has no channels: there is no motion to read")
    rows = body[2:]
    if len(rows) != nframe:
        where = rows[nframe][0] if len(rows) > nframe else (rows[-1][0] if rows else k2)
        more = "more" if len(rows) > nframe else "fewer (truncated?)"
        raise MocapParseError(path, where, f"'Frames: {nframe}' (line {k1}) but {len(rows)} frame lines, {more}")
    words = []
    for k, line in rows:
        row = line.split()
        if len(row) != nchannel:
            raise MocapParseError(path, k, f"a frame needs {nchannel} values (the channels), got {len(row)}")
        words += row
    try:
        values = np.array(words, dtype=np.float64).reshape(nframe, nchannel)
    except ValueError:
        for k, line in rows:  # find the line to name
            for token in line.split():
                _number(path, k, token, "frame value")
        raise  # not reached: some token did not parse
    bad = ~np.isfinite(values).all(axis=1)
    if bad.any():
        k = rows[int(np.argmax(bad))][0]
        raise MocapParseError(path, k, "a frame value is not a finite number")
    return frame_time, values


# ---- kinematics ----------------------------------------------------------------------


def _axis_rotations(axis: int, radians: np.ndarray) -> np.ndarray:
    """(3, 3, nframe) rotations about x, y or z (0, 1, 2) by `radians` (nframe,), frames
    last: numpy multiplies many 3x3 matrices far faster laid out so (einsum over the
    frame axis) than as a stack of (nframe, 3, 3)."""
    c, s = np.cos(radians), np.sin(radians)
    out = np.zeros((3, 3, len(radians)))
    i, j = [k for k in range(3) if k != axis]
    out[axis, axis] = 1.0
    out[i, i], out[j, j] = c, c
    # about y the (z, x) pair turns, so the signs swap relative to the (x, z) order
    sign = -1.0 if axis == 1 else 1.0
    out[i, j], out[j, i] = -s * sign, s * sign
    return out


def rest_pose(bvh: Bvh) -> Bvh:
    """One frame of `bvh`'s skeleton at rest: no rotation, every joint at its OFFSET."""
    row = np.zeros((1, bvh.motion.shape[1]))
    for joint in bvh.joints:
        for c, channel in enumerate(joint.channels):
            if channel.endswith("position"):
                row[0, joint.column + c] = joint.offset["XYZ".index(channel[0])]
    return Bvh(bvh.path, bvh.joints, bvh.frame_time, row)


def joint_positions(bvh: Bvh, frames: slice | np.ndarray | list[int] | None = None) -> np.ndarray:
    """World positions `(nframe, njoint, 3)` of every joint and End Site, in `bvh.joints`
    order, in the file's units and axes."""
    motion = bvh.motion if frames is None else bvh.motion[frames]
    nframe, njoint = len(motion), len(bvh.joints)
    angles = np.ascontiguousarray(np.radians(motion.T))  # (nchannel, nframe), contiguous per channel
    pos = np.empty((njoint, 3, nframe))
    rot = np.empty((njoint, 3, 3, nframe))
    for j, joint in enumerate(bvh.joints):
        local = np.repeat(joint.offset[:, None], nframe, axis=1)
        r = None
        for c, channel in enumerate(joint.channels):
            axis = "XYZ".index(channel[0])
            if channel.endswith("position"):
                local[axis] = motion[:, joint.column + c]
            else:
                step = _axis_rotations(axis, angles[joint.column + c])
                r = step if r is None else np.einsum("ijf,jkf->ikf", r, step)
        if joint.parent < 0:
            pos[j] = local
            rot[j] = np.eye(3)[:, :, None] if r is None else r
        else:
            p = joint.parent
            pos[j] = pos[p] + np.einsum("ijf,jf->if", rot[p], local)
            rot[j] = rot[p] if r is None else np.einsum("ijf,jkf->ikf", rot[p], r)
    return np.ascontiguousarray(pos.transpose(2, 0, 1))


# ---- landmarks from joint names ------------------------------------------------------

KNEE = {"leg", "knee", "lowleg", "lowerleg", "shin", "calf", "shank", "crus", "tibia"}
ELBOW = {"forearm", "elbow", "lowarm", "lowerarm", "radius"}
HEAD = ("head", "face")  # in order of preference; "face" is Blender metarigs' head
FOOT = {"foot", "ankle", "talus"}
HAND = {"hand", "wrist", "carpus"}
TOE = {"toe", "toes", "toebase", "ball", "toe0", "toe1"}
TWIST = ("roll", "twist")
MIN_HEAD = 0.05  # m: a head joint's end nearer than this to its origin is not the head


def name_parts(name: str) -> tuple[str | None, str]:
    """(side, base) of a joint name: ("left", "forearm") for "mixamorig:LeftForeArm",
    "L_ForeArm" or "forearm.L"; side None for the spine and head."""
    low = name.split(":")[-1].strip().lower()
    side, rest = None, low
    sides = {"l": "left", "r": "right", "left": "left", "right": "right"}
    if m := re.match(r"^(left|right)[\s_.\-]*(.+)$", low):
        side, rest = sides[m.group(1)], m.group(2)
    elif m := re.match(r"^(.+?)[\s_.\-](l|r|left|right)$", low):
        side, rest = sides[m.group(2)], m.group(1)
    elif m := re.match(r"^(l|r)[\s_.\-](.+)$", low):
        side, rest = sides[m.group(1)], m.group(2)
    elif (m := re.match(r"^(l|r)([a-z].*)$", low)) and re.sub(r"[^a-z0-9]", "", m.group(2)) in (
        KNEE | ELBOW | FOOT | HAND | TOE | {"hip", "shoulder", "upleg", "uparm", "arm", "thigh", "hipjoint"}
    ):
        side, rest = sides[m.group(1)], m.group(2)
    return side, re.sub(r"[^a-z0-9]", "", rest)


def _is_twist(name: str) -> bool:
    return any(t in name_parts(name)[1] for t in TWIST)


def landmark_joints(bvh: Bvh, joints: dict[str, str] | None = None) -> dict[str, int | None]:
    """The joint (index in `bvh.joints`) whose point is each landmark, None where the file
    has none. `joints` names some landmarks' joints outright ("left_toe": "LeftToeBase",
    or "Head/end" for an End Site); the rest are found by name.

    Raises:
        ValueError naming the file when a required landmark (hips, knees, ankles) has no
        joint, or a name in `joints` is not in the file.
    """
    names = bvh.names
    children: dict[int, list[int]] = {j: [] for j in range(len(names))}
    for j, joint in enumerate(bvh.joints):
        if joint.parent >= 0:
            children[joint.parent].append(j)
    out: dict[str, int | None] = dict.fromkeys(LANDMARKS)
    given = joints or {}
    for landmark, name in given.items():
        if landmark not in LANDMARKS:
            raise ValueError(f"{landmark!r} is not a landmark; the landmarks are {list(LANDMARKS)}")
        if name not in names:
            raise ValueError(f"{bvh.path}: no joint {name!r} for {landmark}; the joints are {names}")

    def up(j: int) -> int | None:
        p = bvh.joints[j].parent
        while p >= 0 and _is_twist(names[p]):
            p = bvh.joints[p].parent
        return p if p >= 0 else None

    def down(j: int, prefer: set[str] | tuple[str, ...]) -> int | None:
        kids, todo = [], list(children[j])
        while todo:
            k = todo.pop(0)
            if not names[k].endswith(END) and _is_twist(names[k]):
                todo += children[k]
            else:
                kids.append(k)
        joints_ = [k for k in kids if not names[k].endswith(END)]
        liked = [k for k in joints_ if any(name_parts(names[k])[1].startswith(p) for p in prefer)]
        if len(liked) == 1 or (liked and len(joints_) > 1):
            return liked[0]
        if len(joints_) == 1:
            return joints_[0]
        ends = [k for k in kids if names[k].endswith(END)]
        return ends[0] if ends else None

    def find(side: str | None, bases: set[str] | tuple[str, ...], landmark: str) -> int | None:
        if landmark in given:  # the joints around it are found from the one named
            return names.index(given[landmark])
        found = [
            j
            for j, n in enumerate(names)
            if not n.endswith(END) and name_parts(n)[0] == side and name_parts(n)[1] in bases
        ]
        if len(found) > 1 and landmark not in given:
            raise ValueError(
                f"{bvh.path}: several joints could be the {landmark}: {[names[j] for j in found]}; "
                f"name the right one with joints={{{landmark!r}: ...}}"
            )
        return found[0] if found else None

    for side in ("left", "right"):
        knee = find(side, KNEE, f"{side}_knee")
        if knee is not None:
            out[f"{side}_knee"] = knee
            out[f"{side}_hip"] = up(knee)
            ankle = down(knee, FOOT)
            out[f"{side}_ankle"] = ankle
            if ankle is not None:
                out[f"{side}_toe"] = down(ankle, TOE)
        elbow = find(side, ELBOW, f"{side}_elbow")
        if elbow is not None:
            out[f"{side}_elbow"] = elbow
            out[f"{side}_shoulder"] = up(elbow)
            wrist = down(elbow, HAND)
            # CMU's BVH conversion splits the forearm as CMU's skeleton does: its LeftHand
            # is the forearm's twist joint, 10 cm short of the wrist, where LeftFingerBase
            # (and the thumb) start.
            base = [k for k in children.get(wrist, []) if name_parts(names[k])[1] == "fingerbase"]
            out[f"{side}_wrist"] = base[0] if base else wrist
    for base in HEAD:
        head = find(None, {base}, "neck")
        if head is not None:
            out["neck"] = head
            out["head"] = down(head, ("headtop", "headend", "top", "end"))
            break
    for landmark, name in given.items():  # given joints win over found ones
        out[landmark] = names.index(name)
    missing = [n for n in REQUIRED if out[n] is None]
    if missing:
        raise ValueError(
            f"{bvh.path}: no joints for the landmarks {missing} that retargeting needs (knees are found by "
            f"names like LeftLeg, LeftKnee, L_Shin or shin.L; hips are their parents, ankles their children); "
            f"the joints are {names}; name them with joints={{'left_knee': ..., ...}}"
        )
    return out


# ---- axes and units ------------------------------------------------------------------


def _leg_length(points: np.ndarray) -> float:
    """Median hip-knee-ankle length over frames and both legs, of landmark points
    `(nframe, NLANDMARK, 3)`."""
    i = {n: k for k, n in enumerate(LANDMARKS)}
    legs = [
        np.linalg.norm(points[:, i[f"{s}_hip"]] - points[:, i[f"{s}_knee"]], axis=1)
        + np.linalg.norm(points[:, i[f"{s}_knee"]] - points[:, i[f"{s}_ankle"]], axis=1)
        for s in ("left", "right")
    ]
    return float(np.median(np.concatenate(legs)))


def choose_unit(points: np.ndarray) -> str:
    """The unit (a key of `UNITS`) that makes the leg of landmark points `(nframe,
    NLANDMARK, 3)` in file units closest to an adult's (`ADULT_LEG`), on a log scale."""
    leg = _leg_length(points)
    if not leg > 0:
        raise ValueError("the legs have no length: cannot choose a unit")
    return min(UNITS, key=lambda u: abs(np.log(leg * UNITS[u] / ADULT_LEG)))


def _trunk_direction(points: np.ndarray) -> np.ndarray:
    """Per frame, the unit vector from the hips up the trunk (to the head, the neck or the
    shoulders, whichever the points have), or down the legs where there is no trunk."""
    i = {n: k for k, n in enumerate(LANDMARKS)}
    hips = 0.5 * (points[:, i["left_hip"]] + points[:, i["right_hip"]])
    for top in (("head",), ("neck",), ("left_shoulder", "right_shoulder")):
        above = np.mean([points[:, i[n]] for n in top], axis=0)
        if np.isfinite(above).all():
            v = above - hips
            break
    else:
        v = hips - 0.5 * (points[:, i["left_ankle"]] + points[:, i["right_ankle"]])
    return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)


def _dominant_axis(v: np.ndarray) -> str | None:
    """The signed axis ("y", "-z") of a vector if one component is at least twice the
    others, else None."""
    axis = int(np.argmax(np.abs(v)))
    if abs(v[axis]) < 2 * np.delete(np.abs(v), axis).max():
        return None
    return ("-" if v[axis] < 0 else "") + "xyz"[axis]


def choose_up(points: np.ndarray, rest: np.ndarray | None = None) -> str:
    """The up axis (a key of `TO_Z_UP`) of landmark points `(nframe, NLANDMARK, 3)`: the
    axis nearest the median direction from the hips up the trunk over the frames, or,
    when no axis stands out there (a clip that spends much of its time bent over or
    lying down), in the skeleton's rest pose `rest` `(1, NLANDMARK, 3)`.

    Raises:
        ValueError when no axis stands out in either.
    """
    v = np.median(_trunk_direction(points), axis=0)
    up = _dominant_axis(v)
    if up is None and rest is not None:
        up = _dominant_axis(_trunk_direction(rest)[0])
    if up is None:
        raise ValueError(f"cannot tell which axis is up (median trunk direction {np.round(v, 2).tolist()}); pass up=")
    return up


def unit_from_text(text: str) -> str | float:
    """A `unit=` argument from command-line text: "auto", a unit name or metres per unit."""
    if text == "auto" or text in UNITS:
        return text
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"unit must be 'auto', one of {sorted(UNITS)} or metres per unit, got {text!r}") from None


def _unit_scale(unit: str | float) -> float:
    if isinstance(unit, str):
        if unit not in UNITS:
            raise ValueError(f"unit must be 'auto', one of {sorted(UNITS)} or metres per unit, got {unit!r}")
        return UNITS[unit]
    if not (np.isfinite(unit) and unit > 0):
        raise ValueError(f"unit must be positive metres per file unit, got {unit}")
    return float(unit)


def to_z_up_metres(
    points: np.ndarray, up: str = "auto", unit: str | float = "auto", rest: np.ndarray | None = None
) -> tuple[np.ndarray, str, str | float]:
    """Landmark points `(nframe, NLANDMARK, 3)` in a file's axes and units to metres, z up;
    returns them with the up axis and the unit used (chosen when "auto"; `rest` is the
    rest pose for `choose_up`)."""
    if up != "auto" and up not in TO_Z_UP:
        raise ValueError(f"up must be 'auto' or one of {list(TO_Z_UP)}, got {up!r}")
    unit = choose_unit(points) if unit == "auto" else unit
    up = choose_up(points, rest) if up == "auto" else up
    out = points * _unit_scale(unit) @ TO_Z_UP[up].T
    return np.ascontiguousarray(out), up, unit


def landmarks_from_bvh(
    path: str | Path, up: str = "auto", unit: str | float = "auto", joints: dict[str, str] | None = None
) -> LandmarkClip:
    """The landmarks of a BVH file: metres, z up, at the file's frame rate.

    Args:
        path: the BVH file.
        up: the file's up axis, "x", "y", "z" or one of them negated ("-y"); "auto" finds
            it from the motion (BVH files are usually "y").
        unit: the file's length unit, "m", "cm", "mm", "in", or metres per unit as a
            number (CMU's BVH conversion keeps the ASF unit, 0.0254 / 0.45); "auto" takes
            the one that gives an adult's leg length.
        joints: landmark -> joint name, for skeletons whose names are not recognised
            (`landmark_joints`).
    """
    return _landmarks(path, up, unit, joints)[0]


def _landmarks(path, up, unit, joints):
    bvh = parse_bvh(path)
    index = landmark_joints(bvh, joints)
    columns = [index[n] if index[n] is not None else 0 for n in LANDMARKS]
    absent = [index[n] is None for n in LANDMARKS]
    points = joint_positions(bvh)[:, columns]
    points[:, absent] = np.nan
    rest = joint_positions(rest_pose(bvh))[:, columns]
    rest[:, absent] = np.nan
    points, up_used, unit_used = to_z_up_metres(points, up, unit, rest)
    h, n = LANDMARKS.index("head"), LANDMARKS.index("neck")
    if index["head"] is not None and "head" not in (joints or {}) and np.isfinite(points[:, [h, n]]).all():
        # A head joint's end too near its origin is not in the head (a rig that stops at
        # the face): leave the landmark out rather than put the head at the neck.
        if np.median(np.linalg.norm(points[:, h] - points[:, n], axis=1)) < MIN_HEAD:
            points[:, h] = np.nan
            index["head"] = None
        elif "top" in name_parts(bvh.names[index["head"]])[1]:
            points[:, h] = 0.5 * (points[:, h] + points[:, n])  # the centre, halfway to the top
    clip = LandmarkClip(points, bvh.rate, Path(path).name)
    return clip, {"bvh": bvh, "joints": index, "up": up_used, "unit": unit_used}


# ---- summaries -----------------------------------------------------------------------

FOOT_POINTS = ("left_ankle", "right_ankle", "left_toe", "right_toe")


def clip_figures(clip: LandmarkClip) -> dict[str, float | str]:
    """Physical figures of a landmark clip, for summaries and sanity checks: the pelvis
    (the hips' midpoint) speed over the ground and height, the head's height above the
    pelvis (the neck's where the clip has no head), the floor (the lowest foot point of the clip) and in what share of the
    clip's whole seconds some foot comes within 10 cm of it."""
    p = {n: clip.positions[:, k] for k, n in enumerate(LANDMARKS)}
    pelvis = 0.5 * (p["left_hip"] + p["right_hip"])
    feet = np.stack([p[n][:, 2] for n in FOOT_POINTS if clip.present[LANDMARKS.index(n)]], axis=1).min(axis=1)
    floor = float(feet.min())
    second = max(int(round(clip.rate)), 1)
    windows = [feet[s : s + second].min() for s in range(0, clip.nframe - second + 1, second)]
    top_name = next((n for n in ("head", "neck") if clip.present[LANDMARKS.index(n)]), "head")
    top = p[top_name]
    left = p["left_hip"] - p["right_hip"]
    forward = np.stack([left[:, 1], -left[:, 0]], axis=1)  # left x up, on the ground
    toes = [n for n in ("left", "right") if clip.present[LANDMARKS.index(f"{n}_toe")]]
    foot = sum(p[f"{n}_toe"][:, :2] - p[f"{n}_ankle"][:, :2] for n in toes) if toes else None
    return {
        "duration_s": clip.nframe / clip.rate,
        "pelvis_speed_m_s": float(np.linalg.norm(np.diff(pelvis[:, :2], axis=0), axis=1).mean() * clip.rate),
        "pelvis_travel_m": float(np.linalg.norm(pelvis[-1, :2] - pelvis[0, :2])),
        "pelvis_height_m": float(np.median(pelvis[:, 2] - floor)),
        "head_above_pelvis_m": float(np.median(top[:, 2] - pelvis[:, 2])) if np.isfinite(top).all() else np.nan,
        "head_from": top_name,
        "leg_m": _leg_length(clip.positions),
        "floor_m": floor,
        "seconds_with_a_foot_down": float(np.mean([w - floor < 0.10 for w in windows])) if windows else np.nan,
        "toes_forward": float(np.mean(np.sum(foot * forward, axis=1) > 0)) if foot is not None else np.nan,
    }


def figure_lines(clip: LandmarkClip) -> list[str]:
    """The `clip_figures` as summary lines."""
    f = clip_figures(clip)
    present = [n for n, ok in zip(LANDMARKS, clip.present) if ok]
    absent = [n for n in LANDMARKS if n not in present]
    return [
        f"frames:        {clip.nframe} at {clip.rate:g} Hz = {f['duration_s']:.2f} s",
        f"landmarks:     {len(present)} of {len(LANDMARKS)}" + (f" (none for {', '.join(absent)})" if absent else ""),
        f"pelvis speed:  {f['pelvis_speed_m_s']:.2f} m/s (horizontal, mean); {f['pelvis_travel_m']:.2f} m start to end",
        f"pelvis height: {f['pelvis_height_m']:.2f} m above the lowest foot point (median); legs {f['leg_m']:.2f} m",
        f"{f['head_from'] + ':':15}{f['head_above_pelvis_m']:.2f} m above the pelvis (median)"
        if np.isfinite(f["head_above_pelvis_m"])
        else "head:          none (no head or neck landmark)",
        f"feet:          some foot within 10 cm of the floor in {100 * f['seconds_with_a_foot_down']:.0f}% of the seconds",
        f"toes:          point forward of the hips in {100 * f['toes_forward']:.0f}% of the frames"
        + (" (mirrored? left and right may be swapped, or the axes left-handed)" if f["toes_forward"] < 0.5 else ""),
    ]


def summary(
    path: str | Path, up: str = "auto", unit: str | float = "auto", joints: dict[str, str] | None = None
) -> str:
    """What `python -m gail_fast.mocap info --bvh FILE` prints: the skeleton, the axes and
    unit used, the joints each landmark comes from and the clip's physical figures."""
    clip, meta = _landmarks(path, up, unit, joints)
    bvh: Bvh = meta["bvh"]
    orders: dict[str, int] = {}
    for j in bvh.joints:
        order = "".join(c[0] for c in j.channels if c.endswith("rotation"))
        if order:
            orders[order] = orders.get(order, 0) + 1
    moved = sum(any(c.endswith("position") for c in j.channels) for j in bvh.joints)
    unit_used = meta["unit"]
    unit_text = unit_used if isinstance(unit_used, str) else f"{unit_used:g} m per unit"
    chosen = [what for what, arg in (("up", up), ("unit", unit)) if arg == "auto"]
    lines = [
        f"clip:          {path}",
        f"skeleton:      {sum(not n.endswith(END) for n in bvh.names)} joints; rotation orders "
        + ", ".join(f"{o} ({k})" for o, k in sorted(orders.items(), key=lambda x: -x[1]))
        + f"; position channels on {moved}",
        f"axes, unit:    {meta['up']} up, {unit_text}"
        + (f" ({' and '.join(chosen)} chosen from the motion)" if chosen else ""),
        "joints:        " + ", ".join(f"{n}={bvh.names[j]}" for n, j in meta["joints"].items() if j is not None),
    ]
    return "\n".join(lines + figure_lines(clip))


# ---- writing -------------------------------------------------------------------------


def write_bvh(path: str | Path, bvh: Bvh, digits: int = 6) -> None:
    """Writes `bvh` as a BVH file (tabs, LF, values with `digits` decimals)."""
    children: dict[int, list[int]] = {j: [] for j in range(-1, len(bvh.joints))}
    for j, joint in enumerate(bvh.joints):
        children[joint.parent].append(j)
    out = ["HIERARCHY"]

    def number(x: float) -> str:
        text = f"{x:.{digits}f}"
        return "0" + text[2:] if text.startswith("-0") and float(text) == 0 else text

    def write(j: int, depth: int) -> None:
        joint, tab = bvh.joints[j], "\t" * depth
        head = "End Site" if joint.name.endswith(END) else ("JOINT " if depth else "ROOT ") + joint.name
        out.append(tab + head)
        out.append(tab + "{")
        out.append(tab + "\tOFFSET " + " ".join(number(x) for x in joint.offset))
        if not joint.name.endswith(END):
            out.append(tab + f"\tCHANNELS {len(joint.channels)} " + " ".join(joint.channels))
        for k in children[j]:
            write(k, depth + 1)
        out.append(tab + "}")

    write(children[-1][0], 0)
    # write() visits joints depth first, which is the column order only if the joints
    # are numbered that way: reorder the motion's columns to what was written.
    order = []

    def columns(j: int) -> None:
        joint = bvh.joints[j]
        order.extend(range(joint.column, joint.column + len(joint.channels)))
        for k in children[j]:
            columns(k)

    columns(children[-1][0])
    out += ["MOTION", f"Frames: {bvh.nframe}", f"Frame Time: {bvh.frame_time:.8g}"]
    out += [" ".join(number(x) for x in row) for row in bvh.motion[:, order]]
    Path(path).write_text("\n".join(out) + "\n")
