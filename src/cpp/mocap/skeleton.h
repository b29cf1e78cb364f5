// Forward kinematics of an Acclaim (ASF) skeleton driven by AMC motion.
#pragma once

#include <vector>

namespace gail_fast {

// A skeleton flattened for the kernel; bone 0 is the root and parent[b] < b otherwise.
struct SkeletonArrays {
  int nbone = 0;
  std::vector<int> parent;                   // (nbone,)
  std::vector<double> axis;                  // (nbone, 3, 3) rotation C of each bone's local frame
  std::vector<double> offset;                // (nbone, 3) length * direction, rest-pose world frame
  std::vector<int> dof_axis;                 // (nbone, 3) axis (0 x, 1 y, 2 z) of each rotation dof, in
                                             // the order the rotations apply; -1 where unused
  std::vector<int> dof_column;               // (nbone, 3) motion column of each dof, -1 where unused
  int translation_column[3] = {-1, -1, -1};  // root tx, ty, tz columns
};

// positions (nframe, nbone, 3): the end of every bone (the root: its translation) at
// every frame of motion (nframe, ncolumn), angles in radians, lengths in the offsets' unit.
// With C_b the bone's axis frame and M_b its motion rotation, the world rotation is
// R_b = R_parent C_b M_b C_b^T (R_root = C_0 M_0 C_0^T) and p_b = p_parent + R_b offset_b.
void forward_kinematics(const SkeletonArrays& skeleton, const double* motion, int nframe, int ncolumn,
                        double* positions);

}  // namespace gail_fast
