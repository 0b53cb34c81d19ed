#include "resources-fit/resources_fit.hpp"

namespace berth::scheduler {

sdk::FilterStatus ResourcesFit::filter(const sdk::PodSpec &pod,
                                       const sdk::NodeInfo &node) noexcept {
  const auto missing = sdk::missing_resource(pod.requests, node);
  if (missing.empty()) {
    return {};
  }
  return {missing == "pods" ? std::string("too many pods")
                            : "insufficient " + std::string(missing)};
}

} // namespace berth::scheduler
