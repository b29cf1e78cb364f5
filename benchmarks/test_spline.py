"""Spline fit + resample of a 10 s, 62-channel clip at 120 Hz to the 66.67 Hz control
rate: the C++ kernel beside scipy's CubicSpline, in one group."""

import numpy as np
import pytest
from scipy.interpolate import CubicSpline

from gail_fast.mocap import cubic_spline


@pytest.fixture(scope="module")
def clip():
    rng = np.random.default_rng(0)
    t = np.arange(1200) / 120.0
    y = np.cumsum(rng.normal(size=(1200, 62)), axis=0)
    tq = np.arange(0, t[-1], 0.015)
    return t, y, tq


def test_gail_fast_spline(benchmark, clip):
    benchmark.group = "spline 10 s x 62 channels"
    t, y, tq = clip
    benchmark(cubic_spline, t, y, tq)


def test_scipy_cubic_spline(benchmark, clip):
    benchmark.group = "spline 10 s x 62 channels"
    t, y, tq = clip
    benchmark(lambda: CubicSpline(t, y)(tq))
