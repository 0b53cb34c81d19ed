// Runs a real program for a test and captures what it printed.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace berth::testing {

struct Completed {
  int exit_code = -1; // 128 + signal when killed by one
  std::string out;
  std::string err;
};

// argv[0] is the program path. extra_env entries are added to (or replace
// those in) the test's own environment; an empty value removes the variable.
Completed run_process(const std::vector<std::string> &argv,
                      const std::map<std::string, std::string> &extra_env = {},
                      const std::string &working_dir = {});

// Runs `berth ARGS...` from the build tree. BERTH_STACK points at
// examples/stacks/default.yaml unless extra_env says otherwise, so that a
// machine's own /etc/berth/stack.yaml cannot change what the tests see.
Completed run_berth(const std::vector<std::string> &args,
                    const std::map<std::string, std::string> &extra_env = {});

} // namespace berth::testing
