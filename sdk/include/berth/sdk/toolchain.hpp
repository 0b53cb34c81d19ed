// The toolchain tag: what must match between the core and a plugin for C++
// types (std::string, std::vector, nlohmann::json, vtables) to cross safely.
// Each part changes the layout or the mangling of something that crosses:
// the compiler, libstdc++'s dual ABI and debug mode, the C++ standard, and
// nlohmann::json's version and diagnostics mode (which adds a member).
//
// Boost is deliberately absent: no Boost type crosses the boundary, so a
// plugin built against another Boost release is still compatible.
#pragma once

#include <nlohmann/detail/abi_macros.hpp>

#define BERTH_STR_IMPL(x) #x
#define BERTH_STR(x) BERTH_STR_IMPL(x)

#if defined(__clang__)
#define BERTH_TOOLCHAIN_COMPILER "clang-" BERTH_STR(__clang_major__)
#elif defined(__GNUC__)
#define BERTH_TOOLCHAIN_COMPILER "gcc-" BERTH_STR(__GNUC__)
#else
#define BERTH_TOOLCHAIN_COMPILER "unknown"
#endif

#if defined(_GLIBCXX_USE_CXX11_ABI)
#define BERTH_TOOLCHAIN_STDLIB "libstdc++-cxx11abi" BERTH_STR(_GLIBCXX_USE_CXX11_ABI)
#elif defined(_LIBCPP_VERSION)
#define BERTH_TOOLCHAIN_STDLIB "libc++-abi" BERTH_STR(_LIBCPP_ABI_VERSION)
#else
#define BERTH_TOOLCHAIN_STDLIB "unknown-stdlib"
#endif

#define BERTH_TOOLCHAIN_TAG                                                                        \
  BERTH_TOOLCHAIN_COMPILER                                                                         \
  ";" BERTH_TOOLCHAIN_STDLIB ";c++" BERTH_STR(__cplusplus) ";json-" BERTH_STR(                     \
      NLOHMANN_JSON_VERSION_MAJOR) "." BERTH_STR(NLOHMANN_JSON_VERSION_MINOR)
