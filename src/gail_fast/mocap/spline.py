"""Cubic-spline resampling of many channels at once (the C++ kernel)."""

from __future__ import annotations

import numpy as np

from gail_fast import _core


def _spline(x, y, xq, boundary: str, period: float | None, derivative: bool):
    y = np.asarray(y, dtype=np.float64)
    one_channel = y.ndim == 1
    y2 = np.ascontiguousarray(y[:, None] if one_channel else y)
    x = np.ascontiguousarray(x, dtype=np.float64)
    xq = np.ascontiguousarray(np.atleast_1d(xq), dtype=np.float64)
    if y2.ndim != 2 or x.ndim != 1 or y2.shape[0] != x.shape[0]:
        raise ValueError(f"y must be (nknot, nchannel) with nknot = len(x) = {x.shape[0]}, got {y.shape}")
    value = np.empty((len(xq), y2.shape[1]))
    deriv = np.empty_like(value) if derivative else None
    _core.cubic_spline(x, y2, xq, boundary, float(period or 0.0), value, deriv)
    if one_channel:
        return value[:, 0], None if deriv is None else deriv[:, 0]
    return value, deriv


def cubic_spline(
    x: np.ndarray,
    y: np.ndarray,
    xq: np.ndarray,
    boundary: str = "not-a-knot",
    period: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Fits a cubic spline through `y` `(nknot, nchannel)` at knots `x` and evaluates it.

    Args:
        x: `(nknot,)` strictly increasing knots, nknot >= 2.
        y: `(nknot, nchannel)` values (or `(nknot,)` for one channel).
        xq: `(nquery,)` where to evaluate; outside the knots the end pieces extrapolate.
        boundary: "not-a-knot" (scipy's default) or "natural".
        period: angles: unwrap each channel with this period (360 for degrees, 2 pi for
            radians) before fitting, so that a crossing of +-180 degrees does not fold.

    Returns:
        (values, first derivatives), each `(nquery, nchannel)` (or `(nquery,)`).
    """
    return _spline(x, y, xq, boundary, period, derivative=True)


def resample(values: np.ndarray, rate: float, new_rate: float, period: float | None = None) -> np.ndarray:
    """Resamples `(nframe, nchannel)` values recorded at `rate` Hz to `new_rate` Hz over the
    same duration, by not-a-knot cubic spline (values only)."""
    if rate <= 0 or new_rate <= 0:
        raise ValueError(f"rates must be positive, got {rate} and {new_rate}")
    n = len(values)
    t = np.arange(n) / rate
    tq = np.arange(int(np.floor(t[-1] * new_rate + 1e-9)) + 1) / new_rate
    return _spline(t, values, tq, "not-a-knot", period, derivative=False)[0]
