#include "site_kinematics.h"

#include <algorithm>
#include <stdexcept>

#include "mjcf.h"

namespace gail_fast {

SiteKinematics::SiteKinematics(const std::string& xml_path, const std::vector<std::string>& sites, int nthread)
    : pool_(nthread) {
  model_ = load_mjcf(xml_path);
  try {
    for (const auto& name : sites) {
      const int id = mj_name2id(model_, mjOBJ_SITE, name.c_str());
      if (id < 0) throw std::invalid_argument("no site named '" + name + "' in '" + xml_path + "'");
      site_ids_.push_back(id);
    }
    thread_data_ = make_thread_data(model_, pool_.nthread(), xml_path);
  } catch (...) {
    mj_deleteModel(model_);
    throw;
  }
}

SiteKinematics::~SiteKinematics() {
  for (auto* d : thread_data_) mj_deleteData(d);
  mj_deleteModel(model_);
}

void SiteKinematics::compute(const double* qpos, const double* qvel, long n, const SiteMotion& out) {
  std::lock_guard<std::mutex> lock(busy_);
  const mjModel* m = model_;
  const int ns = nsite();
  // Rows in chunks, so the atomic counter is not touched per row of a large batch.
  constexpr long kChunk = 64;
  const int nchunk = static_cast<int>((n + kChunk - 1) / kChunk);
  pool_.parallel_for(nchunk, [&](int chunk, int thread) {
    mjData* d = thread_data_[thread];
    const long end = std::min(n, (chunk + 1) * kChunk);
    for (long i = chunk * kChunk; i < end; ++i) {
      std::copy_n(qpos + i * m->nq, m->nq, d->qpos);
      std::copy_n(qvel + i * m->nv, m->nv, d->qvel);
      mj_kinematics(m, d);
      mj_comPos(m, d);
      mj_comVel(m, d);
      for (int k = 0; k < ns; ++k) {
        const int s = site_ids_[k];
        const long row = i * ns + k;
        std::copy_n(d->site_xpos + 3 * s, 3, out.pos + 3 * row);
        std::copy_n(d->site_xmat + 9 * s, 9, out.xmat + 9 * row);
        mjtNum velocity[6];  // angular, then linear; world frame, at the site
        mj_objectVelocity(m, d, mjOBJ_SITE, s, velocity, 0);
        std::copy_n(velocity, 3, out.angvel + 3 * row);
        std::copy_n(velocity + 3, 3, out.linvel + 3 * row);
      }
    }
  });
}

}  // namespace gail_fast
