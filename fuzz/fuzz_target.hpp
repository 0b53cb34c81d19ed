// One harness source builds two ways. In the clang build (BERTH_LIBFUZZER,
// -fsanitize=fuzzer) BERTH_FUZZ_TARGET defines libFuzzer's entry point, one
// binary per harness. In the normal build it registers the same body under
// its name instead, so that one replay executable (replay_main.cpp) holds
// every harness and ctest replays their corpora and regressions without clang.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace berth::fuzz {

using Target = int (*)(const std::uint8_t *data, std::size_t size);

// Defined by the replay driver; returns true so that it can initialise a static.
bool register_target(std::string_view name, Target target);

// A property the parser promises did not hold. It aborts: libFuzzer and the
// replay test both see that as a crash, with this line above it.
[[noreturn]] inline void violated(const char *what, const char *file, int line) {
  std::fprintf(stderr, "%s:%d: fuzz property violated: %s\n", file, line, what);
  std::abort();
}

// True when result is a refusal; every refusal says what was wrong, since an
// empty message would print a bare "error:".
template <typename Result> bool refused(const Result &result);

// The input as text.
inline std::string_view text_of(const std::uint8_t *data, std::size_t size) {
  return {reinterpret_cast<const char *>(data), size};
}

// The input as a command-line argument would carry it: up to the first NUL.
inline std::string_view argument_of(const std::uint8_t *data, std::size_t size) {
  const auto text = text_of(data, size);
  return text.substr(0, text.find('\0'));
}

} // namespace berth::fuzz

#define BERTH_FUZZ_CHECK(condition)                                                                \
  ((condition) ? (void)0 : ::berth::fuzz::violated(#condition, __FILE__, __LINE__))

#ifdef BERTH_LIBFUZZER
#define BERTH_FUZZ_TARGET(name)                                                                    \
  extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
#else
#define BERTH_FUZZ_TARGET(name)                                                                    \
  static int berth_fuzz_##name(const std::uint8_t *data, std::size_t size);                        \
  [[maybe_unused]] static const bool berth_fuzz_registered_##name =                                \
      ::berth::fuzz::register_target(#name, &berth_fuzz_##name);                                   \
  static int berth_fuzz_##name(const std::uint8_t *data, std::size_t size)
#endif

template <typename Result> bool berth::fuzz::refused(const Result &result) {
  if (result.ok()) {
    return false;
  }
  BERTH_FUZZ_CHECK(!result.error().message.empty());
  return true;
}
