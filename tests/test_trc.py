"""TRC reading, gap filling, marker sets (OpenCap's, markerless keypoints), axes and
units on shipped files; bad files."""

import derive_mocap
import numpy as np
import pytest

from gail_fast import mocap
from gail_fast.mocap import trc
from gail_fast.mocap.asf_amc import MocapParseError
from gail_fast.mocap.bvh import clip_figures
from gail_fast.mocap.kinematics import Y_UP_TO_Z_UP
from gail_fast.mocap.landmarks import LANDMARKS

BALANCE = "pose2sim/Balancing_for_IK.trc"  # real: Pose2Sim's demo, triangulated keypoints
GAPS = "pose2sim/Balancing_for_IK_gaps.trc"  # derived: markers emptied over some frames
TPOSE = "pose2sim/Standing_for_Scaling.trc"  # real: its header says 50 frames, it holds 25


def test_real_file_parses(mocap_dir):
    t = trc.parse_trc(mocap_dir / BALANCE)
    assert (t.rate, t.units, t.nframe, len(t.markers)) == (60.0, "m", 100, 21)
    assert t.markers[:3] == ("RHip", "RKnee", "RAnkle") and t.markers[-1] == "LWrist"
    assert np.isfinite(t.positions).all()
    np.testing.assert_allclose(t.marker("RHip")[0], [-0.06499776880731584, 0.9015132201416929, -1.4005735926016618])
    np.testing.assert_allclose(np.diff(t.time), 1 / 60, atol=1e-12)


def test_header_frame_count_is_not_trusted(mocap_dir):
    t = trc.parse_trc(mocap_dir / TPOSE)
    assert (t.nframe, t.declared_frames) == (25, 50)
    assert "25 frames (the header says 50)" in trc.summary(mocap_dir / TPOSE)


def test_keypoint_clip_is_a_standing_adult(mocap_dir):
    clip = trc.landmarks_from_trc(mocap_dir / BALANCE)
    assert clip.rate == 60 and clip.nframe == 100
    assert not clip.present[LANDMARKS.index("neck")] and clip.present[LANDMARKS.index("head")]
    f = clip_figures(clip)
    assert 0.75 < f["leg_m"] < 0.95 and 0.8 < f["pelvis_height_m"] < 1.05
    assert 0.5 < f["head_above_pelvis_m"] < 0.8  # the centre of the head
    t = trc.parse_trc(mocap_dir / BALANCE)
    centre = 0.5 * (t.marker("Head") + t.marker("Nose")) @ Y_UP_TO_Z_UP.T
    np.testing.assert_allclose(clip.positions[:, LANDMARKS.index("head")], centre)
    assert f["seconds_with_a_foot_down"] == 1.0 and f["toes_forward"] == 1.0
    # the joint keypoints are the landmarks, turned to z up
    np.testing.assert_allclose(clip.positions[:, LANDMARKS.index("right_knee")], t.marker("RKnee") @ Y_UP_TO_Z_UP.T)
    toe = 0.5 * (t.marker("LBigToe") + t.marker("LSmallToe")) @ Y_UP_TO_Z_UP.T
    np.testing.assert_allclose(clip.positions[:, LANDMARKS.index("left_toe")], toe)


def test_short_gaps_are_filled_by_spline_and_the_ends_trimmed(mocap_dir):
    truth = trc.landmarks_from_trc(mocap_dir / BALANCE)
    t = trc.parse_trc(mocap_dir / GAPS)
    assert np.isnan(t.marker("RKnee")[29:37]).all() and np.isfinite(t.marker("RKnee")[37]).all()
    assert np.isnan(t.marker("LWrist")[49:52]).all()  # fields left off the row's end
    clip = trc.landmarks_from_trc(mocap_dir / GAPS)
    assert clip.nframe == 97  # LSmallToe is missing in frames 1-3
    error = np.linalg.norm(clip.positions - truth.positions[3:], axis=2)
    k = {n: i for i, n in enumerate(LANDMARKS)}
    assert error[:, k["right_knee"]].max() < 0.01  # 8 frames
    assert error[:, k["left_ankle"]].max() < 0.01  # 5 frames
    assert error[:, k["right_wrist"]].max() < 0.03  # 12 frames = 0.2 s, the longest filled
    filled = ("right_knee", "left_ankle", "right_wrist", "left_wrist")
    untouched = [n for n in LANDMARKS if n not in (*filled, "neck", "head")]
    np.testing.assert_array_equal(
        clip.positions[:, [k[n] for n in untouched]], truth.positions[3:, [k[n] for n in untouched]]
    )
    text = trc.summary(mocap_dir / GAPS)
    assert "gaps filled:   LAnkle 5, LWrist 3, RKnee 8, RWrist 12" in text
    assert "frames kept 4-100 of 100" in text
    # Nose is missing for 0.67 s: the head, which it helps make, is left out
    assert not clip.present[k["head"]]
    assert "left out:      head: marker 'Nose' is missing for 40 frames (0.67 s, frames 40-79" in text


def test_derived_gap_file_is_what_the_documented_transformation_writes(mocap_dir, tmp_path):
    derive_mocap.trc_with_gaps(mocap_dir / BALANCE, tmp_path / "gaps.trc")
    assert (tmp_path / "gaps.trc").read_bytes() == (mocap_dir / GAPS).read_bytes()


def blank(mocap_dir, tmp_path, marker, first, last, name="long.trc"):
    lines = (mocap_dir / BALANCE).read_text().split("\n")
    c = 2 + 3 * trc.parse_trc(mocap_dir / BALANCE).markers.index(marker)
    for k in range(5 + first - 1, 5 + last):
        fields = lines[k].split("\t")
        fields[c : c + 3] = ["", "", ""]
        lines[k] = "\t".join(fields)
    path = tmp_path / name
    path.write_text("\n".join(lines))
    return path


def test_long_gap_is_an_error_naming_marker_frames_and_lines(mocap_dir, tmp_path):
    path = blank(mocap_dir, tmp_path, "RKnee", 30, 42)  # 13 frames: 0.22 s
    message = r"long.trc: marker 'RKnee' is missing for 13 frames \(0.22 s, frames 30-42, file lines 35-47\)"
    with pytest.raises(ValueError, match=message + r"; gaps up to 0.2 s \(12 frames\) are filled"):
        trc.landmarks_from_trc(path)
    assert trc.landmarks_from_trc(path, max_gap=0.25).nframe == 100
    # a long gap in a marker the legs do not need leaves its landmark out
    clip = trc.landmarks_from_trc(blank(mocap_dir, tmp_path, "LElbow", 20, 80, "elbow.trc"))
    assert clip.nframe == 100 and not clip.present[LANDMARKS.index("left_elbow")]
    assert clip.present[LANDMARKS.index("left_wrist")]
    clip = trc.landmarks_from_trc(blank(mocap_dir, tmp_path, "RHeel", 1, 100, "heel.trc"))  # unused
    assert clip.nframe == 100 and clip.present.sum() == 15


def test_a_marker_set_that_cannot_form_the_legs_lists_what_is_missing(mocap_dir, tmp_path):
    with pytest.raises(ValueError, match=r"Balancing_for_IK.trc: marker set 'opencap' cannot form.*") as e:
        trc.landmarks_from_trc(mocap_dir / BALANCE, marker_set="opencap")
    assert "left_hip needs LHJC_study or r.ASIS_study+L.ASIS_study+r.PSIS_study+L.PSIS_study" in str(e.value)
    assert "left_knee needs L_knee_study+L_mknee_study (missing: L_knee_study, L_mknee_study)" in str(e.value)
    assert "The file's markers: ['RHip'" in str(e.value)
    path = blank(mocap_dir, tmp_path, "LKnee", 1, 100, "noknee.trc")
    with pytest.raises(ValueError, match=r"noknee.trc: .*left_knee needs LKnee \(missing: LKnee\)"):
        trc.landmarks_from_trc(path)
    with pytest.raises(ValueError, match="marker_set must be"):
        trc.landmarks_from_trc(mocap_dir / BALANCE, marker_set="vicon")


def test_units_and_up_axis(mocap_dir, tmp_path):
    clip = trc.landmarks_from_trc(mocap_dir / BALANCE)
    np.testing.assert_array_equal(trc.landmarks_from_trc(mocap_dir / BALANCE, up="y").positions, clip.positions)
    np.testing.assert_allclose(trc.landmarks_from_trc(mocap_dir / BALANCE, units="mm").positions, clip.positions / 1000)
    t = trc.parse_trc(mocap_dir / BALANCE)
    # the same markers in millimetres, z up (x forward, y left), as a Vicon lab writes them
    markers = {m: t.marker(m) @ Y_UP_TO_Z_UP.T * 1000 for m in t.markers}
    trc.write_trc(tmp_path / "zup.trc", markers, 60, "mm")
    assert "units mm, z up (chosen from the motion)" in trc.summary(tmp_path / "zup.trc")
    np.testing.assert_allclose(trc.landmarks_from_trc(tmp_path / "zup.trc").positions, clip.positions, atol=1e-9)
    with pytest.raises(ValueError, match="units must be"):
        trc.landmarks_from_trc(mocap_dir / BALANCE, units="ft")


# ---- OpenCap's marker set ------------------------------------------------------------


def test_harrington_regression_on_a_known_pelvis():
    # x forward, y left, z up; pelvis width 250 mm, depth 160 mm
    asis_r, asis_l = np.array([[0, -0.125, 0.0]]), np.array([[0, 0.125, 0.0]])
    psis_r, psis_l = np.array([[-0.16, -0.045, 0.0]]), np.array([[-0.16, 0.045, 0.0]])
    right, left = trc.harrington_hips(asis_r, asis_l, psis_r, psis_l)
    # forward -0.24 * 160 - 9.9, up -0.30 * 250 - 10.9, lateral 0.33 * 250 + 7.3 (mm)
    np.testing.assert_allclose(right[0], [-0.0483, -0.0898, -0.0859], atol=1e-12)
    np.testing.assert_allclose(left[0], [-0.0483, 0.0898, -0.0859], atol=1e-12)


def opencap_markers(mocap_dir, hip_centres: bool) -> tuple[dict, np.ndarray]:
    """OpenCap-named markers around the joint centres of a CMU walk (y up, m): lateral
    and medial markers 5 cm either side of each centre, the pelvis markers placed so that
    Harrington's regression gives the hips back. Returns the markers and the centres."""
    skeleton = mocap.parse_asf(mocap_dir / "cmu" / "02.asf")
    motion = mocap.parse_amc(mocap_dir / "cmu" / "02_01.amc", skeleton)
    pos = mocap.forward_kinematics(skeleton, motion)  # z up
    b = {n: pos[:, skeleton.names.index(n)] for n in skeleton.names}
    centre = {
        "hip": ("lhipjoint", "rhipjoint"),
        "knee": ("lfemur", "rfemur"),
        "ankle": ("ltibia", "rtibia"),
        "toe": ("lfoot", "rfoot"),
        "shoulder": ("lclavicle", "rclavicle"),
        "elbow": ("lhumerus", "rhumerus"),
        "wrist": ("lradius", "rradius"),
    }
    right = b["rhipjoint"] - b["lhipjoint"]
    side = right / np.linalg.norm(right, axis=1, keepdims=True)
    m = {}
    for s, sign, k in (("L", -1, 0), ("r", 1, 1)):
        c = {name: b[bones[k]] for name, bones in centre.items()}
        m[f"{s}_knee_study"], m[f"{s}_mknee_study"] = c["knee"] + 0.05 * sign * side, c["knee"] - 0.05 * sign * side
        m[f"{s}_ankle_study"], m[f"{s}_mankle_study"] = c["ankle"] + 0.04 * sign * side, c["ankle"] - 0.04 * sign * side
        m[f"{s}_toe_study"], m[f"{s}_5meta_study"] = c["toe"] - 0.03 * sign * side, c["toe"] + 0.03 * sign * side
        m[f"{s}_shoulder_study"] = c["shoulder"]
        m[f"{s}_lelbow_study"], m[f"{s}_melbow_study"] = (
            c["elbow"] + 0.03 * sign * side,
            c["elbow"] - 0.03 * sign * side,
        )
        m[f"{s}_lwrist_study"], m[f"{s}_mwrist_study"] = (
            c["wrist"] + 0.02 * sign * side,
            c["wrist"] - 0.02 * sign * side,
        )
    if hip_centres:
        m["RHJC_study"], m["LHJC_study"] = b["rhipjoint"], b["lhipjoint"]
    # invert the regression: pelvis width from the hips' spacing, any depth
    gap = np.linalg.norm(right, axis=1, keepdims=True) * 1000
    pw, pd = (gap / 2 - 7.3) / 0.33, 150.0
    up = np.array([0, 0, 1.0])
    fwd = np.cross(up, side)
    fwd /= np.linalg.norm(fwd, axis=1, keepdims=True)
    vert = np.cross(side, fwd)
    origin = 0.5 * (b["rhipjoint"] + b["lhipjoint"]) - ((-0.24 * pd - 9.9) * fwd + (-0.30 * pw - 10.9) * vert) / 1000
    m["r.ASIS_study"], m["L.ASIS_study"] = origin + pw / 2000 * side, origin - pw / 2000 * side
    psis = origin - pd / 1000 * fwd
    m["r.PSIS_study"], m["L.PSIS_study"] = psis + 0.045 * side, psis - 0.045 * side
    y_up = {name: v @ Y_UP_TO_Z_UP for name, v in m.items()}  # as OpenSim writes them
    truth = np.stack([b[n] for n in ("lhipjoint", "rhipjoint", "lfemur", "rfemur", "ltibia", "rtibia")], axis=1)
    return y_up, truth


@pytest.mark.parametrize("hip_centres", [True, False])
def test_opencap_marker_set_forms_the_joint_centres(mocap_dir, tmp_path, hip_centres):
    markers, truth = opencap_markers(mocap_dir, hip_centres)
    trc.write_trc(tmp_path / "opencap.trc", markers, 120, "m")
    clip = trc.landmarks_from_trc(tmp_path / "opencap.trc")  # "auto" finds the set
    np.testing.assert_allclose(clip.positions[:, :6], truth, atol=2e-6)  # the file's 6 decimals
    assert not clip.present[LANDMARKS.index("neck")] and not clip.present[LANDMARKS.index("head")]
    text = trc.summary(tmp_path / "opencap.trc")
    assert "opencap (chosen from the marker names)" in text
    regression = "left_hip=Harrington(r.ASIS_study, L.ASIS_study, r.PSIS_study, L.PSIS_study)"
    assert ("left_hip=LHJC_study" if hip_centres else regression) in text
    assert "left_knee=L_knee_study+L_mknee_study" in text
    f = clip_figures(clip)
    assert 0.9 < f["pelvis_speed_m_s"] < 1.6


# ---- bad files -----------------------------------------------------------------------


@pytest.fixture
def lines(mocap_dir):
    return (mocap_dir / BALANCE).read_text().split("\n")[:30]


def write(tmp_path, lines, name="bad.trc"):
    path = tmp_path / name
    path.write_text("\n".join(lines))
    return path


def replaced(lines, k, old, new):
    out = list(lines)
    assert old in out[k - 1]
    out[k - 1] = out[k - 1].replace(old, new, 1)
    return out


@pytest.mark.parametrize(
    "k,old,new,message",
    [
        (1, "PathFileType", "Path", r"bad.trc:1: does not start with PathFileType"),
        (2, "Units", "Unit", r"bad.trc:2: the header has no Units field"),
        (3, "60\t60", "sixty\t60", r"bad.trc:3: DataRate is not a number: 'sixty'"),
        (3, "60\t60", "-60\t60", r"bad.trc:3: DataRate must be positive"),
        (3, "\tm\t", "\tfurlong\t", r"bad.trc:3: Units must be one of"),
        (3, "\t21\t", "\t22\t", r"bad.trc:4: NumMarkers is 22 but the line names 21 markers"),
        (3, "\t21\t", "\t2.5\t", r"bad.trc:3: NumMarkers must be a whole number"),
        (4, "Frame#", "Frame", r"bad.trc:4: the marker line must start with 'Frame#' and 'Time'"),
        (4, "RKnee", "RHip", r"bad.trc:4: markers named twice: \['RHip'\]"),
        (5, "\t\tX1", "1\t0.01", r"bad.trc:5: line 5 must label the coordinate columns"),
        (9, "\t0.9091861124521746", "\tx0.9", r"bad.trc:9: marker 'RHip': not a number: 'x0.9'"),
        (9, "\t0.9091861124521746", "\tinf", r"bad.trc:9: not a finite number: 'inf'"),
        (9, "4\t0.0666666666666666", "4\t0.08", r"bad.trc:9: time 0.08 s after 0.05 s: frames must be 1/DataRate"),
        (9, "4\t0.0666666666666666", "4\t", r"bad.trc:9: a frame row needs its frame number and time"),
    ],
)
def test_malformed_file_names_the_line(tmp_path, lines, k, old, new, message):
    with pytest.raises(MocapParseError, match=message):
        trc.parse_trc(write(tmp_path, replaced(lines, k, old, new)))


def test_too_many_fields_and_too_few_rows(tmp_path, lines):
    extra = list(lines)
    extra[9] += "\t1.0"
    with pytest.raises(MocapParseError, match=r"bad.trc:10: 66 fields; 21 markers make 65"):
        trc.parse_trc(write(tmp_path, extra))
    with pytest.raises(MocapParseError, match=r"bad.trc:\d+: 1 frame rows; a clip needs at least 2"):
        trc.parse_trc(write(tmp_path, lines[:6]))
    with pytest.raises(MocapParseError, match=r"bad.trc: 3 lines; a TRC file has 5 header lines"):
        trc.parse_trc(write(tmp_path, lines[:3]))


def test_missing_and_binary_files(tmp_path):
    with pytest.raises(MocapParseError, match="nope.trc: cannot read"):
        trc.parse_trc(tmp_path / "nope.trc")
    (tmp_path / "b.trc").write_bytes(b"PathFileType\x00\xff")
    with pytest.raises(MocapParseError, match="b.trc: not a text file"):
        trc.parse_trc(tmp_path / "b.trc")


def test_shipped_trc_files_carry_their_terms(mocap_dir):
    readme = (mocap_dir / "README.md").read_text()
    assert "BSD 3-Clause License" in (mocap_dir / "pose2sim" / "LICENSE_pose2sim.txt").read_text()
    for name in (
        "Balancing_for_IK.trc | real",
        "Standing_for_Scaling.trc | real",
        "Balancing_for_IK_gaps.trc | derived",
    ):
        assert name in readme


def test_cli_converts_a_trc_clip_and_refuses_two_kinds_of_source(tmp_path, capsys):
    import pytest as _pytest

    from gail_fast.data import mocap_file
    from gail_fast.demos import Demonstrations
    from gail_fast.mocap import __main__ as cli

    trc_path = str(mocap_file("pose2sim/Balancing_for_IK_gaps.trc"))
    cli.main(["convert", "--trc", trc_path, "--out", str(tmp_path / "b.npz")])
    assert Demonstrations.load(tmp_path / "b.npz", "Humanoid21Imitation-v0").qpos is not None
    with _pytest.raises(SystemExit) as e:
        cli.main(["info", "--trc", trc_path, "--bvh", str(mocap_file("cmu_bvh/02_01.bvh"))])
    assert e.value.code == 2 and "one kind of source" in capsys.readouterr().err
