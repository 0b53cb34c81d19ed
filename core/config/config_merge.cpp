#include "config/config_merge.hpp"

#include <algorithm>
#include <array>
#include <string_view>

namespace berth {
namespace {

constexpr std::array<std::string_view, 2> kPluginKeys{"driver", "plugin"};

MapEntry *find_entry(ConfigNode &map, std::string_view key) {
  auto found = std::find_if(map.entries.begin(), map.entries.end(),
                            [&](const MapEntry &entry) { return entry.key == key; });
  return found == map.entries.end() ? nullptr : &*found;
}

// True when over names a plugin other than the one base names.
bool names_another_plugin(const ConfigNode &base, const ConfigNode &over) {
  return std::any_of(kPluginKeys.begin(), kPluginKeys.end(), [&](std::string_view key) {
    const auto *was = base.find(key);
    const auto *now = over.find(key);
    return was != nullptr && now != nullptr && now->kind == ConfigNode::Kind::scalar &&
           (was->kind != ConfigNode::Kind::scalar || was->scalar != now->scalar);
  });
}

void drop_key(ConfigNode &map, std::string_view key) {
  std::erase_if(map.entries, [&](const MapEntry &entry) { return entry.key == key; });
}

ConfigNode merge_maps(const ConfigNode &base, const ConfigNode &over) {
  ConfigNode out = base;
  out.at = over.at;
  if (names_another_plugin(base, over)) {
    drop_key(out, "options");
  }
  for (const auto &entry : over.entries) {
    auto *inherited = find_entry(out, entry.key);
    if (inherited == nullptr) {
      // A null on a key the defaults lack keeps its own meaning (a backend
      // named after its plugin, say): there is nothing to remove.
      out.entries.push_back(entry);
    } else if (entry.value.kind == ConfigNode::Kind::null) {
      drop_key(out, entry.key);
    } else {
      inherited->key_at = entry.key_at;
      inherited->value = merge_config(inherited->value, entry.value);
    }
  }
  return out;
}

} // namespace

ConfigNode merge_config(const ConfigNode &base, const ConfigNode &over) {
  if (base.is_map() && over.is_map()) {
    return merge_maps(base, over);
  }
  return over;
}

void mark_inherited(ConfigNode &node) {
  node.at.inherited = true;
  for (auto &item : node.items) {
    mark_inherited(item);
  }
  for (auto &entry : node.entries) {
    entry.key_at.inherited = true;
    mark_inherited(entry.value);
  }
}

} // namespace berth
