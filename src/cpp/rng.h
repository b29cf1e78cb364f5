// A small, fast, portable generator: the same seed gives the same numbers on any
// platform and standard library, which std::*_distribution does not promise.
#pragma once

#include <cmath>
#include <cstdint>
#include <stdexcept>

namespace gail_fast {

class Rng {
 public:
  explicit Rng(std::uint64_t seed = 0) { this->seed(seed); }

  // xoshiro256** state filled by splitmix64, as its authors recommend.
  void seed(std::uint64_t seed) {
    for (auto& s : s_) {
      seed += 0x9e3779b97f4a7c15ULL;
      std::uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      s = z ^ (z >> 31);
    }
  }

  std::uint64_t next() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // The generator's whole state (4 words), for a checkpoint. An all-zero state is
  // xoshiro's fixed point (it would give zeros forever); set() refuses it.
  void get(std::uint64_t* state) const {
    for (int k = 0; k < 4; ++k) state[k] = s_[k];
  }
  void set(const std::uint64_t* state) {
    if (!valid_state(state)) throw std::invalid_argument("an all-zero xoshiro256** state never leaves zero");
    for (int k = 0; k < 4; ++k) s_[k] = state[k];
  }
  static bool valid_state(const std::uint64_t* state) { return (state[0] | state[1] | state[2] | state[3]) != 0; }

  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double uniform(double low, double high) { return low + (high - low) * uniform(); }

  // Standard normal by Box-Muller; 1 - u keeps the logarithm finite.
  double normal() {
    const double u1 = 1.0 - uniform();
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
};

}  // namespace gail_fast
