#include "container/container_files.hpp"

#include "util/text.hpp"

#include <fstream>
#include <sstream>

#include <unistd.h>

namespace berth {
namespace {

namespace fs = std::filesystem;

// The host's resolvers minus loopback ones, which mean nothing inside a
// container's own network namespace; Google's as Docker's last resort.
std::string resolv_conf() {
  std::ifstream in("/etc/resolv.conf");
  std::string line;
  std::string kept;
  bool nameserver = false;
  while (std::getline(in, line)) {
    if (line.starts_with("nameserver")) {
      std::stringstream fields(line);
      std::string word;
      std::string address;
      fields >> word >> address;
      if (address.starts_with("127.") || address == "::1") {
        continue;
      }
      nameserver = true;
    }
    kept += line + "\n";
  }
  if (!nameserver) {
    kept += "nameserver 8.8.8.8\nnameserver 8.8.4.4\n";
  }
  return kept;
}

} // namespace

std::string read_text(const fs::path &file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

sdk::Result<void> write_text(const fs::path &file, const std::string &text) {
  std::ofstream out(file, std::ios::trunc);
  out << text;
  if (!out.flush()) {
    return sdk::errno_error("write", file.string());
  }
  return {};
}

std::vector<std::string> extra_host_lines(const std::vector<std::string> &extra) {
  std::vector<std::string> lines;
  lines.reserve(extra.size());
  for (const auto &entry : extra) {
    if (auto line = parse_add_host(entry); line.ok()) {
      lines.push_back(*line);
    }
  }
  return lines;
}

std::string hosts_file(const std::string &hostname, const std::vector<std::string> &extra,
                       bool host_network) {
  std::string text = host_network ? read_text("/etc/hosts")
                                  : "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost "
                                    "ip6-loopback\n127.0.1.1\t" +
                                        hostname + "\n";
  for (const auto &line : extra_host_lines(extra)) {
    text += line + "\n";
  }
  return text;
}

std::string resolv_conf(const ContainerConfig &config, bool host_network) {
  if (config.dns.empty() && config.dns_search.empty() && config.dns_options.empty()) {
    return host_network ? read_text("/etc/resolv.conf") : resolv_conf();
  }
  std::string text;
  for (const auto &server : config.dns) {
    text += "nameserver " + server + "\n";
  }
  if (!config.dns_search.empty()) {
    text += "search " + join(config.dns_search, " ") + "\n";
  }
  if (!config.dns_options.empty()) {
    text += "options " + join(config.dns_options, " ") + "\n";
  }
  return text;
}

std::string host_hostname() {
  char name[256] = {};
  ::gethostname(name, sizeof name - 1);
  return name;
}

} // namespace berth
