"""BVH reading, forward kinematics and landmarks on shipped files; agreement with the
ASF/AMC of the same CMU take; axes, units, joint names; bad files."""

import derive_mocap
import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from gail_fast import mocap
from gail_fast.mocap import bvh
from gail_fast.mocap.asf_amc import MocapParseError
from gail_fast.mocap.landmarks import LANDMARKS

BLENDER = "bvhtools/test3_excerpt.bvh"  # real: XYZ and YXZ orders, position channels on most joints
CMU = "cmu_bvh/02_01.bvh"  # derived from cmu/02.asf + 02_01.amc: all six orders


@pytest.fixture(scope="module")
def cmu_asf(mocap_dir):
    skeleton = mocap.parse_asf(mocap_dir / "cmu" / "02.asf")
    motion = mocap.parse_amc(mocap_dir / "cmu" / "02_01.amc", skeleton)
    return skeleton, motion, mocap.forward_kinematics(skeleton, motion)


def reference_positions(b: bvh.Bvh, frames) -> np.ndarray:
    """Slow and independent: scipy's intrinsic Euler angles, one frame and joint at a time,
    4x4 transforms T(offset or position channels) R(channels) down the tree."""
    out = np.zeros((len(frames), len(b.joints), 3))
    for f, frame in enumerate(frames):
        world = []
        for j, joint in enumerate(b.joints):
            values = b.motion[frame, joint.column : joint.column + len(joint.channels)]
            t = joint.offset.copy()
            order, angles = "", []
            for channel, value in zip(joint.channels, values):
                if channel.endswith("position"):
                    t["XYZ".index(channel[0])] = value
                else:
                    order += channel[0]
                    angles.append(value)
            m = np.eye(4)
            m[:3, 3] = t
            if order:
                m[:3, :3] = Rotation.from_euler(order, angles, degrees=True).as_matrix()
            world.append(m if joint.parent < 0 else world[joint.parent] @ m)
            out[f, j] = world[j][:3, 3]
    return out


@pytest.mark.parametrize("name", [BLENDER, CMU])
def test_shipped_files_parse_and_match_an_independent_reference(mocap_dir, name):
    b = bvh.parse_bvh(mocap_dir / name)
    orders = {"".join(c[0] for c in j.channels if c.endswith("rotation")) for j in b.joints if j.channels}
    assert len(orders) >= 2  # mixed rotation orders
    if name == CMU:
        assert orders == {"ZXY", "XYZ", "YZX", "ZYX", "YXZ", "XZY"} and b.rate == 120 and b.nframe == 343
    else:
        assert orders == {"XYZ", "YXZ"} and b.rate == 24 and b.nframe == 480
        assert sum(any(c.endswith("position") for c in j.channels) for j in b.joints) == 18
    frames = [0, 1, b.nframe // 2, b.nframe - 1]
    np.testing.assert_allclose(bvh.joint_positions(b, frames), reference_positions(b, frames), atol=1e-9)


def test_rotation_order_is_intrinsic_in_the_listed_order(tmp_path):
    # "Zrotation Xrotation Yrotation" is R = Rz Rx Ry: the child's offset (0, 1, 0) turned
    # by Rx 90 (to +z), then by Rz 90 (+z stays). Read the other way round, R = Rx Rz,
    # Rz 90 would turn it to (-1, 0, 0) first, and Rx leaves that.
    text = """HIERARCHY
ROOT A
{
\tOFFSET 0 0 0
\tCHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
\tJOINT B
\t{
\t\tOFFSET 0 1 0
\t\tCHANNELS 3 Yrotation Zrotation Xrotation
\t\tEnd Site
\t\t{
\t\t\tOFFSET 0 0 2
\t\t}
\t}
}
MOTION
Frames: 2
Frame Time: 0.01
1 2 3 90 90 0 0 0 0
0 0 0 90 0 0 90 0 0
"""
    path = tmp_path / "order.bvh"
    path.write_text(text)
    b = bvh.parse_bvh(path)
    assert b.names == ["A", "B", "B/end"]
    pos = bvh.joint_positions(b)
    np.testing.assert_allclose(pos[0, 1], [1, 2, 4], atol=1e-12)
    # frame 1: the root turns 90 about z, putting B at (-1, 0, 0); B's own 90 about y
    # turns the End Site's (0, 0, 2) to (2, 0, 0), which the root's turn makes (0, 2, 0)
    np.testing.assert_allclose(pos[1, 1], [-1, 0, 0], atol=1e-12)
    np.testing.assert_allclose(pos[1, 2], [-1, 2, 0], atol=1e-12)


def test_bvh_of_a_cmu_take_agrees_with_its_asf_amc(mocap_dir, cmu_asf):
    skeleton, motion, asf_pos = cmu_asf
    b = bvh.parse_bvh(mocap_dir / CMU)
    pos = bvh.joint_positions(b) * 0.01 @ bvh.TO_Z_UP["y"].T
    names = {v: k for k, v in derive_mocap.CMU_BVH_NAMES.items()}
    index = {bone.name: i for i, bone in enumerate(skeleton.bones)}
    worst = 0.0
    for j, name in enumerate(b.names):
        if name.endswith(bvh.END):  # a chain's tip: the end of the ASF bone
            expected = asf_pos[:, index[names[name[: -len(bvh.END)]]]]
        else:  # a joint: the start of its bone, the end of the bone's parent
            bone = index[names[name]]
            expected = asf_pos[:, skeleton.parents[bone] if bone else 0]
        worst = max(worst, np.abs(pos[:, j] - expected).max())
    assert worst < 1e-6  # m: the file keeps 5 decimals of cm and degrees

    clip = bvh.landmarks_from_bvh(mocap_dir / CMU)
    ends = {  # the ASF bone whose end each landmark is
        "left_hip": "lhipjoint",
        "left_knee": "lfemur",
        "left_ankle": "ltibia",
        "left_toe": "lfoot",
        "left_shoulder": "lclavicle",
        "left_elbow": "lhumerus",
        "left_wrist": "lwrist",  # CMU splits the forearm: lradius, then lwrist (its twist)
        "neck": "upperneck",
        "head": "head",
    }
    ends.update({k.replace("left", "right"): "r" + v[1:] for k, v in ends.items() if k.startswith("left")})
    for landmark, bone in ends.items():
        np.testing.assert_allclose(clip.positions[:, LANDMARKS.index(landmark)], asf_pos[:, index[bone]], atol=1e-6)


def test_derived_cmu_file_is_what_the_documented_transformation_writes(mocap_dir, tmp_path):
    derive_mocap.cmu_bvh(tmp_path / "02_01.bvh")
    again, shipped = bvh.parse_bvh(tmp_path / "02_01.bvh"), bvh.parse_bvh(mocap_dir / CMU)
    assert again.names == shipped.names
    np.testing.assert_allclose(again.motion, shipped.motion, atol=2e-5)


def test_write_then_read_gives_the_same_file(mocap_dir, tmp_path):
    b = bvh.parse_bvh(mocap_dir / BLENDER)
    bvh.write_bvh(tmp_path / "again.bvh", b)
    c = bvh.parse_bvh(tmp_path / "again.bvh")
    assert c.names == b.names and [j.channels for j in c.joints] == [j.channels for j in b.joints]
    np.testing.assert_allclose(c.motion, b.motion, atol=5e-7)
    np.testing.assert_allclose(bvh.joint_positions(c), bvh.joint_positions(b), atol=1e-5)


# ---- physical sanity -----------------------------------------------------------------


def test_cmu_walk_as_bvh_walks(mocap_dir):
    f = bvh.clip_figures(bvh.landmarks_from_bvh(mocap_dir / CMU))
    assert 0.9 < f["pelvis_speed_m_s"] < 1.6  # m/s: a walk
    assert 0.8 < f["pelvis_height_m"] < 1.1 and 0.75 < f["leg_m"] < 0.95  # an adult's hips and legs
    assert 0.5 < f["head_above_pelvis_m"] < 0.9
    assert f["seconds_with_a_foot_down"] == 1.0 and f["toes_forward"] == 1.0


def test_blender_clip_stands_and_bends_its_arms(mocap_dir):
    clip = bvh.landmarks_from_bvh(mocap_dir / BLENDER)
    f = bvh.clip_figures(clip)
    assert f["pelvis_speed_m_s"] < 0.1  # standing in place (the pelvis is held near the origin)
    assert f["seconds_with_a_foot_down"] == 1.0 and f["toes_forward"] == 1.0
    assert 0.4 < f["head_above_pelvis_m"] < 0.8  # the neck (this rig has no head top)
    assert not clip.present[LANDMARKS.index("head")]
    p = {n: clip.positions[:, k] for k, n in enumerate(LANDMARKS)}
    for side in ("left", "right"):  # the hands hang at the sides, then rise to the chest
        below = p[f"{side}_shoulder"][:, 2] - p[f"{side}_wrist"][:, 2]
        assert below.max() > 0.4 and below.min() < 0.2
        upper, fore = p[f"{side}_elbow"] - p[f"{side}_shoulder"], p[f"{side}_wrist"] - p[f"{side}_elbow"]
        cos = np.sum(upper * fore, axis=1) / np.linalg.norm(upper, axis=1) / np.linalg.norm(fore, axis=1)
        flexion = np.degrees(np.arccos(cos))
        assert flexion.min() < 30 and flexion.max() > 100


def test_summary_reports_axes_unit_joints_and_figures(mocap_dir):
    text = bvh.summary(mocap_dir / CMU)
    assert "y up, cm (up and unit chosen from the motion)" in text
    assert "left_knee=LeftLeg" in text and "head=Head/end" in text
    assert "pelvis speed:  1.19 m/s" in text
    assert "rotation orders ZXY (6), XYZ (5)" in text
    text = bvh.summary(mocap_dir / BLENDER, up="y", unit="m")
    assert "y up, m\n" in text and "none for head" in text


# ---- axes and units ------------------------------------------------------------------


@pytest.mark.parametrize("up", list(bvh.TO_Z_UP))
def test_up_axis_is_found_whichever_it_is(mocap_dir, up):
    clip = bvh.landmarks_from_bvh(mocap_dir / CMU)  # z up
    in_file = clip.positions @ bvh.TO_Z_UP[up]  # as a file with that up axis would hold them
    assert bvh.choose_up(in_file) == up
    back, used, _ = bvh.to_z_up_metres(in_file, "auto", 1.0)
    assert used == up
    np.testing.assert_allclose(back, clip.positions, atol=1e-12)


def test_unit_is_chosen_from_the_legs_and_can_be_given(mocap_dir):
    clip = bvh.landmarks_from_bvh(mocap_dir / CMU)
    for unit, per_metre in (("m", 1), ("cm", 100), ("mm", 1000), ("in", 1 / 0.0254)):
        assert bvh.choose_unit(clip.positions * per_metre) == unit
    given = bvh.landmarks_from_bvh(mocap_dir / CMU, up="y", unit="in")
    np.testing.assert_allclose(given.positions, clip.positions * 2.54, atol=1e-12)
    given = bvh.landmarks_from_bvh(mocap_dir / CMU, unit=0.02)
    np.testing.assert_allclose(given.positions, clip.positions * 2, atol=1e-12)
    with pytest.raises(ValueError, match="unit must be"):
        bvh.landmarks_from_bvh(mocap_dir / CMU, unit="furlong")
    assert bvh.unit_from_text("cm") == "cm" and bvh.unit_from_text("0.05644") == 0.05644
    with pytest.raises(ValueError, match="unit must be .* got 'furlong'"):
        bvh.unit_from_text("furlong")
    with pytest.raises(ValueError, match="up must be"):
        bvh.landmarks_from_bvh(mocap_dir / CMU, up="w")


def test_a_clip_that_is_not_upright_falls_back_to_the_rest_pose(mocap_dir):
    clip = bvh.landmarks_from_bvh(mocap_dir / CMU)
    lying = clip.positions @ Rotation.from_euler("x", 90, degrees=True).as_matrix().T  # head along -y
    tilted = clip.positions @ Rotation.from_euler("x", 45, degrees=True).as_matrix().T
    assert bvh.choose_up(lying) == "-y"
    with pytest.raises(ValueError, match="cannot tell which axis is up"):
        bvh.choose_up(tilted)
    assert bvh.choose_up(tilted, rest=clip.positions[:1]) == "z"


# ---- joint names ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,parts",
    [
        ("mixamorig:LeftForeArm", ("left", "forearm")),
        ("mixamorig1:RightUpLeg", ("right", "upleg")),
        ("shin.L", ("left", "shin")),
        ("forearm.R", ("right", "forearm")),
        ("L_Knee", ("left", "knee")),
        ("Right Elbow", ("right", "elbow")),
        ("lknee", ("left", "knee")),
        ("LowerBack", (None, "lowerback")),
        ("Head", (None, "head")),
        ("LeftLeg", ("left", "leg")),
    ],
)
def test_joint_name_conventions(name, parts):
    assert bvh.name_parts(name) == parts


def renamed(mocap_dir, tmp_path, names: dict[str, str], prefix: str = "") -> object:
    text = (mocap_dir / CMU).read_text()
    lines = []
    for line in text.splitlines():
        words = line.split()
        if words and words[0] in ("ROOT", "JOINT"):
            name = names.get(words[1], words[1])
            line = line.replace(words[1], prefix + name)
        lines.append(line)
    path = tmp_path / "renamed.bvh"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_mixamo_and_biovision_names_give_the_same_landmarks(mocap_dir, tmp_path):
    clip = bvh.landmarks_from_bvh(mocap_dir / CMU)
    mixamo = bvh.landmarks_from_bvh(renamed(mocap_dir, tmp_path, {}, "mixamorig:"))
    np.testing.assert_array_equal(mixamo.positions, clip.positions)
    biovision = {
        "LeftUpLeg": "LeftHip",
        "LeftLeg": "LeftKnee",
        "LeftFoot": "LeftAnkle",
        "LeftShoulder": "LeftCollar",
        "LeftArm": "LeftShoulder",
        "LeftForeArm": "LeftElbow",
        "LeftHand": "LeftWrist",
    }
    biovision.update({k.replace("Left", "Right"): v.replace("Left", "Right") for k, v in biovision.items()})
    path = renamed(mocap_dir, tmp_path, biovision)
    np.testing.assert_array_equal(bvh.landmarks_from_bvh(path).positions, clip.positions)
    # named outright: the toes at the feet's End Sites... of the toe joints
    given = bvh.landmarks_from_bvh(mocap_dir / CMU, joints={"left_toe": "LeftToeBase/end"})
    b = bvh.parse_bvh(mocap_dir / CMU)
    tip = bvh.joint_positions(b)[:, b.names.index("LeftToeBase/end")] * 0.01 @ bvh.TO_Z_UP["y"].T
    np.testing.assert_allclose(given.positions[:, LANDMARKS.index("left_toe")], tip, atol=1e-12)


def test_a_head_top_joint_puts_the_head_halfway(mocap_dir, tmp_path):
    # Mixamo ends the head at a joint named HeadTop_End, at the top of the head
    lines = [line.strip() for line in (mocap_dir / CMU).read_text().splitlines()]
    site = lines.index("End Site", next(k for k, line in enumerate(lines) if line.strip() == "JOINT Head"))
    lines[site] = "JOINT HeadTop_End"  # its "{" and OFFSET follow; give it channels and a tip
    lines[site + 3 : site + 3] = ["CHANNELS 0", "End Site", "{", "OFFSET 0 0 0", "}"]
    text = "\n".join(lines) + "\n"
    path = tmp_path / "headtop.bvh"
    path.write_text(text)
    b = bvh.parse_bvh(path)
    assert "HeadTop_End" in b.names and "Head/end" not in b.names
    clip, cmu = bvh.landmarks_from_bvh(path), bvh.landmarks_from_bvh(mocap_dir / CMU)
    h, n = LANDMARKS.index("head"), LANDMARKS.index("neck")
    np.testing.assert_allclose(clip.positions[:, h], 0.5 * (cmu.positions[:, h] + cmu.positions[:, n]), atol=1e-12)
    np.testing.assert_array_equal(clip.positions[:, :h], cmu.positions[:, :h])


def test_unrecognised_skeleton_is_a_clear_error(mocap_dir, tmp_path):
    path = renamed(mocap_dir, tmp_path, {"LeftLeg": "Bone07", "RightLeg": "Bone12"})
    with pytest.raises(
        ValueError, match=r"renamed.bvh: no joints for the landmarks \['left_hip', 'right_hip', 'left_knee'"
    ):
        bvh.landmarks_from_bvh(path)
    clip = bvh.landmarks_from_bvh(
        path,
        joints={
            "left_hip": "LeftUpLeg",
            "right_hip": "RightUpLeg",
            "left_knee": "Bone07",
            "right_knee": "Bone12",
            "left_ankle": "LeftFoot",
            "right_ankle": "RightFoot",
        },
    )
    np.testing.assert_array_equal(clip.positions[:, :6], bvh.landmarks_from_bvh(mocap_dir / CMU).positions[:, :6])
    # two joints that could be the left knee: an error, unless one is named
    path = renamed(mocap_dir, tmp_path, {"LeftUpLeg": "LeftKnee"})
    with pytest.raises(ValueError, match=r"several joints could be the left_knee: \['LeftKnee', 'LeftLeg'\]"):
        bvh.landmarks_from_bvh(path)
    clip = bvh.landmarks_from_bvh(path, joints={"left_knee": "LeftLeg"})
    np.testing.assert_array_equal(clip.positions, bvh.landmarks_from_bvh(mocap_dir / CMU).positions)
    with pytest.raises(ValueError, match="no joint 'Bone99' for left_knee"):
        bvh.landmarks_from_bvh(path, joints={"left_knee": "Bone99"})
    with pytest.raises(ValueError, match="'left_foot' is not a landmark"):
        bvh.landmarks_from_bvh(path, joints={"left_foot": "LeftFoot"})


# ---- bad files -----------------------------------------------------------------------


@pytest.fixture
def small(mocap_dir):
    """The Blender clip cut to 5 frames, as lines."""
    lines = (mocap_dir / BLENDER).read_text().splitlines()
    m = lines.index("MOTION")
    return lines[: m + 1] + ["Frames: 5", lines[m + 2]] + lines[m + 3 : m + 8]


def bad(tmp_path, lines, name="bad.bvh"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def line_of(lines, text, start=0):
    return next(k for k, line in enumerate(lines, 1) if k > start and text in line)


def edit(lines, text, new, count=1):
    k = line_of(lines, text) - 1
    out = list(lines)
    out[k] = out[k].replace(text, new, count)
    return out, k + 1


@pytest.mark.parametrize(
    "text,new,message",
    [
        (
            "CHANNELS 6 Xposition Yposition Zposition Xrotation",
            "CHANNELS 6 Xposition Yposition Zposition Wrotation",
            "unknown channel 'Wrotation'",
        ),
        ("CHANNELS 3 Xrotation", "CHANNELS 4 Xrotation", "CHANNELS 4 must be followed by 4 channel names"),
        (
            "CHANNELS 3 Xrotation Yrotation Zrotation",
            "CHANNELS 3 Xrotation Xrotation Zrotation",
            "a channel appears twice",
        ),
        ("CHANNELS 3", "CHANNELS x", "CHANNELS needs a count from 0 to 6, got 'x'"),
        ("OFFSET 0.000000 0.230300", "OFFSET 0.000000 abc", "OFFSET: not a number: 'abc'"),
        ("JOINT face", "JOINT spine", "two joints are named 'spine'"),
        ("JOINT face", "JOINT", "JOINT without a name"),
        ("Frames: 5", "Frames: five", "the frame count must be a whole number"),
        ("Frame Time: 0.041667", "Frame Time: -1", "the frame time must be positive"),
        ("Frame Time: 0.041667", "Frame Tim 0.041667", "expected 'Frame Time: SECONDS'"),
        ("Frames: 5", "Frames: 6", "'Frames: 6' .* but 5 frame lines, fewer"),
        ("Frames: 5", "Frames: 4", "'Frames: 4' .* but 5 frame lines, more"),
    ],
)
def test_malformed_hierarchy_or_motion_names_the_line(tmp_path, small, text, new, message):
    lines, k = edit(small, text, new)
    path = bad(tmp_path, lines)
    with pytest.raises(MocapParseError, match=rf"bad.bvh:\d+: {message}"):
        bvh.parse_bvh(path)
    if "Frames: " not in new or "five" in new:  # the count mismatch names the frame line instead
        with pytest.raises(MocapParseError, match=rf"bad.bvh:{k}: "):
            bvh.parse_bvh(path)


def test_bad_frame_lines_name_their_line(tmp_path, small):
    last = len(small)
    for value, message in (
        ("1.0.0", "not a number: '1.0.0'"),
        ("nan", "not a finite number"),
        ("inf", "not a finite number"),
    ):
        lines = list(small)
        lines[-1] = " ".join(lines[-1].split()[:-1] + [value])
        with pytest.raises(MocapParseError, match=rf"bad.bvh:{last}: .*{message}"):
            bvh.parse_bvh(bad(tmp_path, lines))
    lines = list(small)
    lines[-2] += " 0.5"
    with pytest.raises(MocapParseError, match=rf"bad.bvh:{last - 1}: a frame needs 111 values .* got 112"):
        bvh.parse_bvh(bad(tmp_path, lines))


def test_structure_errors(tmp_path, small):
    m = small.index("MOTION")
    cases = [
        (small[m:], r"bad.bvh:1: does not start with HIERARCHY"),
        (small[:m], r"bad.bvh: no MOTION section"),
        (small[: m - 1] + small[m:], r"bad.bvh:\d+: the hierarchy ends inside 'pelvis' \(unclosed braces\)"),
        (small[:m] + small[m - 2 : m + 1], r"bad.bvh:\d+: unexpected '}' after the ROOT's closing brace|'}' without"),
        (small[:1] + ["ROOT A", "OFFSET 0 0 0"] + small[m:], r"bad.bvh:3: expected '\{' to open 'A', got 'OFFSET'"),
        (small[:m] + small[1:m] + small[m:], r"a second ROOT"),
        (small[: m + 1], r"MOTION without 'Frames:' and 'Frame Time:'"),
    ]
    for lines, message in cases:
        with pytest.raises(MocapParseError, match=message):
            bvh.parse_bvh(bad(tmp_path, lines))
    lines, _ = edit(small, "OFFSET 0.000000 0.230300 0.012070", "")
    with pytest.raises(MocapParseError, match=r"bad.bvh:\d+: 'spine.001' has no OFFSET"):
        bvh.parse_bvh(bad(tmp_path, lines))


def test_missing_binary_and_empty_files(tmp_path):
    with pytest.raises(MocapParseError, match="nope.bvh: cannot read"):
        bvh.parse_bvh(tmp_path / "nope.bvh")
    (tmp_path / "b.bvh").write_bytes(b"HIERARCHY\x00\xff")
    with pytest.raises(MocapParseError, match="b.bvh: not a text file"):
        bvh.parse_bvh(tmp_path / "b.bvh")
    (tmp_path / "e.bvh").write_text("")
    with pytest.raises(MocapParseError, match="e.bvh: does not start with HIERARCHY"):
        bvh.parse_bvh(tmp_path / "e.bvh")


def test_crlf_and_a_byte_order_mark_read_the_same(mocap_dir, tmp_path):
    data = (mocap_dir / BLENDER).read_bytes()
    (tmp_path / "crlf.bvh").write_bytes(b"\xef\xbb\xbf" + data.replace(b"\n", b"\r\n"))
    a, b = bvh.parse_bvh(mocap_dir / BLENDER), bvh.parse_bvh(tmp_path / "crlf.bvh")
    assert a.names == b.names
    np.testing.assert_array_equal(a.motion, b.motion)


def test_shipped_bvh_files_carry_their_terms(mocap_dir):
    readme = (mocap_dir / "README.md").read_text()
    assert "Permission is hereby granted" in (mocap_dir / "bvhtools" / "LICENSE_bvhtools.txt").read_text()
    assert "NSF EIA-0196217" in (mocap_dir / "cmu_bvh" / "TERMS_CMU.txt").read_text()
    assert "bvhtools/test3_excerpt.bvh" in readme and "cmu_bvh/02_01.bvh: a CMU take as BVH (derived)" in readme


def test_cli_converts_a_bvh_clip_to_a_retargeted_dataset(tmp_path, capsys):
    from gail_fast.data import mocap_file
    from gail_fast.demos import Demonstrations
    from gail_fast.mocap import __main__ as cli

    cli.main(["convert", "--bvh", str(mocap_file("cmu_bvh/02_01.bvh")), "--out", str(tmp_path / "walk.npz")])
    assert "landmark error median" in capsys.readouterr().out
    demos = Demonstrations.load(tmp_path / "walk.npz", "Humanoid21Imitation-v0")
    assert demos.qpos is not None and len(demos.qpos) == len(demos.features) == 191
