#include "plugin/handshake.hpp"

#include <berth/sdk/toolchain.hpp>

#include <cstddef>
#include <cstring>
#include <set>
#include <string>

namespace berth {
namespace {

using sdk::Errc;
using sdk::make_error;

sdk::Error refuse(std::string reason) {
  return make_error(Errc::invalid_argument, std::move(reason));
}

std::string version_text(unsigned major, unsigned minor) {
  return std::to_string(major) + "." + std::to_string(minor);
}

bool is_valid_name(const char *name) {
  if (name == nullptr || *name == '\0' || std::strlen(name) > 64) {
    return false;
  }
  for (const char *c = name; *c != '\0'; ++c) {
    const bool ok = (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-' || *c == '_';
    if (!ok) {
      return false;
    }
  }
  return true;
}

std::string text_or_empty(const char *text) {
  return text == nullptr ? std::string{} : text;
}

std::optional<OptionType> option_type_from_abi(std::uint32_t value) {
  switch (value) {
  case BERTH_OPTION_STRING: return OptionType::string;
  case BERTH_OPTION_BOOL: return OptionType::boolean;
  case BERTH_OPTION_INT: return OptionType::integer;
  case BERTH_OPTION_FLOAT: return OptionType::floating;
  case BERTH_OPTION_LIST: return OptionType::list;
  case BERTH_OPTION_MAP: return OptionType::map;
  default: return std::nullopt;
  }
}

std::vector<std::string> split_choices(const char *choices) {
  std::vector<std::string> out;
  if (choices == nullptr) {
    return out;
  }
  std::string current;
  for (const char *c = choices;; ++c) {
    if (*c == '|' || *c == '\0') {
      out.push_back(current);
      current.clear();
      if (*c == '\0') {
        break;
      }
    } else {
      current += *c;
    }
  }
  return out;
}

sdk::Result<OptionSpec> convert_option(const berth_option_spec &raw) {
  if (!is_valid_name(raw.name)) {
    return refuse("option schema: invalid option name '" + text_or_empty(raw.name) +
                  "' (use [a-z0-9_-], at most 64 characters)");
  }
  OptionSpec spec;
  spec.name = raw.name;
  spec.doc = text_or_empty(raw.doc);
  auto type = option_type_from_abi(raw.type);
  if (!type) {
    return refuse("option schema: option '" + spec.name + "' has unknown type " +
                  std::to_string(raw.type));
  }
  spec.type = *type;
  spec.choices = split_choices(raw.choices);
  if (!spec.choices.empty() && spec.type != OptionType::string) {
    return refuse("option schema: option '" + spec.name + "' lists choices but is not a string");
  }
  if (raw.default_json == nullptr) {
    return spec;
  }
  auto parsed = nlohmann::json::parse(raw.default_json, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return refuse("option schema: default of '" + spec.name +
                  "' is not valid JSON: " + raw.default_json);
  }
  if (auto problem = check_option_value(spec, parsed)) {
    return refuse("option schema: default of '" + spec.name + "': " + *problem);
  }
  spec.default_value = std::move(parsed);
  return spec;
}

// The i-th option spec, stepping by the plugin's own sizeof: a plugin built
// against a later minor may have appended fields we do not read.
const berth_option_spec &option_at(const berth_plugin_descriptor &d, std::uint32_t i) {
  const auto *base = reinterpret_cast<const unsigned char *>(d.options);
  return *reinterpret_cast<const berth_option_spec *>(base + std::size_t{i} * d.option_spec_size);
}

sdk::Result<std::vector<OptionSpec>> convert_options(const berth_plugin_descriptor &d) {
  std::vector<OptionSpec> options;
  if (d.option_count == 0) {
    return options;
  }
  if (d.options == nullptr) {
    return refuse("option schema: option_count is " + std::to_string(d.option_count) +
                  " but options is NULL");
  }
  if (d.option_spec_size < BERTH_OPTION_SPEC_SIZE_1_0) {
    return refuse("option schema: option_spec_size is " + std::to_string(d.option_spec_size) +
                  ", ABI 1.0 needs at least " + std::to_string(BERTH_OPTION_SPEC_SIZE_1_0));
  }
  std::set<std::string> seen;
  options.reserve(d.option_count);
  for (std::uint32_t i = 0; i < d.option_count; ++i) {
    auto spec = convert_option(option_at(d, i));
    if (!spec.ok()) {
      return std::move(spec).error();
    }
    if (!seen.insert(spec->name).second) {
      return refuse("option schema: option '" + spec->name + "' is declared twice");
    }
    options.push_back(std::move(spec).value());
  }
  return options;
}

// The descriptor size each minor version defines; a plugin declaring minor N
// must provide at least that much, and the core reads nothing beyond it.
constexpr std::size_t descriptor_size_for_minor(unsigned minor) {
  (void)minor; // 1.1 added interface methods, not descriptor fields
  return BERTH_DESCRIPTOR_SIZE_1_0;
}

// ABI version and layout: checked first, before any other field is read.
sdk::Result<void> check_abi(const berth_plugin_descriptor &d) {
  constexpr auto kHeaderSize = offsetof(berth_plugin_descriptor, abi_minor) + sizeof(uint16_t);
  if (d.struct_size < kHeaderSize) {
    return refuse("descriptor is " + std::to_string(d.struct_size) + " bytes, too small to hold " +
                  "an ABI version");
  }
  const auto core = version_text(BERTH_ABI_MAJOR, BERTH_ABI_MINOR);
  const auto plugin = version_text(d.abi_major, d.abi_minor);
  if (d.abi_major != BERTH_ABI_MAJOR) {
    return refuse("built for SDK ABI " + plugin + " but this berth speaks " + core +
                  " (major versions must match); rebuild the plugin against SDK " + core);
  }
  if (d.abi_minor > BERTH_ABI_MINOR) {
    return refuse("built for SDK ABI " + plugin + ", newer than this berth's " + core +
                  "; upgrade berth or rebuild the plugin against SDK " + core);
  }
  const auto needed = descriptor_size_for_minor(d.abi_minor);
  if (d.struct_size < needed) {
    return refuse("descriptor is " + std::to_string(d.struct_size) + " bytes but ABI " + plugin +
                  " needs " + std::to_string(needed));
  }
  if (d.toolchain == nullptr || std::strcmp(d.toolchain, BERTH_TOOLCHAIN_TAG) != 0) {
    return refuse("toolchain '" + text_or_empty(d.toolchain) + "' differs from berth's '" +
                  BERTH_TOOLCHAIN_TAG + "'; rebuild the plugin with the same compiler, " +
                  "standard library and C++ standard");
  }
  return {};
}

} // namespace

const char *core_toolchain_tag() noexcept {
  return BERTH_TOOLCHAIN_TAG;
}

sdk::Result<PluginInfo> check_descriptor(const berth_plugin_descriptor *descriptor) {
  if (descriptor == nullptr) {
    return refuse("berth_plugin() returned NULL");
  }
  const auto &d = *descriptor;
  if (auto abi = check_abi(d); !abi.ok()) {
    return std::move(abi).error();
  }
  auto kind = kind_from_abi(d.kind);
  if (!kind) {
    return refuse("unknown plugin kind " + std::to_string(d.kind) +
                  " (known: 1 storage, 2 network, 3 runtime, 4 scheduler)");
  }
  if (!is_valid_name(d.name)) {
    return refuse("invalid plugin name '" + text_or_empty(d.name) +
                  "' (use [a-z0-9_-], at most 64 characters)");
  }
  if (d.create == nullptr || d.destroy == nullptr) {
    return refuse("plugin '" + std::string(d.name) + "' has no create or destroy function");
  }
  auto options = convert_options(d);
  if (!options.ok()) {
    return std::move(options).error();
  }
  PluginInfo info;
  info.kind = *kind;
  info.name = d.name;
  info.version = text_or_empty(d.version);
  info.description = text_or_empty(d.description);
  info.options = std::move(options).value();
  return info;
}

} // namespace berth
