// The conformance kit every plugin runs against itself, whatever its kind.
//
// In a test file that links the plugin's sources:
//
//   #include <berth/sdk/testing/plugin_conformance.hpp>
//   BERTH_PLUGIN_CONFORMANCE(MyPlugin, berth_plugin);
//
// It checks what the core's handshake checks (ABI, toolchain, name, schema),
// then creates an instance from the schema's defaults and destroys it, the
// way berth will. Kind-specific kits (storage, network, ...) build on it.
#pragma once

#include <berth/sdk/host.hpp>
#include <berth/sdk/plugin_abi.h>
#include <berth/sdk/testing/memory_ipam.hpp>
#include <berth/sdk/toolchain.hpp>

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace berth::sdk::testing {

// A HostServices for tests: logs to stderr, keeps its key-value pairs and
// its address claims (MemoryIpam) in memory, and gives each instance a fresh
// state directory under /tmp that it removes again.
class TestHost final : public HostServices {
public:
  TestHost() {
    std::string pattern = "/tmp/berth-plugin-test-XXXXXX";
    if (mkdtemp(pattern.data()) != nullptr) {
      dir_ = pattern;
    }
  }
  ~TestHost() noexcept override {
    std::error_code ignored;
    if (!dir_.empty()) {
      std::filesystem::remove_all(dir_, ignored);
    }
  }
  TestHost(const TestHost &) = delete;
  TestHost &operator=(const TestHost &) = delete;
  TestHost(TestHost &&) = delete;
  TestHost &operator=(TestHost &&) = delete;

  Logger &logger() noexcept override { return logger_; }
  Result<std::filesystem::path> state_dir() noexcept override {
    if (dir_.empty()) {
      return make_error(Errc::io, "mkdtemp failed", "/tmp");
    }
    return dir_;
  }
  KeyValueStore &kv() noexcept override { return kv_; }
  [[nodiscard]] std::chrono::system_clock::time_point now() const noexcept override {
    return std::chrono::system_clock::now();
  }
  [[nodiscard]] bool cancelled() const noexcept override { return cancelled_; }
  void cancel() noexcept { cancelled_ = true; }
  Ipam &ipam() noexcept override { return ipam_; }

private:
  class StderrLogger final : public Logger {
  public:
    [[nodiscard]] bool enabled(LogLevel) const noexcept override { return true; }
    void log(LogLevel, std::string_view message) noexcept override {
      std::cerr << "[plugin] " << message << "\n";
    }
  };

  class MemoryStore final : public KeyValueStore {
  public:
    Result<std::optional<std::string>> get(std::string_view key) noexcept override {
      std::lock_guard lock(mutex_);
      auto it = items_.find(std::string(key));
      return it == items_.end() ? std::optional<std::string>{} : it->second;
    }
    Result<void> put(std::string_view key, std::string_view value) noexcept override {
      std::lock_guard lock(mutex_);
      items_[std::string(key)] = value;
      return {};
    }
    Result<void> erase(std::string_view key) noexcept override {
      std::lock_guard lock(mutex_);
      items_.erase(std::string(key));
      return {};
    }
    Result<std::vector<std::pair<std::string, std::string>>>
    list(std::string_view prefix) noexcept override {
      std::lock_guard lock(mutex_);
      std::vector<std::pair<std::string, std::string>> out;
      for (auto it = items_.lower_bound(std::string(prefix));
           it != items_.end() && it->first.rfind(prefix, 0) == 0; ++it) {
        out.emplace_back(*it);
      }
      return out;
    }

  private:
    std::mutex mutex_;
    std::map<std::string, std::string> items_;
  };

  std::filesystem::path dir_;
  StderrLogger logger_;
  MemoryStore kv_;
  MemoryIpam ipam_;
  bool cancelled_ = false;
};

// The options berth would pass when the stack gives none: every default.
inline nlohmann::json default_options(const berth_plugin_descriptor &d) {
  auto options = nlohmann::json::object();
  for (uint32_t i = 0; i < d.option_count; ++i) {
    if (d.options[i].default_json != nullptr) {
      options[d.options[i].name] = nlohmann::json::parse(d.options[i].default_json);
    }
  }
  return options;
}

using EntryPoint = const berth_plugin_descriptor *(*)();

// An instance of Interface made through the plugin's descriptor, as berth
// makes it: probe first, then create with the schema's defaults under
// options. Kind kits hold the driver they test through this.
template <class Interface> class PluginUnderTest {
public:
  PluginUnderTest(EntryPoint entry, const nlohmann::json &options, HostServices &host)
      : descriptor_(entry()) {
    std::array<char, 512> reason{};
    if (descriptor_->probe != nullptr &&
        descriptor_->probe(reason.data(), reason.size()) == BERTH_SKIP) {
      skip_ = reason.data();
      return;
    }
    if (!options.is_object()) {
      error_ = "the kit's options must be a JSON object, not " + options.dump();
      return;
    }
    auto merged = default_options(*descriptor_);
    merged.update(options);
    const auto text = merged.dump();
    void *instance = nullptr;
    std::array<char, 1024> message{};
    const int rc =
        descriptor_->create(&host, text.c_str(), &instance, message.data(), message.size());
    if (rc != BERTH_OK) {
      (rc == BERTH_SKIP ? skip_ : error_) = message.data();
      return;
    }
    object_ = static_cast<Interface *>(instance);
  }
  ~PluginUnderTest() {
    if (object_ != nullptr) {
      descriptor_->destroy(object_);
    }
  }
  PluginUnderTest(const PluginUnderTest &) = delete;
  PluginUnderTest &operator=(const PluginUnderTest &) = delete;
  PluginUnderTest(PluginUnderTest &&) = delete;
  PluginUnderTest &operator=(PluginUnderTest &&) = delete;

  [[nodiscard]] bool ok() const { return object_ != nullptr; }
  [[nodiscard]] const std::string &skip_reason() const { return skip_; }
  [[nodiscard]] const std::string &error() const { return error_; }
  Interface &operator*() { return *object_; }
  Interface *operator->() { return object_; }

private:
  const berth_plugin_descriptor *descriptor_;
  Interface *object_ = nullptr;
  std::string skip_;
  std::string error_;
};

inline void expect_handshake_passes(EntryPoint entry) {
  const berth_plugin_descriptor *d = entry();
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->struct_size, sizeof(berth_plugin_descriptor));
  EXPECT_EQ(d->abi_major, BERTH_ABI_MAJOR);
  EXPECT_LE(d->abi_minor, BERTH_ABI_MINOR);
  ASSERT_NE(d->toolchain, nullptr);
  EXPECT_STREQ(d->toolchain, BERTH_TOOLCHAIN_TAG);
  EXPECT_GE(d->kind, static_cast<uint32_t>(BERTH_KIND_STORAGE));
  EXPECT_LE(d->kind, static_cast<uint32_t>(BERTH_KIND_SCHEDULER));
  ASSERT_NE(d->name, nullptr);
  EXPECT_GT(std::strlen(d->name), 0U);
  EXPECT_NE(d->create, nullptr);
  EXPECT_NE(d->destroy, nullptr);
  for (uint32_t i = 0; i < d->option_count; ++i) {
    const auto &option = d->options[i];
    ASSERT_NE(option.name, nullptr);
    EXPECT_NE(option.doc, nullptr) << option.name << ": document every option";
    if (option.default_json != nullptr) {
      EXPECT_TRUE(nlohmann::json::accept(option.default_json))
          << option.name << ": default is not JSON";
    }
  }
}

// Creates from defaults and destroys; a plugin that cannot run here must say
// so (BERTH_SKIP with a reason) rather than fail.
inline void expect_creates_from_defaults(EntryPoint entry) {
  const berth_plugin_descriptor *d = entry();
  std::array<char, 512> reason{};
  if (d->probe != nullptr && d->probe(reason.data(), reason.size()) == BERTH_SKIP) {
    GTEST_SKIP() << d->name << " cannot run on this host: " << reason.data();
  }
  bool required = false;
  for (uint32_t i = 0; i < d->option_count; ++i) {
    required = required || d->options[i].default_json == nullptr;
  }
  if (required) {
    GTEST_SKIP() << d->name << " has required options; test creation with them yourself";
  }
  TestHost host;
  void *instance = nullptr;
  std::array<char, 1024> message{};
  const auto options = default_options(*d).dump();
  const int rc = d->create(&host, options.c_str(), &instance, message.data(), message.size());
  if (rc == BERTH_SKIP) {
    GTEST_SKIP() << d->name << " cannot run on this host: " << message.data();
  }
  ASSERT_EQ(rc, BERTH_OK) << message.data();
  ASSERT_NE(instance, nullptr);
  d->destroy(instance);
}

// The entry points of every plugin of kind in dir, opened the way berth
// opens them; the libraries stay open for the life of the test binary.
inline std::vector<EntryPoint> plugins_of_kind(const std::filesystem::path &dir, uint32_t kind) {
  std::vector<std::filesystem::path> files;
  for (const auto &entry : std::filesystem::directory_iterator(dir)) {
    files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<EntryPoint> entries;
  for (const auto &file : files) {
    void *library = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr) {
      ADD_FAILURE() << dlerror();
      continue;
    }
    auto entry = reinterpret_cast<EntryPoint>(dlsym(library, "berth_plugin"));
    if (entry != nullptr && entry()->kind == kind) {
      entries.push_back(entry);
    }
  }
  return entries;
}

// Test names from the plugins' own names ("node-affinity" -> node_affinity).
struct PluginName {
  std::string operator()(const ::testing::TestParamInfo<EntryPoint> &info) const {
    std::string name = info.param()->name;
    std::replace(name.begin(), name.end(), '-', '_');
    return name;
  }
};

} // namespace berth::sdk::testing

// Instantiates the kit for one plugin entry point.
#define BERTH_PLUGIN_CONFORMANCE(SUITE, ENTRY)                                                     \
  TEST(SUITE, PassesTheHandshake) {                                                                \
    ::berth::sdk::testing::expect_handshake_passes(&ENTRY);                                        \
  }                                                                                                \
  TEST(SUITE, CreatesFromDefaultsAndDestroys) {                                                    \
    ::berth::sdk::testing::expect_creates_from_defaults(&ENTRY);                                   \
  }
