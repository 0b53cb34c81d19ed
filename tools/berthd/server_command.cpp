#include "server_command.hpp"

#include "command_line.hpp"
#include "stop_signals.hpp"

#include "cluster/api/api_server.hpp"

#include <boost/program_options.hpp>

#include <iostream>

namespace berth::berthd {
namespace {

namespace po = boost::program_options;

constexpr const char *kDefaultDataDir = "/var/lib/berth/server";

struct ServerFlags {
  std::string data_dir = kDefaultDataDir;
  std::string listen = "127.0.0.1:6443";
  std::string store = "sqlite";
  bool no_agent = false;
};

po::options_description describe(ServerFlags &flags) {
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")(
      "data-dir", po::value(&flags.data_dir)->value_name("DIR"),
      "where the server keeps its certificates, tokens, kubeconfig.yaml and (with the sqlite "
      "store) its state (default /var/lib/berth/server)")(
      "listen", po::value(&flags.listen)->value_name("ADDR:PORT"),
      "the HTTPS address to serve the API on (default 127.0.0.1:6443)")(
      "store", po::value(&flags.store)->value_name("sqlite|etcd=URL[,URL...]"),
      "where cluster state lives: an SQLite database in the data dir (default) or etcd")(
      "no-agent", po::bool_switch(&flags.no_agent),
      "do not run a node agent beside the server (no agent exists yet: always the case)");
  return options;
}

// "127.0.0.1:6443", "[::1]:6443" -> host and port; false when malformed.
bool split_listen(const std::string &text, std::string &host, int &port) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    return false;
  }
  host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  try {
    std::size_t used = 0;
    port = std::stoi(text.substr(colon + 1), &used);
    return used == text.size() - colon - 1 && port >= 0 && port <= 65535;
  } catch (const std::exception &) {
    return false;
  }
}

int fail(const std::string &message) {
  std::cerr << "berthd server: " << message << "\n";
  return 1;
}

} // namespace

int run_server_command(const std::vector<std::string> &args) {
  ServerFlags flags;
  const po::options_description options = describe(flags);
  if (auto done = parse_command_line(args, options, "server",
                                     "Usage: berthd server [OPTIONS]\n\nRuns the cluster API "
                                     "server: the Kubernetes API over HTTPS, for kubectl.\n")) {
    return *done;
  }
  cluster::api::ApiServerOptions server;
  if (!split_listen(flags.listen, server.listen_host, server.listen_port)) {
    std::cerr << "berthd server: --listen '" << flags.listen
              << "': expected ADDR:PORT, for example 127.0.0.1:6443\n";
    return 2;
  }
  server.data_dir = flags.data_dir;
  server.store = flags.store;
  server.berth_version = BERTH_VERSION;
  const sigset_t signals = block_stop_signals();
  try {
    cluster::api::ApiServer api(server);
    std::cerr << "berthd server: serving https://" << server.listen_host << ":" << api.port()
              << " (store: " << server.store << "); kubectl --kubeconfig "
              << api.kubeconfig().string() << "\n";
    int received = 0;
    sigwait(&signals, &received);
    std::cerr << "berthd server: stopping (signal " << received << ")\n";
    api.stop();
  } catch (const std::exception &error) {
    return fail(error.what());
  }
  return 0;
}

} // namespace berth::berthd
