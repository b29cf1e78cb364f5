"""Motion capture: CMU ASF/AMC parsing, forward kinematics, spline resampling, pose features."""

from gail_fast.mocap.asf_amc import Bone, MocapParseError, Motion, Skeleton, parse_amc, parse_asf
from gail_fast.mocap.kinematics import forward_kinematics
from gail_fast.mocap.spline import cubic_spline, resample

__all__ = [
    "Bone",
    "MocapParseError",
    "Motion",
    "Skeleton",
    "parse_amc",
    "parse_asf",
    "forward_kinematics",
    "cubic_spline",
    "resample",
]
