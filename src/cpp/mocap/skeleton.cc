#include "mocap/skeleton.h"

#include <Eigen/Dense>
#include <cmath>

namespace gail_fast {

void forward_kinematics(const SkeletonArrays& sk, const double* motion, int nframe, int ncolumn, double* positions) {
  using Mat = Eigen::Matrix3d;
  using Vec = Eigen::Vector3d;
  const int nbone = sk.nbone;
  std::vector<Mat> axis(nbone), world(nbone);
  std::vector<Vec> pos(nbone);
  for (int b = 0; b < nbone; ++b)
    axis[b] = Eigen::Map<const Eigen::Matrix<double, 3, 3, Eigen::RowMajor>>(&sk.axis[9 * b]);

  for (int f = 0; f < nframe; ++f) {
    const double* row = motion + static_cast<std::size_t>(f) * ncolumn;
    for (int b = 0; b < nbone; ++b) {
      // Rotations apply in dof order, so each later one multiplies from the left.
      Mat m = Mat::Identity();
      for (int k = 0; k < 3; ++k) {
        const int ax = sk.dof_axis[3 * b + k];
        if (ax < 0) continue;
        m = Eigen::AngleAxisd(row[sk.dof_column[3 * b + k]], Vec::Unit(ax)).toRotationMatrix() * m;
      }
      const Mat local = axis[b] * m * axis[b].transpose();
      if (b == 0) {
        world[0] = local;
        for (int k = 0; k < 3; ++k) pos[0][k] = sk.translation_column[k] >= 0 ? row[sk.translation_column[k]] : 0.0;
      } else {
        const int p = sk.parent[b];
        world[b] = world[p] * local;
        pos[b] = pos[p] + world[b] * Vec(sk.offset[3 * b], sk.offset[3 * b + 1], sk.offset[3 * b + 2]);
      }
      double* out = positions + (static_cast<std::size_t>(f) * nbone + b) * 3;
      out[0] = pos[b][0], out[1] = pos[b][1], out[2] = pos[b][2];
    }
  }
}

}  // namespace gail_fast
