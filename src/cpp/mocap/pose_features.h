// Pose features z_t (named so as not to shadow glibc's <features.h>), one kernel for simulated humanoids and
// motion-capture clips.
//
// A pose is six points, world frame, z up: pelvis, left foot, right foot, left hand,
// right hand, head. Its features are the five end effectors relative to the pelvis and
// the pelvis displacement per step over the last k steps, both rotated into the pelvis
// heading frame (yaw only) and divided by the body's size, so that bodies of different
// sizes facing different ways compare.
#pragma once

namespace gail_fast {

constexpr int kPosePoints = 6;
constexpr int kPoseFeatures = 3 * (kPosePoints - 1) + 3;

// points (6, 3); forward (2,): the ground-plane direction the pelvis faces, any length
// (zero means +x); pelvis_past (3,): the pelvis nstep_past steps ago (ignored when
// nstep_past == 0: zero displacement); out (kPoseFeatures,). A direction rather than a
// yaw angle, because both callers have one and sin/cos would be half the kernel's cost.
void pose_features(const double* points, const double* forward, double scale, const double* pelvis_past, int nstep_past,
                   double* out);

// The same for n independent poses: points (n, 6, 3), forward (n, 2), pelvis_past (n, 3),
// nstep_past (n,), out (n, kPoseFeatures); faster than n calls of pose_features.
void batch_features(const double* points, const double* forward, const double* pelvis_past, const int* nstep_past,
                    long n, double scale, double* out);

// Features of a clip: points (nframe, 6, 3), forward (nframe, 2), out (nframe,
// kPoseFeatures); frame t's displacement term looks back min(t, k) frames.
void clip_features(const double* points, const double* forward, int nframe, double scale, int k, double* out);

}  // namespace gail_fast
