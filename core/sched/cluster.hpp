// The scheduler's node snapshot: capacity, what is allocated and which pods
// sit where, updated in place as pods are placed.
#pragma once

#include <berth/sdk/scheduler.hpp>

#include <deque>
#include <span>
#include <vector>

namespace berth {

class Cluster {
public:
  explicit Cluster(std::vector<sdk::NodeInfo> nodes) : nodes_(std::move(nodes)) {}

  [[nodiscard]] std::span<const sdk::NodeInfo> nodes() const noexcept { return nodes_; }
  [[nodiscard]] const sdk::NodeInfo &node(std::size_t index) const { return nodes_.at(index); }
  [[nodiscard]] std::size_t size() const noexcept { return nodes_.size(); }

  // Records pod on the node: its requests join the node's allocation and
  // the pod joins the node's list. Returns the stored copy.
  const sdk::PodSpec &place(const sdk::PodSpec &pod, std::size_t node);

private:
  std::vector<sdk::NodeInfo> nodes_;
  std::deque<sdk::PodSpec> pods_; // deque: NodeInfo::pods point into it
};

} // namespace berth
