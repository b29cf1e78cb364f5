#include "mocap/pose_features.h"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>

namespace gail_fast {
namespace {

// The rotation by minus the heading, with the scale folded in: (c, s) = forward / (|forward| * scale),
// so the rotation brings the forward direction onto +x; inv = 1 / scale; inv_n = 1 / n.
// The divider is the kernel's bottleneck, so |forward|, the scale and n share one
// division, and a batch computes these for many poses in one loop the compiler vectorises.
inline void heading_frame(double fx, double fy, double scale, int nstep_past, double& c, double& s, double& inv,
                          double& inv_n) {
  // Branch-free, so that a batch's loop of these vectorises.
  const double norm2 = fx * fx + fy * fy;
  const double facing = norm2 > 0 ? 1.0 : 0.0;  // a zero direction means +x
  const double past = nstep_past;               // as a double: mixed int/double selects do not vectorise
  const double n = std::max(past, 1.0);
  const double norm = std::sqrt(norm2 + (1.0 - facing));
  const double q = 1.0 / (norm * scale * n);
  const double r = q * n;
  c = (fx + (1.0 - facing)) * r;
  s = fy * r;
  inv = norm * r;
  inv_n = (past > 0 ? 1.0 : 0.0) * q * norm * scale;  // zero: no displacement without a past
}

// Rotates and scales the five end effectors and the displacement. The ground-plane
// pair of each point is one SSE2 register: (x', y') = c (dx, dy) + s (dy, -dx).
inline void apply_frame(const double* p, const double* pelvis_past, double c, double s, double inv, double inv_n,
                        double* __restrict out) {
  using Pair = Eigen::Array2d;
  const Pair origin = Pair::Map(p);
  const Pair sign(s, -s);
  for (int k = 1; k < kPosePoints; ++k) {
    const Pair d = Pair::Map(p + 3 * k) - origin;
    Pair::Map(out + 3 * k - 3) = c * d + sign * d.reverse();
    out[3 * k - 1] = (p[3 * k + 2] - p[2]) * inv;
  }
  double* d = out + 3 * (kPosePoints - 1);
  if (inv_n == 0.0) {
    d[0] = d[1] = d[2] = 0.0;
    return;
  }
  const Pair step = (origin - Pair::Map(pelvis_past)) * inv_n;
  Pair::Map(d) = c * step + sign * step.reverse();
  d[2] = (p[2] - pelvis_past[2]) * (inv * inv_n);
}

}  // namespace

void pose_features(const double* p, const double* forward, double scale, const double* pelvis_past, int nstep_past,
                   double* out) {
  double c, s, inv, inv_n;
  heading_frame(forward[0], forward[1], scale, nstep_past, c, s, inv, inv_n);
  apply_frame(p, pelvis_past, c, s, inv, inv_n, out);
}

// An AVX2 clone, picked at load time where the CPU has it: the heading pass then runs four
// poses per instruction (the wheel-less build cannot assume -march=native).
__attribute__((target_clones("avx2", "default"))) void batch_features(const double* points, const double* forward,
                                                                      const double* pelvis_past, const int* nstep_past,
                                                                      long n, double scale, double* out) {
  constexpr long kChunk = 64;  // frames of a chunk stay in L1 between the two passes
  double c[kChunk], s[kChunk], inv[kChunk], inv_n[kChunk];
  for (long start = 0; start < n; start += kChunk) {
    const long m = std::min(kChunk, n - start);
    for (long i = 0; i < m; ++i)
      heading_frame(forward[2 * (start + i)], forward[2 * (start + i) + 1], scale, nstep_past[start + i], c[i], s[i],
                    inv[i], inv_n[i]);
    for (long i = 0; i < m; ++i) {
      const long j = start + i;
      apply_frame(points + 3 * kPosePoints * j, pelvis_past + 3 * j, c[i], s[i], inv[i], inv_n[i],
                  out + kPoseFeatures * j);
    }
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
