"""Pose features of a batch of 1024 poses: the C++ kernel beside a vectorised numpy
version given the same inputs (facing directions, no trigonometry), in one group."""

import numpy as np
import pytest

from gail_fast import _core

N = 1024


@pytest.fixture(scope="module")
def poses():
    rng = np.random.default_rng(0)
    points = rng.normal(size=(N, 6, 3))
    heading = rng.uniform(-np.pi, np.pi, N)
    forward = np.stack([np.cos(heading), np.sin(heading)], 1) * rng.uniform(0.5, 2.0, (N, 1))
    past = rng.normal(size=(N, 3))
    back = np.full(N, 10, dtype=np.int32)
    return points, forward, past, back


def numpy_features(points, forward, scale, past, back):
    unit = forward / np.linalg.norm(forward, axis=1, keepdims=True)
    c, s = unit[:, :1], unit[:, 1:]
    rel = points[:, 1:] - points[:, :1]
    x, y, z = rel[..., 0], rel[..., 1], rel[..., 2]
    d = (points[:, 0] - past) / back[:, None]
    out = np.empty((len(points), 18))
    out[:, 0:15:3], out[:, 1:15:3], out[:, 2:15:3] = c * x + s * y, -s * x + c * y, z
    out[:, 15], out[:, 16], out[:, 17] = (
        c[:, 0] * d[:, 0] + s[:, 0] * d[:, 1],
        -s[:, 0] * d[:, 0] + c[:, 0] * d[:, 1],
        d[:, 2],
    )
    return out / scale


def test_gail_fast_features(benchmark, poses):
    benchmark.group = "pose features, 1024 poses"
    out = np.empty((N, _core.POSE_FEATURES))
    benchmark(_core.batch_features, *poses[:2], 1.7, *poses[2:], out)
    np.testing.assert_allclose(out, numpy_features(poses[0], poses[1], 1.7, *poses[2:]), atol=1e-12)


def test_numpy_features(benchmark, poses):
    benchmark.group = "pose features, 1024 poses"
    benchmark(numpy_features, poses[0], poses[1], 1.7, *poses[2:])
