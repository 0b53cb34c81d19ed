// Writing a plugin in C++: the object base class and the entry-point macro.
//
//   class MyDriver final : public berth::sdk::StorageDriver { ... };
//   BERTH_PLUGIN(MyDriver, "my-driver", "1.0.0", "one line about it", kMyOptions)
//
// MyDriver provides, unless a default constructor is all it needs,
//   static berth::sdk::Result<std::unique_ptr<MyDriver>>
//   create(berth::sdk::HostServices &host, const nlohmann::json &options);
// and optionally
//   static std::optional<std::string> probe();  // a reason to skip, or nullopt
#pragma once

#include <berth/sdk/host.hpp>
#include <berth/sdk/plugin_abi.h>
#include <berth/sdk/result.hpp>
#include <berth/sdk/toolchain.hpp>

#include <algorithm>
#include <array>
#include <cstring>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace berth::sdk::inline v1 {

// Base of every object a plugin hands out. New abilities arrive as new
// interfaces found through query() (the VST3 pattern), so a released
// interface never changes.
class PluginObject {
public:
  PluginObject() = default;
  PluginObject(const PluginObject &) = delete;
  PluginObject &operator=(const PluginObject &) = delete;
  PluginObject(PluginObject &&) = delete;
  PluginObject &operator=(PluginObject &&) = delete;
  virtual ~PluginObject() = default;

  // The object viewed as the interface named interface_id, or nullptr.
  virtual void *query(std::string_view interface_id) noexcept {
    (void)interface_id;
    return nullptr;
  }
};

// Ask an object for an optional interface: query_interface<Diff>(driver).
template <class Interface> Interface *query_interface(PluginObject &object) noexcept {
  return static_cast<Interface *>(object.query(Interface::interface_id));
}

template <class Interface> struct KindOf;

// For a plugin without options: BERTH_PLUGIN(Impl, ..., berth::sdk::kNoOptions).
inline constexpr std::array<berth_option_spec, 0> kNoOptions{};

namespace detail {

inline void copy_message(std::string_view text, char *buffer, size_t capacity) noexcept {
  if (buffer == nullptr || capacity == 0) {
    return;
  }
  const size_t n = std::min(text.size(), capacity - 1);
  std::memcpy(buffer, text.data(), n);
  buffer[n] = '\0';
}

template <class T>
concept HasCreate = requires(HostServices &host, const nlohmann::json &options) {
  {T::create(host, options)};
};

template <class T>
concept HasProbe = requires {
  { T::probe() } -> std::convertible_to<std::optional<std::string>>;
};

template <class Impl> struct Entry {
  using Interface = typename Impl::interface_type;

  static int create(void *host, const char *options_json, void **out, char *message,
                    size_t capacity) noexcept {
    try {
      if constexpr (HasCreate<Impl>) {
        auto options = nlohmann::json::parse(options_json);
        auto made = Impl::create(*static_cast<HostServices *>(host), options);
        if (!made.ok()) {
          copy_message(made.error().describe(), message, capacity);
          return made.error().code == Errc::unavailable ? BERTH_SKIP : BERTH_ERROR;
        }
        *out = static_cast<Interface *>(std::move(made).value().release());
      } else {
        static_assert(
            !requires { &Impl::create; },
            "create() must be: static berth::sdk::Result<std::unique_ptr<Impl>> "
            "create(berth::sdk::HostServices &, const nlohmann::json &)");
        // A plugin without options or set-up needs no factory of its own.
        (void)host;
        (void)options_json;
        *out = static_cast<Interface *>(new Impl());
      }
      return BERTH_OK;
    } catch (const std::exception &e) {
      copy_message(e.what(), message, capacity);
    } catch (...) {
      copy_message("unknown exception", message, capacity);
    }
    return BERTH_ERROR;
  }

  static void destroy(void *instance) noexcept { delete static_cast<Interface *>(instance); }

  static int probe(char *reason, size_t capacity) noexcept {
    if constexpr (HasProbe<Impl>) {
      try {
        if (auto skip = Impl::probe()) {
          copy_message(*skip, reason, capacity);
          return BERTH_SKIP;
        }
      } catch (const std::exception &e) {
        copy_message(std::string("probe failed: ") + e.what(), reason, capacity);
        return BERTH_ERROR;
      } catch (...) {
        copy_message("probe failed: unknown exception", reason, capacity);
        return BERTH_ERROR;
      }
    }
    (void)reason;
    (void)capacity;
    return BERTH_OK;
  }
};

} // namespace detail
} // namespace berth::sdk::inline v1

// Defines FUNCTION returning the plugin's descriptor. BERTH_PLUGIN wraps it
// as the exported entry point; a test binary can use this form directly to
// link several plugins statically under different function names.
#define BERTH_PLUGIN_DESCRIPTOR_FUNCTION(FUNCTION, IMPL, NAME, VERSION, DESCRIPTION, OPTIONS)      \
  const berth_plugin_descriptor *FUNCTION(void) {                                                  \
    using berth_entry_ = ::berth::sdk::detail::Entry<IMPL>;                                        \
    static const berth_plugin_descriptor descriptor = {                                            \
        sizeof(berth_plugin_descriptor),                                                           \
        BERTH_ABI_MAJOR,                                                                           \
        BERTH_ABI_MINOR,                                                                           \
        BERTH_TOOLCHAIN_TAG,                                                                       \
        ::berth::sdk::KindOf<IMPL::interface_type>::value,                                         \
        NAME,                                                                                      \
        VERSION,                                                                                   \
        DESCRIPTION,                                                                               \
        std::data(OPTIONS),                                                                        \
        static_cast<uint32_t>(std::size(OPTIONS)),                                                 \
        sizeof(berth_option_spec),                                                                 \
        &berth_entry_::create,                                                                     \
        &berth_entry_::destroy,                                                                    \
        &berth_entry_::probe,                                                                      \
    };                                                                                             \
    return &descriptor;                                                                            \
  }

// The plugin's one exported symbol. OPTIONS is a constexpr array of
// berth_option_spec, or berth::sdk::kNoOptions.
#define BERTH_PLUGIN(IMPL, NAME, VERSION, DESCRIPTION, OPTIONS)                                    \
  extern "C" __attribute__((visibility("default")))                                                \
  BERTH_PLUGIN_DESCRIPTOR_FUNCTION(berth_plugin, IMPL, NAME, VERSION, DESCRIPTION, OPTIONS)
