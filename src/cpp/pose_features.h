// Pose features z_t (named so as not to shadow glibc's <features.h>), one kernel for simulated humanoids and motion-capture clips.
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

// points (6, 3); heading: pelvis yaw in radians; pelvis_past (3,): the pelvis nstep_past
// steps ago (ignored when nstep_past == 0: zero displacement); out (kPoseFeatures,).
void pose_features(const double* points, double heading, double scale, const double* pelvis_past, int nstep_past,
                   double* out);

// Features of a clip: points (nframe, 6, 3), heading (nframe,), out (nframe,
// kPoseFeatures); frame t's displacement term looks back min(t, k) frames.
void clip_features(const double* points, const double* heading, int nframe, double scale, int k, double* out);

// Yaw of a frame whose left direction (e.g. right hip to left hip) is left: the heading
// of forward = left x up, projected on the ground.
double heading_from_left(const double* left);

}  // namespace gail_fast
