"""`mocap info`'s pelvis speed against the recording itself: the root translation written in
the AMC file, in the ASF's length unit, read here without the library's parser."""

import re

import numpy as np
import pytest

from gail_fast.mocap import __main__ as cli

RATE = 120.0  # CMU's frame rate
INCH = 0.0254


def recorded_root_speed(asf_path, amc_path) -> float:
    """Mean horizontal speed (m/s) of the root from the raw text: CMU's roots are ordered
    TX TY TZ RX RY RZ with y up, and a length of 1 in the file is 1 / `length` inches."""
    asf = asf_path.read_text()
    assert re.search(r"order\s+TX TY TZ RX RY RZ", asf)
    unit = float(re.search(r":units.*?length\s+([0-9.eE+-]+)", asf, re.S).group(1))
    root = np.array([line.split()[1:4] for line in amc_path.read_text().splitlines() if line.startswith("root ")])
    xz = root.astype(float)[:, [0, 2]] * INCH / unit
    return float(np.linalg.norm(np.diff(xz, axis=0), axis=1).mean() * RATE)


@pytest.mark.parametrize(
    "asf, amc", [("02.asf", "02_01.amc"), ("02.asf", "02_02.amc"), ("07-walk.asf", "07_05-walk.amc")]
)
def test_info_speed_is_the_recorded_root_speed(mocap_dir, capsys, asf, amc):
    cmu = mocap_dir / "cmu"
    expected = recorded_root_speed(cmu / asf, cmu / amc)
    assert 0.8 < expected < 1.8  # m/s: an adult's walk
    cli.main(["info", "--asf", str(cmu / asf), "--amc", str(cmu / amc)])
    printed = float(re.search(r"pelvis speed:\s+([0-9.]+) m/s", capsys.readouterr().out).group(1))
    assert printed == pytest.approx(expected, abs=0.005 + 1e-9)
