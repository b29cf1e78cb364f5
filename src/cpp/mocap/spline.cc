#include "mocap/spline.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>
#include <vector>

namespace gail_fast {

SplineBoundary parse_spline_boundary(const std::string& name) {
  if (name == "not-a-knot") return SplineBoundary::kNotAKnot;
  if (name == "natural") return SplineBoundary::kNatural;
  throw std::invalid_argument("boundary must be 'not-a-knot' or 'natural', got '" + name + "'");
}

namespace {

// Adds multiples of period to y[k] so that no step between knots exceeds period / 2.
void unwrap(double* y, int nknot, int nchannel, double period) {
  for (int c = 0; c < nchannel; ++c) {
    double shift = 0.0;
    double previous = y[c];
    for (int k = 1; k < nknot; ++k) {
      double& v = y[static_cast<std::size_t>(k) * nchannel + c];
      const double raw = v;
      shift -= period * std::round((raw - previous) / period);
      previous = raw;
      v = raw + shift;
    }
  }
}

}  // namespace

void cubic_spline(const double* x, const double* y_in, int nknot, int nchannel, const double* xq, int nquery,
                  SplineBoundary boundary, double period, double* value, double* deriv) {
  const std::size_t nc = static_cast<std::size_t>(nchannel);
  std::vector<double> unwrapped;
  const double* y = y_in;
  if (period > 0) {
    unwrapped.assign(y_in, y_in + nc * nknot);
    unwrap(unwrapped.data(), nknot, nchannel, period);
    y = unwrapped.data();
  }

  const int n = nknot;
  // Scratch the size of the data, left uninitialised: every entry is written first.
  std::unique_ptr<double[]> slope_buf(new double[nc * (n - 1)]), s_buf(new double[nc * n]);
  double* slope = slope_buf.get();
  double* s = s_buf.get();
  std::vector<double> dx(n - 1);
  for (int i = 0; i + 1 < n; ++i) {
    dx[i] = x[i + 1] - x[i];
    const double inv = 1.0 / dx[i];
    const double* y0 = y + i * nc;
    const double* y1 = y0 + nc;
    double* m = &slope[i * nc];
    for (std::size_t c = 0; c < nc; ++c) m[c] = (y1[c] - y0[c]) * inv;
  }

  // Knot slopes s from a tridiagonal system (lower a, diagonal b, upper u, right side r),
  // in the formulation scipy's CubicSpline uses.
  if (n == 2) {
    for (std::size_t c = 0; c < nc; ++c) s[c] = s[nc + c] = slope[c];
  } else {
    std::vector<double> a(n, 0.0), b(n), u(n, 0.0);
    double* r = s;  // solved in place
    for (int i = 1; i + 1 < n; ++i) {
      a[i] = dx[i];
      b[i] = 2.0 * (dx[i - 1] + dx[i]);
      u[i] = dx[i - 1];
      const double* m0 = &slope[(i - 1) * nc];
      const double* m1 = m0 + nc;
      double* ri = &r[i * nc];
      for (std::size_t c = 0; c < nc; ++c) ri[c] = 3.0 * (dx[i] * m0[c] + dx[i - 1] * m1[c]);
    }
    const int m = n - 1;
    if (boundary == SplineBoundary::kNatural) {
      b[0] = 2.0, u[0] = 1.0, a[m] = 1.0, b[m] = 2.0;
      for (std::size_t c = 0; c < nc; ++c) {
        r[c] = 3.0 * slope[c];
        r[m * nc + c] = 3.0 * slope[(m - 1) * nc + c];
      }
    } else if (n == 3) {  // not-a-knot through three points: the parabola
      b[0] = 1.0, u[0] = 1.0, a[m] = 1.0, b[m] = 1.0;
      for (std::size_t c = 0; c < nc; ++c) {
        r[c] = 2.0 * slope[c];
        r[m * nc + c] = 2.0 * slope[nc + c];
      }
    } else {
      const double d0 = x[2] - x[0], d1 = x[n - 1] - x[n - 3];
      b[0] = dx[1], u[0] = d0;
      a[m] = d1, b[m] = dx[n - 3];
      for (std::size_t c = 0; c < nc; ++c) {
        r[c] = ((dx[0] + 2.0 * d0) * dx[1] * slope[c] + dx[0] * dx[0] * slope[nc + c]) / d0;
        r[m * nc + c] = (dx[n - 2] * dx[n - 2] * slope[(n - 3) * nc + c] +
                         (2.0 * d1 + dx[n - 2]) * dx[n - 3] * slope[(n - 2) * nc + c]) /
                        d1;
      }
    }
    // Thomas algorithm: the elimination depends on the knots only, so every channel
    // shares it.
    for (int i = 1; i < n; ++i) {
      const double w = a[i] / b[i - 1];
      b[i] -= w * u[i - 1];
      double* ri = &r[i * nc];
      const double* rp = ri - nc;
      for (std::size_t c = 0; c < nc; ++c) ri[c] -= w * rp[c];
    }
    const double inv_last = 1.0 / b[m];
    for (std::size_t c = 0; c < nc; ++c) r[m * nc + c] *= inv_last;
    for (int i = m - 1; i >= 0; --i) {
      const double inv = 1.0 / b[i];
      double* ri = &r[i * nc];
      const double* rn = ri + nc;
      for (std::size_t c = 0; c < nc; ++c) ri[c] = (ri[c] - u[i] * rn[c]) * inv;
    }
  }

  for (int q = 0; q < nquery; ++q) {
    // The piece that holds xq[q]; the end pieces extend beyond the knots.
    int i = static_cast<int>(std::upper_bound(x, x + n, xq[q]) - x) - 1;
    i = std::clamp(i, 0, n - 2);
    const double inv_h = 1.0 / dx[i], t = xq[q] - x[i];
    const double* s0 = &s[i * nc];
    const double* s1 = s0 + nc;
    const double* m0 = &slope[i * nc];
    const double* y0 = y + i * nc;
    double* v = value + q * nc;
    for (std::size_t c = 0; c < nc; ++c) {
      const double k = (s0[c] + s1[c] - 2.0 * m0[c]) * inv_h;
      const double c3 = k * inv_h, c2 = (m0[c] - s0[c]) * inv_h - k;
      v[c] = y0[c] + t * (s0[c] + t * (c2 + t * c3));
    }
    if (deriv) {
      double* d = deriv + q * nc;
      for (std::size_t c = 0; c < nc; ++c) {
        const double k = (s0[c] + s1[c] - 2.0 * m0[c]) * inv_h;
        const double c3 = k * inv_h, c2 = (m0[c] - s0[c]) * inv_h - k;
        d[c] = s0[c] + t * (2.0 * c2 + 3.0 * t * c3);
      }
    }
  }
}

}  // namespace gail_fast
