#include "resources-fit/resources_fit.hpp"

#include "common/resource_math.hpp"

namespace berth::scheduler {

sdk::FilterStatus ResourcesFit::filter(const sdk::PodSpec &pod,
                                       const sdk::NodeInfo &node) noexcept {
  if (node.allocated.pods + 1 > node.capacity.pods) {
    return {"too many pods"};
  }
  if (pod.requests.cpu_millis > free_cpu(node)) {
    return {"insufficient cpu"};
  }
  if (pod.requests.memory_bytes > free_memory(node)) {
    return {"insufficient memory"};
  }
  for (const auto &[name, amount] : pod.requests.extended) {
    if (amount > extended_of(node.capacity, name) - extended_of(node.allocated, name)) {
      return {"insufficient " + name};
    }
  }
  return {};
}

} // namespace berth::scheduler
