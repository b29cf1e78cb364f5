#include "mjcf.h"

#include <exception>
#include <stdexcept>

namespace gail_fast {

mjModel* load_mjcf(const std::string& xml_path) {
  char error[1024] = "";
  mjModel* m = nullptr;
  try {
    m = mj_loadXML(xml_path.c_str(), nullptr, error, sizeof(error));
  } catch (const std::exception& e) {
    throw std::invalid_argument("cannot load MJCF '" + xml_path + "': " + e.what());
  }
  if (!m) throw std::invalid_argument("cannot load MJCF '" + xml_path + "': " + error);
  return m;
}

std::vector<mjData*> make_thread_data(const mjModel* m, int n, const std::string& xml_path) {
  std::vector<mjData*> data;
  for (int k = 0; k < n; ++k) {
    mjData* d = mj_makeData(m);
    if (!d) {
      for (auto* made : data) mj_deleteData(made);
      throw std::runtime_error("mj_makeData failed for '" + xml_path + "'");
    }
    data.push_back(d);
  }
  return data;
}

}  // namespace gail_fast
