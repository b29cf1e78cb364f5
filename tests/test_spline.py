"""The C++ cubic spline against scipy's CubicSpline; angle unwrapping; bad input."""

import numpy as np
import pytest
from scipy.interpolate import CubicSpline

from gail_fast import _core
from gail_fast.mocap import cubic_spline, resample


@pytest.mark.parametrize("boundary", ["not-a-knot", "natural"])
@pytest.mark.parametrize("nknot", [2, 3, 4, 5, 50])
def test_matches_scipy(boundary, nknot):
    rng = np.random.default_rng(nknot)
    x = np.cumsum(rng.uniform(0.1, 1.0, nknot))
    y = rng.normal(size=(nknot, 7))
    xq = np.linspace(x[0] - 0.5, x[-1] + 0.5, 301)  # extrapolates at both ends too
    ref = CubicSpline(x, y, bc_type=boundary)
    value, deriv = cubic_spline(x, y, xq, boundary)
    np.testing.assert_allclose(value, ref(xq), rtol=0, atol=1e-9)
    np.testing.assert_allclose(deriv, ref(xq, 1), rtol=0, atol=1e-9)


def test_matches_scipy_on_mocap_resampling(mocap_dir):
    from gail_fast import mocap

    skeleton = mocap.parse_asf(mocap_dir / "cmu" / "02.asf")
    motion = mocap.parse_amc(mocap_dir / "cmu" / "02_01.amc", skeleton)
    channels = np.concatenate([v for v in motion.values.values()], axis=1)
    t = np.arange(motion.nframe) / 120.0
    tq = np.arange(0, t[-1], 0.015)
    np.testing.assert_allclose(cubic_spline(t, channels, tq)[0], CubicSpline(t, channels)(tq), rtol=0, atol=1e-9)
    resampled = resample(channels, 120.0, 1 / 0.015)
    assert len(resampled) == int(t[-1] / 0.015 + 1e-9) + 1  # the whole clip, endpoints included
    np.testing.assert_allclose(resampled, CubicSpline(t, channels)(np.arange(len(resampled)) * 0.015), atol=1e-9)


def test_angles_stay_continuous_through_a_wrap():
    """An angle turning steadily through 180 degrees, stored wrapped to (-180, 180]."""
    t = np.arange(40) / 120.0
    true = 150.0 + 600.0 * t  # degrees, crosses 180 at t = 0.05
    wrapped = (true + 180.0) % 360.0 - 180.0
    tq = np.linspace(0, t[-1], 500)
    value, deriv = cubic_spline(t, wrapped, tq, period=360.0)
    np.testing.assert_allclose(value, 150.0 + 600.0 * tq, atol=1e-9)
    np.testing.assert_allclose(deriv, 600.0, atol=1e-7)
    # without unwrapping the fit swings through zero between two knots, up to a half
    # turn away from the true angle: the flaw the period avoids
    naive, _ = cubic_spline(t, wrapped, tq)
    error = np.abs((naive - (150.0 + 600.0 * tq) + 180.0) % 360.0 - 180.0)
    assert error.max() > 90


def test_bad_input():
    x, y = np.arange(4.0), np.zeros((4, 2))
    out = np.empty((3, 2))
    with pytest.raises(ValueError, match="strictly increasing"):
        cubic_spline(np.array([0.0, 1.0, 1.0, 2.0]), y, np.zeros(3))
    with pytest.raises(ValueError, match="at least 2 knots"):
        cubic_spline(np.zeros(1), np.zeros((1, 2)), np.zeros(3))
    with pytest.raises(ValueError, match="boundary must be"):
        cubic_spline(x, y, np.zeros(3), boundary="clamped")
    with pytest.raises(ValueError, match="y must be finite"):
        cubic_spline(x, np.full((4, 2), np.nan), np.zeros(3))
    with pytest.raises(ValueError, match=r"y must be \(nknot, nchannel\)"):
        cubic_spline(x, np.zeros((5, 2)), np.zeros(3))
    with pytest.raises(TypeError, match="y must have dtype float64"):
        _core.cubic_spline(x, y.astype(np.float32), np.zeros(3), "natural", 0.0, out)
    with pytest.raises(ValueError, match=r"value must have shape \(3, 2\)"):
        _core.cubic_spline(x, y, np.zeros(3), "natural", 0.0, np.empty((2, 2)))
    with pytest.raises(ValueError, match="rates must be positive"):
        resample(y, 0.0, 60.0)
