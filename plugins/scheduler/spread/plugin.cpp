#include "spread/least_allocated.hpp"

namespace berth::scheduler {
namespace {

constexpr berth_option_spec kOptions[] = {
    {"cpu_weight", BERTH_OPTION_INT, "1", nullptr, "weight of cpu in the score, 0 to 100"},
    {"memory_weight", BERTH_OPTION_INT, "1", nullptr, "weight of memory in the score, 0 to 100"},
};

} // namespace

sdk::Result<std::unique_ptr<LeastAllocated>> LeastAllocated::create(sdk::HostServices & /*host*/,
                                                                    const nlohmann::json &options) {
  const auto cpu = options.at("cpu_weight").get<std::int64_t>();
  const auto memory = options.at("memory_weight").get<std::int64_t>();
  if (cpu < 0 || cpu > 100 || memory < 0 || memory > 100 || cpu + memory == 0) {
    return sdk::make_error(sdk::Errc::invalid_argument, "weights must be 0 to 100 and not both 0",
                           "cpu_weight, memory_weight");
  }
  return std::make_unique<LeastAllocated>(cpu, memory);
}

} // namespace berth::scheduler

BERTH_PLUGIN(berth::scheduler::LeastAllocated, "spread", "1.0.0",
             "prefers the node with the most room left (spreads pods)", berth::scheduler::kOptions)
