"""Spline fit + resample of a 10 s, 62-channel clip at 120 Hz to the 66.67 Hz control
rate (values, as the conversion needs): the C++ kernel beside scipy's CubicSpline."""

import numpy as np
import pytest
from scipy.interpolate import CubicSpline

from gail_fast.mocap import resample


@pytest.fixture(scope="module")
def clip():
    rng = np.random.default_rng(0)
    t = np.arange(1200) / 120.0
    y = np.cumsum(rng.normal(size=(1200, 62)), axis=0)
    tq = np.arange(int(t[-1] / 0.015 + 1e-9) + 1) * 0.015
    np.testing.assert_allclose(resample(y, 120.0, 1 / 0.015), CubicSpline(t, y)(tq), atol=1e-9)
    return t, y, tq


def test_gail_fast_spline(benchmark, clip):
    benchmark.group = "spline 10 s x 62 channels"
    _, y, _ = clip
    benchmark(resample, y, 120.0, 1 / 0.015)


def test_scipy_cubic_spline(benchmark, clip):
    benchmark.group = "spline 10 s x 62 channels"
    t, y, tq = clip
    benchmark(lambda: CubicSpline(t, y)(tq))
