"""ASF/AMC parsing and forward kinematics on CMU recordings; bad files."""

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from gail_fast import mocap
from gail_fast.mocap import MocapParseError
from gail_fast.mocap.kinematics import Y_UP_TO_Z_UP

CLIPS = [
    ("02.asf", "02_01.amc"),
    ("02.asf", "02_02.amc"),
    ("02.asf", "02_03.amc"),
    ("02.asf", "02_04.amc"),
    ("07-walk.asf", "07_05-walk.amc"),
    ("13.asf", "13_39.amc"),
]
RATE = 120.0


def load(mocap_dir, asf, amc):
    skeleton = mocap.parse_asf(mocap_dir / "cmu" / asf)
    motion = mocap.parse_amc(mocap_dir / "cmu" / amc, skeleton)
    return skeleton, motion, mocap.forward_kinematics(skeleton, motion)


@pytest.mark.parametrize("asf,amc", CLIPS)
def test_every_clip_parses(mocap_dir, asf, amc):
    skeleton, motion, pos = load(mocap_dir, asf, amc)
    assert motion.nframe > 100
    assert pos.shape == (motion.nframe, len(skeleton.bones), 3) and np.isfinite(pos).all()
    # bone lengths are what the skeleton says, at every frame
    for b in range(1, len(skeleton.bones)):
        length = np.linalg.norm(pos[:, b] - pos[:, skeleton.parents[b]], axis=1)
        np.testing.assert_allclose(length, skeleton.bones[b].length * skeleton.metres_per_unit, atol=1e-9)


def reference_fk(skeleton, motion):
    """Slow and independent: scipy's Euler conversions, one frame and bone at a time."""
    to_rad = np.pi / 180
    pos = np.zeros((motion.nframe, len(skeleton.bones), 3))
    for f in range(motion.nframe):
        world = [None] * len(skeleton.bones)
        for b, bone in enumerate(skeleton.bones):
            # scipy's upper-case orders are intrinsic; lower-case extrinsic = applied first to last
            c = Rotation.from_euler(bone.axis_order.lower(), bone.axis * to_rad).as_matrix()
            rot_dofs = [d for d in bone.dofs if d[0] == "r"]
            values = motion.values.get(bone.name)
            if rot_dofs:
                idx = [bone.dofs.index(d) for d in rot_dofs]
                m = Rotation.from_euler("".join(d[1] for d in rot_dofs), values[f, idx] * to_rad).as_matrix()
            else:
                m = np.eye(3)
            local = c @ m @ c.T
            if b == 0:
                world[0] = local
                t = [values[f, bone.dofs.index(f"t{a}")] for a in "xyz"]
                pos[f, 0] = np.array(t) * skeleton.metres_per_unit
            else:
                p = skeleton.parents[b]
                world[b] = world[p] @ local
                pos[f, b] = pos[f, p] + world[b] @ (bone.direction * bone.length * skeleton.metres_per_unit)
    return pos @ Y_UP_TO_Z_UP.T


@pytest.mark.parametrize("asf,amc", [("02.asf", "02_03.amc"), ("13.asf", "13_39.amc")])
def test_kinematics_match_an_independent_reference(mocap_dir, asf, amc):
    skeleton, motion, pos = load(mocap_dir, asf, amc)
    frames = slice(0, None, 37)
    sub = mocap.Motion(motion.path, motion.frames[frames], {k: v[frames] for k, v in motion.values.items()})
    np.testing.assert_allclose(mocap.forward_kinematics(skeleton, sub), reference_fk(skeleton, sub), atol=1e-9)


def pelvis_speed(pos):
    return np.linalg.norm(np.diff(pos[:, 0, :2], axis=0), axis=1).mean() * RATE


@pytest.mark.parametrize(
    "asf,amc", [("02.asf", "02_01.amc"), ("02.asf", "02_02.amc"), ("07-walk.asf", "07_05-walk.amc")]
)
def test_walks_move_at_walking_speed_and_step_on_the_ground(mocap_dir, asf, amc):
    skeleton, _, pos = load(mocap_dir, asf, amc)
    assert 0.5 < pelvis_speed(pos) < 2.0  # m/s: people walk at about 1-1.5 m/s
    pelvis = np.median(pos[:, 0, 2])
    assert 0.8 < pelvis < 1.1  # hip height of an adult
    assert 1.4 < np.median(pos[:, skeleton.names.index("head"), 2]) < 1.9
    ground = min(pos[:, skeleton.names.index(f), 2].min() for f in ("lfoot", "rfoot"))
    # in every second of walking, some foot comes within 10 cm of the lowest foot height
    for start in range(0, len(pos) - int(RATE), int(RATE)):
        window = pos[start : start + int(RATE)]
        low = min(window[:, skeleton.names.index(f), 2].min() for f in ("lfoot", "rfoot"))
        assert low - ground < 0.10


def test_run_is_faster_than_walk(mocap_dir):
    assert pelvis_speed(load(mocap_dir, "02.asf", "02_03.amc")[2]) > 1.3 * pelvis_speed(
        load(mocap_dir, "02.asf", "02_01.amc")[2]
    )


def test_jump_rises_and_returns(mocap_dir):
    skeleton, _, pos = load(mocap_dir, "13.asf", "13_39.amc")
    z = pos[:, 0, 2]
    standing = z[:10].mean()  # the clip starts standing
    peak = int(np.argmax(z))
    assert z[peak] - standing > 0.15  # a vertical jump lifts the pelvis
    assert z[:peak].min() < standing - 0.1  # after a crouch
    assert abs(z[-1] - standing) < 0.1  # and it comes back down
    feet = np.minimum(pos[peak, skeleton.names.index("lfoot"), 2], pos[peak, skeleton.names.index("rfoot"), 2])
    assert feet > np.median(
        np.minimum(pos[:, skeleton.names.index("lfoot"), 2], pos[:, skeleton.names.index("rfoot"), 2])
    )


def test_crlf_and_lf_give_the_same_skeleton(mocap_dir, tmp_path):
    crlf = (mocap_dir / "cmu" / "02.asf").read_bytes()
    assert b"\r\n" in crlf
    lf = tmp_path / "02.asf"
    lf.write_bytes(crlf.replace(b"\r\n", b"\n"))
    a, b = mocap.parse_asf(mocap_dir / "cmu" / "02.asf"), mocap.parse_asf(lf)
    assert a.names == b.names and a.parents == b.parents


# ---- bad files ------------------------------------------------------------------------


@pytest.fixture
def asf_text(mocap_dir):
    return (mocap_dir / "cmu" / "07-walk.asf").read_text()


@pytest.fixture
def amc_lines(mocap_dir):
    return (mocap_dir / "cmu" / "07_05-walk.amc").read_text().splitlines()[:200]


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_truncated_asf(tmp_path, asf_text):
    path = write(tmp_path, "t.asf", asf_text[: asf_text.index(":hierarchy")])
    with pytest.raises(MocapParseError, match=r"t.asf: no :hierarchy section"):
        mocap.parse_asf(path)
    path = write(tmp_path, "u.asf", asf_text[: asf_text.index("end", asf_text.index("lfemur"))])
    with pytest.raises(MocapParseError, match=r"u.asf"):
        mocap.parse_asf(path)


def test_hierarchy_naming_an_unknown_bone(tmp_path, asf_text):
    path = write(tmp_path, "h.asf", asf_text.replace("lfemur ltibia", "lfemur lshin", 1))
    lineno = [k for k, line in enumerate(path.read_text().splitlines(), 1) if "lshin" in line][0]
    with pytest.raises(MocapParseError, match=rf"h.asf:{lineno}: the hierarchy names unknown bone 'lshin'"):
        mocap.parse_asf(path)


def test_non_numeric_asf_value(tmp_path, asf_text):
    path = write(tmp_path, "n.asf", asf_text.replace("length 0.45", "length abc", 1))
    with pytest.raises(MocapParseError, match=r"n.asf:\d+: not a number"):
        mocap.parse_asf(path)


def test_amc_bone_missing_from_the_skeleton(tmp_path, mocap_dir, amc_lines):
    skeleton = mocap.parse_asf(mocap_dir / "cmu" / "07-walk.asf")
    lines = list(amc_lines)
    k = next(i for i, line in enumerate(lines) if line.startswith("lfemur"))
    lines[k] = lines[k].replace("lfemur", "ltail")
    with pytest.raises(MocapParseError, match=rf"m.amc:{k + 1}: bone 'ltail' is not in the skeleton"):
        mocap.parse_amc(write(tmp_path, "m.amc", "\n".join(lines)), skeleton)


def test_amc_wrong_number_of_values(tmp_path, mocap_dir, amc_lines):
    skeleton = mocap.parse_asf(mocap_dir / "cmu" / "07-walk.asf")
    lines = list(amc_lines)
    k = next(i for i, line in enumerate(lines) if line.startswith("ltibia"))
    lines[k] += " 1.0"
    with pytest.raises(MocapParseError, match=rf"w.amc:{k + 1}: expected 1 numbers, got 2"):
        mocap.parse_amc(write(tmp_path, "w.amc", "\n".join(lines)), skeleton)
    lines = list(amc_lines)
    lines[k] = "ltibia x"
    with pytest.raises(MocapParseError, match=rf"x.amc:{k + 1}: not a number"):
        mocap.parse_amc(write(tmp_path, "x.amc", "\n".join(lines)), skeleton)


def test_truncated_amc(tmp_path, mocap_dir, amc_lines):
    skeleton = mocap.parse_asf(mocap_dir / "cmu" / "07-walk.asf")
    with pytest.raises(MocapParseError, match=r"lacks bones .*truncated"):
        mocap.parse_amc(write(tmp_path, "t.amc", "\n".join(amc_lines[:-3])), skeleton)
    with pytest.raises(MocapParseError, match=r"no frames"):
        mocap.parse_amc(write(tmp_path, "e.amc", ":FULLY-SPECIFIED\n:DEGREES\n"), skeleton)


def test_skeleton_of_another_subject_that_does_not_match(tmp_path, mocap_dir, asf_text):
    # a skeleton without the left foot's bones cannot read a motion that moves them
    other = asf_text.replace("ltibia lfoot", "ltibia", 1)
    cut = other.index("name lfoot")
    start, end = other.rindex("begin", 0, cut), other.index("end", cut) + 3
    other = other[:start] + other[end:]
    other = other.replace("lfoot ltoes", "", 1)
    cut = other.index("name ltoes")
    start, end = other.rindex("begin", 0, cut), other.index("end", cut) + 3
    skeleton = mocap.parse_asf(write(tmp_path, "o.asf", other[:start] + other[end:]))
    with pytest.raises(MocapParseError, match=r"bone 'lfoot' is not in the skeleton"):
        mocap.parse_amc(mocap_dir / "cmu" / "07_05-walk.amc", skeleton)


def test_missing_and_binary_files(tmp_path):
    with pytest.raises(MocapParseError, match="cannot read"):
        mocap.parse_asf(tmp_path / "nope.asf")
    with pytest.raises(MocapParseError, match="not an ASCII file"):
        mocap.parse_asf(write(tmp_path, "b.asf", "\u00e9\u00e9"))
