#include "pose_features.h"

#include <cmath>

namespace gail_fast {

void pose_features(const double* p, const double* forward, double scale, const double* pelvis_past, int nstep_past,
                   double* out) {
  // Rotating by minus the heading brings the forward direction onto +x.
  const double norm2 = forward[0] * forward[0] + forward[1] * forward[1];
  const double inv_norm = norm2 > 0 ? 1.0 / std::sqrt(norm2) : 0.0;
  const double c = norm2 > 0 ? forward[0] * inv_norm : 1.0, s = forward[1] * inv_norm;
  const double inv = 1.0 / scale;
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

void clip_features(const double* points, const double* forward, int nframe, double scale, int k, double* out) {
  for (int t = 0; t < nframe; ++t) {
    const int back = t < k ? t : k;
    pose_features(points + 3 * kPosePoints * t, forward + 2 * t, scale, points + 3 * kPosePoints * (t - back), back,
                  out + kPoseFeatures * t);
  }
}

}  // namespace gail_fast
