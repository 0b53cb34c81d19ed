// berthd: the daemon. Thin: it picks a command and hands over to it.
#include "engine_command.hpp"
#include "server_command.hpp"

#include <iostream>
#include <string>
#include <vector>

namespace {

constexpr const char *kUsage = R"(Usage: berthd COMMAND [OPTIONS]

The berth daemon.

Commands:
  engine    serve the Docker Engine API on a unix socket (docker, compose, docker-py)
  server    run the cluster API server (Kubernetes API over HTTPS)

Run 'berthd COMMAND --help' for a command's options.
)";

} // namespace

int main(int argc, char **argv) {
  const std::vector<std::string> words(argv + 1, argv + argc);
  if (words.empty() || words[0] == "--help" || words[0] == "-h" || words[0] == "help") {
    std::cout << kUsage;
    return words.empty() ? 2 : 0;
  }
  if (words[0] == "--version") {
    std::cout << "berthd " << BERTH_VERSION << "\n";
    return 0;
  }
  if (words[0] == "engine") {
    return berth::berthd::run_engine_command({words.begin() + 1, words.end()});
  }
  if (words[0] == "server") {
    return berth::berthd::run_server_command({words.begin() + 1, words.end()});
  }
  std::cerr << "berthd: unknown command '" << words[0]
            << "' (have: engine, server); run 'berthd --help'\n";
  return 2;
}
