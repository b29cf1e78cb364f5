// Cubic splines through many channels sampled at the same knots.
#pragma once

#include <string>

namespace gail_fast {

enum class SplineBoundary { kNotAKnot, kNatural };

// Parses "not-a-knot" or "natural"; throws std::invalid_argument otherwise.
SplineBoundary parse_spline_boundary(const std::string& name);

// Fits a cubic spline through y (nknot, nchannel) at strictly increasing knots x (nknot)
// and evaluates it, with its first derivative, at xq (nquery); outside the knots the end
// pieces extrapolate, as scipy's CubicSpline does. value and deriv are (nquery, nchannel);
// deriv may be null. If period > 0 each channel is unwrapped first (a jump of more than
// period / 2 between knots is taken as a wrap), so angles crossing +-180 degrees do not fold.
// Needs nknot >= 2; two knots give a line, three with not-a-knot a parabola.
void cubic_spline(const double* x, const double* y, int nknot, int nchannel, const double* xq, int nquery,
                  SplineBoundary boundary, double period, double* value, double* deriv);

}  // namespace gail_fast
