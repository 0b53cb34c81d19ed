#include "sched/workload.hpp"

#include "config/checker.hpp"
#include "sched/quantity.hpp"
#include "util/text.hpp"

#include <numeric>
#include <set>

namespace berth {
namespace {

const std::vector<std::string> kOperators = {"In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"};
const std::vector<std::string> kEffects = {"NoSchedule", "PreferNoSchedule", "NoExecute"};

class WorkloadParser {
public:
  explicit WorkloadParser(const std::string &source) : check_(source) { workload_.source = source; }

  WorkloadLoad parse(const ConfigNode &root) {
    if (root.kind == ConfigNode::Kind::null) {
      check_.error({1, 1}, "", "the workload file is empty; see examples/workloads/");
    } else if (check_.expect_map(root, "")) {
      check_.allow_keys(root, "", {"apiVersion", "kind", "arrival", "nodes", "pods"});
      expect_value(root, "apiVersion", "berth/v1");
      expect_value(root, "kind", "Workload");
      if (const auto *arrival = root.find("arrival")) {
        parse_arrival(*arrival);
      }
      each_item(root, "nodes", [this](const ConfigNode &n, const std::string &p) { node(n, p); });
      each_item(root, "pods", [this](const ConfigNode &n, const std::string &p) { pod(n, p); });
    }
    WorkloadLoad load;
    if (check_.ok()) {
      load.workload = std::move(workload_);
    } else {
      load.diagnostics = check_.take();
    }
    return load;
  }

private:
  void expect_value(const ConfigNode &root, std::string_view key, const std::string &want) {
    const auto *node = check_.require(root, key, "");
    auto text = node != nullptr ? check_.scalar(*node, std::string(key)) : std::nullopt;
    if (text && *text != want) {
      check_.error(node->at, std::string(key), "expected '" + want + "', got '" + *text + "'");
    }
  }

  void parse_arrival(const ConfigNode &node) {
    auto text = check_.scalar(node, "arrival");
    if (!text) {
      return;
    }
    if (*text == "interleaved" || *text == "sequential" || *text == "random") {
      workload_.arrival = *text == "random"       ? Arrival::random
                          : *text == "sequential" ? Arrival::sequential
                                                  : Arrival::interleaved;
      return;
    }
    check_.error(node.at, "arrival",
                 "unknown arrival '" + *text + "' (use interleaved, sequential or random)");
  }

  template <class F> void each_item(const ConfigNode &map, std::string_view key, F &&visit) {
    const auto *list = check_.require(map, key, "");
    if (list == nullptr) {
      return;
    }
    if (list->kind != ConfigNode::Kind::sequence || list->items.empty()) {
      check_.error(list->at, std::string(key),
                   "expected a list of at least one shape, got " +
                       std::string(describe_kind(*list)));
      return;
    }
    for (std::size_t i = 0; i < list->items.size(); ++i) {
      visit(list->items[i], index_path(std::string(key), i));
    }
  }

  std::string name_and_count(const ConfigNode &node, const std::string &path, std::size_t &count) {
    std::string name;
    if (const auto *value = check_.require(node, "name", path)) {
      name = check_.scalar(*value, path + ".name").value_or("");
    }
    if (const auto *value = check_.require(node, "count", path)) {
      auto n = check_.integer(*value, path + ".count");
      if (n && *n < 0) {
        check_.error(value->at, path + ".count", "must not be negative");
      }
      count = static_cast<std::size_t>(std::max<std::int64_t>(n.value_or(0), 0));
    }
    return name;
  }

  void node(const ConfigNode &node, const std::string &path) {
    if (!check_.expect_map(node, path)) {
      return;
    }
    check_.allow_keys(node, path, {"name", "count", "capacity", "labels", "taints"});
    NodeShape shape;
    shape.name = name_and_count(node, path, shape.count);
    unique_name(node, path, node_names_, shape.name);
    shape.capacity.pods = kDefaultPodsPerNode;
    if (const auto *capacity = check_.require(node, "capacity", path)) {
      shape.capacity = resources(*capacity, path + ".capacity", /*pods_allowed=*/true);
    }
    if (const auto *labels = node.find("labels")) {
      shape.labels = label_lists(*labels, path + ".labels");
    }
    if (const auto *taints = node.find("taints")) {
      list_of(*taints, path + ".taints", [&](const ConfigNode &item, const std::string &p) {
        shape.taints.push_back(taint(item, p));
      });
    }
    workload_.nodes.push_back(std::move(shape));
  }

  void pod(const ConfigNode &node, const std::string &path) {
    if (!check_.expect_map(node, path)) {
      return;
    }
    check_.allow_keys(node, path,
                      {"name", "count", "requests", "labels", "nodeSelector", "nodeAffinity",
                       "tolerations", "topologySpread", "antiAffinity"});
    PodShape shape;
    shape.spec.name = name_and_count(node, path, shape.count);
    unique_name(node, path, pod_names_, shape.spec.name);
    auto &spec = shape.spec;
    if (const auto *requests = node.find("requests")) {
      spec.requests = resources(*requests, path + ".requests", /*pods_allowed=*/false);
    }
    if (const auto *labels = node.find("labels")) {
      spec.labels = string_map(*labels, path + ".labels");
    }
    if (const auto *selector = node.find("nodeSelector")) {
      spec.node_selector = string_map(*selector, path + ".nodeSelector");
    }
    if (const auto *affinity = node.find("nodeAffinity")) {
      spec.node_affinity = node_affinity(*affinity, path + ".nodeAffinity");
    }
    if (const auto *tolerations = node.find("tolerations")) {
      list_of(*tolerations, path + ".tolerations",
              [&](const ConfigNode &item, const std::string &p) {
                spec.tolerations.push_back(toleration(item, p));
              });
    }
    if (const auto *spread = node.find("topologySpread")) {
      list_of(*spread, path + ".topologySpread", [&](const ConfigNode &item, const std::string &p) {
        spec.topology_spread.push_back(spread_constraint(item, p));
      });
    }
    if (const auto *anti = node.find("antiAffinity")) {
      spec.anti_affinity = anti_affinity(*anti, path + ".antiAffinity");
    }
    workload_.pods.push_back(std::move(shape));
  }

  // Node and pod names derive from their shape's name, so two shapes with
  // one name would make two nodes (or pods) with one name.
  void unique_name(const ConfigNode &node, const std::string &path, std::set<std::string> &seen,
                   const std::string &name) {
    if (!name.empty() && !seen.insert(name).second) {
      check_.error(node.find("name")->at, path + ".name", "duplicate shape name '" + name + "'");
    }
  }

  template <class F> void list_of(const ConfigNode &node, const std::string &path, F &&visit) {
    if (node.kind != ConfigNode::Kind::sequence) {
      check_.error(node.at, path, "expected a list, got " + std::string(describe_kind(node)));
      return;
    }
    for (std::size_t i = 0; i < node.items.size(); ++i) {
      if (check_.expect_map(node.items[i], index_path(path, i))) {
        visit(node.items[i], index_path(path, i));
      }
    }
  }

  sdk::Resources resources(const ConfigNode &node, const std::string &path, bool pods_allowed) {
    sdk::Resources out;
    out.pods = pods_allowed ? kDefaultPodsPerNode : 0;
    if (!check_.expect_map(node, path)) {
      return out;
    }
    for (const auto &entry : node.entries) {
      const auto key_path = child_path(path, entry.key);
      auto text = check_.scalar(entry.value, key_path);
      if (!text) {
        continue;
      }
      if (entry.key == "cpu") {
        out.cpu_millis = quantity(parse_cpu_millis(*text), entry.value, key_path, "500m or 2");
      } else if (entry.key == "memory") {
        out.memory_bytes = quantity(parse_bytes(*text), entry.value, key_path, "512Mi or 4Gi");
      } else if (entry.key == "pods") {
        if (!pods_allowed) {
          check_.error(entry.key_at, key_path, "a pod always takes one pod slot; remove 'pods'");
          continue;
        }
        out.pods = quantity(parse_bytes(*text), entry.value, key_path, "110");
      } else {
        out.extended[entry.key] = quantity(parse_bytes(*text), entry.value, key_path, "1");
      }
    }
    return out;
  }

  std::int64_t quantity(std::optional<std::int64_t> value, const ConfigNode &node,
                        const std::string &path, const char *example) {
    if (!value) {
      check_.error(node.at, path,
                   "'" + node.scalar + "' is not a quantity (for example " + example + ")");
    }
    return value.value_or(0);
  }

  sdk::Labels string_map(const ConfigNode &node, const std::string &path) {
    sdk::Labels out;
    if (!check_.expect_map(node, path)) {
      return out;
    }
    for (const auto &entry : node.entries) {
      if (auto text = check_.scalar(entry.value, child_path(path, entry.key))) {
        out[entry.key] = *text;
      }
    }
    return out;
  }

  std::map<std::string, std::vector<std::string>> label_lists(const ConfigNode &node,
                                                              const std::string &path) {
    std::map<std::string, std::vector<std::string>> out;
    if (!check_.expect_map(node, path)) {
      return out;
    }
    for (const auto &entry : node.entries) {
      const auto key_path = child_path(path, entry.key);
      if (entry.value.kind == ConfigNode::Kind::sequence) {
        auto items = check_.scalar_list(entry.value, key_path);
        for (const auto &[value, at] : items.value_or(decltype(items)::value_type{})) {
          out[entry.key].push_back(value);
        }
      } else if (auto text = check_.scalar(entry.value, key_path)) {
        out[entry.key] = {*text};
      }
    }
    return out;
  }

  std::string choice(const ConfigNode &map, std::string_view key, const std::string &path,
                     const std::vector<std::string> &allowed, std::string fallback) {
    const auto *node = map.find(key);
    if (node == nullptr) {
      return fallback;
    }
    const auto key_path = child_path(path, key);
    auto text = check_.scalar(*node, key_path);
    if (text && std::find(allowed.begin(), allowed.end(), *text) == allowed.end()) {
      check_.error(node->at, key_path,
                   "unknown value '" + *text + "'" + did_you_mean(*text, allowed) + " (use " +
                       join(allowed, ", ") + ")");
    }
    return text.value_or(fallback);
  }

  std::string text_of(const ConfigNode &map, std::string_view key, const std::string &path,
                      bool required) {
    const auto *node = required ? check_.require(map, key, path) : map.find(key);
    return node == nullptr ? "" : check_.scalar(*node, child_path(path, key)).value_or("");
  }

  sdk::Taint taint(const ConfigNode &node, const std::string &path) {
    check_.allow_keys(node, path, {"key", "value", "effect"});
    return {text_of(node, "key", path, true), text_of(node, "value", path, false),
            choice(node, "effect", path, kEffects, "NoSchedule")};
  }

  sdk::Toleration toleration(const ConfigNode &node, const std::string &path) {
    check_.allow_keys(node, path, {"key", "operator", "value", "effect"});
    sdk::Toleration out;
    out.key = text_of(node, "key", path, false);
    out.op = choice(node, "operator", path, {"Equal", "Exists"}, "Equal");
    out.value = text_of(node, "value", path, false);
    if (node.find("effect") != nullptr) {
      out.effect = choice(node, "effect", path, kEffects, "");
    }
    if (out.op == "Equal" && out.key.empty()) {
      check_.error(node.at, path,
                   "an Equal toleration needs a key (use operator Exists to "
                   "tolerate every taint)");
    }
    return out;
  }

  std::vector<sdk::LabelRequirement> expressions(const ConfigNode &map, const std::string &path) {
    std::vector<sdk::LabelRequirement> out;
    const auto *list = map.find("matchExpressions");
    if (list == nullptr) {
      return out;
    }
    list_of(*list, path + ".matchExpressions", [&](const ConfigNode &item, const std::string &p) {
      check_.allow_keys(item, p, {"key", "operator", "values"});
      sdk::LabelRequirement requirement;
      requirement.key = text_of(item, "key", p, true);
      requirement.op = choice(item, "operator", p, kOperators, "In");
      const auto *values = item.find("values");
      if (values != nullptr) {
        for (const auto &[value, at] :
             check_.scalar_list(*values, p + ".values")
                 .value_or(std::vector<std::pair<std::string, Location>>{})) {
          requirement.values.push_back(value);
        }
      }
      check_values(requirement, values != nullptr ? values->at : item.at, p);
      out.push_back(std::move(requirement));
    });
    return out;
  }

  // What each operator needs, as Kubernetes validates it.
  void check_values(const sdk::LabelRequirement &requirement, Location at,
                    const std::string &path) {
    const auto &op = requirement.op;
    const auto count = requirement.values.size();
    const auto where = path + ".values";
    if ((op == "In" || op == "NotIn") && count == 0) {
      check_.error(at, where, op + " needs at least one value");
    } else if ((op == "Exists" || op == "DoesNotExist") && count != 0) {
      check_.error(at, where, op + " takes no values");
    } else if ((op == "Gt" || op == "Lt") &&
               (count != 1 || requirement.values.front().empty() ||
                requirement.values.front().find_first_not_of("-0123456789") != std::string::npos)) {
      check_.error(at, where, op + " takes exactly one integer value");
    }
  }

  sdk::LabelSelector selector(const ConfigNode &node, const std::string &path) {
    sdk::LabelSelector out;
    if (const auto *labels = node.find("matchLabels")) {
      out.match_labels = string_map(*labels, path + ".matchLabels");
    }
    out.match_expressions = expressions(node, path);
    return out;
  }

  std::int32_t weight(const ConfigNode &node, const std::string &path) {
    const auto *value = check_.require(node, "weight", path);
    auto n = value != nullptr ? check_.integer(*value, path + ".weight") : std::nullopt;
    if (n && (*n < 1 || *n > 100)) {
      check_.error(value->at, path + ".weight", "weight must be between 1 and 100");
    }
    return static_cast<std::int32_t>(n.value_or(1));
  }

  sdk::NodeAffinity node_affinity(const ConfigNode &node, const std::string &path) {
    sdk::NodeAffinity out;
    if (!check_.expect_map(node, path)) {
      return out;
    }
    check_.allow_keys(node, path, {"required", "preferred"});
    if (const auto *required = node.find("required")) {
      list_of(*required, path + ".required", [&](const ConfigNode &item, const std::string &p) {
        check_.allow_keys(item, p, {"matchExpressions"});
        out.required.push_back({expressions(item, p)});
      });
    }
    if (const auto *preferred = node.find("preferred")) {
      list_of(*preferred, path + ".preferred", [&](const ConfigNode &item, const std::string &p) {
        check_.allow_keys(item, p, {"weight", "matchExpressions"});
        out.preferred.push_back({weight(item, p), {expressions(item, p)}});
      });
    }
    return out;
  }

  sdk::TopologySpreadConstraint spread_constraint(const ConfigNode &node, const std::string &path) {
    check_.allow_keys(
        node, path,
        {"maxSkew", "topologyKey", "whenUnsatisfiable", "matchLabels", "matchExpressions"});
    sdk::TopologySpreadConstraint out;
    if (const auto *skew = node.find("maxSkew")) {
      auto n = check_.integer(*skew, path + ".maxSkew");
      if (n && *n < 1) {
        check_.error(skew->at, path + ".maxSkew", "maxSkew must be at least 1");
      }
      out.max_skew = static_cast<std::int32_t>(n.value_or(1));
    }
    out.topology_key = text_of(node, "topologyKey", path, true);
    out.when_unsatisfiable = choice(node, "whenUnsatisfiable", path,
                                    {"DoNotSchedule", "ScheduleAnyway"}, "DoNotSchedule");
    out.selector = selector(node, path);
    return out;
  }

  sdk::PodAffinityTerm affinity_term(const ConfigNode &node, const std::string &path) {
    return {selector(node, path), text_of(node, "topologyKey", path, true)};
  }

  sdk::PodAntiAffinity anti_affinity(const ConfigNode &node, const std::string &path) {
    sdk::PodAntiAffinity out;
    if (!check_.expect_map(node, path)) {
      return out;
    }
    check_.allow_keys(node, path, {"required", "preferred"});
    if (const auto *required = node.find("required")) {
      list_of(*required, path + ".required", [&](const ConfigNode &item, const std::string &p) {
        check_.allow_keys(item, p, {"topologyKey", "matchLabels", "matchExpressions"});
        out.required.push_back(affinity_term(item, p));
      });
    }
    if (const auto *preferred = node.find("preferred")) {
      list_of(*preferred, path + ".preferred", [&](const ConfigNode &item, const std::string &p) {
        check_.allow_keys(item, p, {"weight", "topologyKey", "matchLabels", "matchExpressions"});
        out.preferred.push_back({weight(item, p), affinity_term(item, p)});
      });
    }
    return out;
  }

  // The kubelet's default --max-pods.
  static constexpr std::int64_t kDefaultPodsPerNode = 110;

  Checker check_;
  Workload workload_;
  std::set<std::string> node_names_;
  std::set<std::string> pod_names_;
};

// Splits total over weights (the shapes' counts) by largest remainder.
std::vector<std::size_t> apportion(const std::vector<std::size_t> &weights, std::size_t total) {
  const std::size_t sum = std::accumulate(weights.begin(), weights.end(), std::size_t{0});
  std::vector<std::size_t> out(weights.size(), 0);
  if (sum == 0 || weights.empty()) {
    return out;
  }
  std::vector<std::pair<double, std::size_t>> remainders;
  std::size_t given = 0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    const double exact =
        static_cast<double>(weights[i]) * static_cast<double>(total) / static_cast<double>(sum);
    out[i] = static_cast<std::size_t>(exact);
    given += out[i];
    remainders.emplace_back(exact - static_cast<double>(out[i]), i);
  }
  std::sort(remainders.begin(), remainders.end(), std::greater<>());
  for (std::size_t i = 0; given < total; ++i, ++given) {
    ++out[remainders[i % remainders.size()].second];
  }
  return out;
}

} // namespace

std::size_t Workload::node_count() const {
  std::size_t total = 0;
  for (const auto &shape : nodes) {
    total += shape.count;
  }
  return total;
}

std::size_t Workload::pod_count() const {
  std::size_t total = 0;
  for (const auto &shape : pods) {
    total += shape.count;
  }
  return total;
}

WorkloadLoad parse_workload(const std::string &text, const std::string &source) {
  auto document = parse_yaml(text);
  if (!document.error.empty()) {
    WorkloadLoad load;
    load.diagnostics.push_back(Diagnostic{source, document.error_at, "", document.error});
    return load;
  }
  return WorkloadParser(source).parse(document.root);
}

WorkloadLoad read_workload_file(const std::filesystem::path &file) {
  std::string error;
  auto text = read_config_file(file, "workload file", error);
  if (!text) {
    WorkloadLoad load;
    load.diagnostics.push_back(Diagnostic{file.string(), {}, "", error});
    return load;
  }
  return parse_workload(*text, file.string());
}

Workload uniform_workload(std::size_t nodes, std::size_t pods) {
  Workload workload;
  workload.source = "(uniform)";
  NodeShape node;
  node.name = "node";
  node.count = nodes;
  node.capacity.cpu_millis = 16000;
  node.capacity.memory_bytes = 64LL << 30;
  node.capacity.pods = 110;
  node.labels["zone"] = {"zone-a", "zone-b", "zone-c"};
  workload.nodes.push_back(node);
  PodShape pod;
  pod.count = pods;
  pod.spec.name = "pod";
  pod.spec.requests.cpu_millis = 500;
  pod.spec.requests.memory_bytes = 1LL << 30;
  pod.spec.labels["app"] = "pod";
  workload.pods.push_back(pod);
  return workload;
}

void resize_workload(Workload &workload, std::size_t nodes, std::size_t pods) {
  auto resize = [](auto &shapes, std::size_t total) {
    if (total == 0) {
      return;
    }
    std::vector<std::size_t> counts;
    counts.reserve(shapes.size());
    for (const auto &shape : shapes) {
      counts.push_back(shape.count);
    }
    const auto scaled = apportion(counts, total);
    for (std::size_t i = 0; i < shapes.size(); ++i) {
      shapes[i].count = scaled[i];
    }
  };
  resize(workload.nodes, nodes);
  resize(workload.pods, pods);
}

} // namespace berth
