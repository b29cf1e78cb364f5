#include "pose_features.h"

#include <cmath>

namespace gail_fast {

void pose_features(const double* p, double heading, double scale, const double* pelvis_past, int nstep_past,
                   double* out) {
  // Rotating by -heading about z brings the pelvis' forward direction onto +x.
  const double c = std::cos(heading), s = std::sin(heading), inv = 1.0 / scale;
  auto put = [&](double dx, double dy, double dz, double* o) {
    o[0] = (c * dx + s * dy) * inv;
    o[1] = (-s * dx + c * dy) * inv;
    o[2] = dz * inv;
  };
  for (int k = 1; k < kPosePoints; ++k)
    put(p[3 * k] - p[0], p[3 * k + 1] - p[1], p[3 * k + 2] - p[2], out + 3 * (k - 1));
  double* d = out + 3 * (kPosePoints - 1);
  if (nstep_past > 0) {
    const double n = nstep_past;
    put((p[0] - pelvis_past[0]) / n, (p[1] - pelvis_past[1]) / n, (p[2] - pelvis_past[2]) / n, d);
  } else {
    d[0] = d[1] = d[2] = 0.0;
  }
}

void clip_features(const double* points, const double* heading, int nframe, double scale, int k, double* out) {
  for (int t = 0; t < nframe; ++t) {
    const int back = t < k ? t : k;
    pose_features(points + 3 * kPosePoints * t, heading[t], scale, points + 3 * kPosePoints * (t - back), back,
                  out + kPoseFeatures * t);
  }
}

double heading_from_left(const double* left) {
  // forward = left x z = (left_y, -left_x, 0)
  return std::atan2(-left[0], left[1]);
}

}  // namespace gail_fast
