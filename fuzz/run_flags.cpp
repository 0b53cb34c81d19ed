// The values of `run`/`create` flags a user types: -p, -v, --ulimit, --tmpfs,
// --memory and the other sizes, --cpus, --restart, --add-host, --label,
// --cap-add, --name and --stop-signal (also `kill -s`). Each input goes to every parser, as an
// argument would carry it (up to the first NUL).
#include "fuzz_target.hpp"

#include "container/container_config.hpp"
#include "network/published_port.hpp"
#include "util/signal_name.hpp"

#include <csignal>

#include <string>

namespace {

void publish(const std::string &value) {
  const auto ports = berth::parse_publish(value);
  if (berth::fuzz::refused(ports)) {
    return;
  }
  BERTH_FUZZ_CHECK(!ports->empty() && ports->size() <= 65535);
  const auto &first = ports->front();
  for (std::size_t i = 0; i < ports->size(); ++i) {
    const auto &port = (*ports)[i];
    BERTH_FUZZ_CHECK(port.container_port == first.container_port + i);
    BERTH_FUZZ_CHECK(port.host_port == 0 || port.host_port == first.host_port + i);
    BERTH_FUZZ_CHECK(port.protocol == "tcp" || port.protocol == "udp");
  }
}

void volume(const std::string &value) {
  const auto mount = berth::parse_volume(value);
  if (berth::fuzz::refused(mount)) {
    return;
  }
  BERTH_FUZZ_CHECK(mount->target.starts_with('/'));
  BERTH_FUZZ_CHECK(mount->kind != berth::VolumeMount::Kind::bind || mount->source.starts_with('/'));
}

void ulimit(const std::string &value) {
  const auto limit = berth::parse_ulimit(value);
  if (berth::fuzz::refused(limit)) {
    return;
  }
  BERTH_FUZZ_CHECK(limit->soft <= limit->hard);
}

void sizes(const std::string &value) {
  const auto bytes = berth::parse_size("--memory", value);
  if (berth::fuzz::refused(bytes)) {
    return;
  }
  BERTH_FUZZ_CHECK(*bytes >= -1);
}

void others(const std::string &value) {
  const auto tmpfs = berth::parse_tmpfs(value);
  BERTH_FUZZ_CHECK(!tmpfs.ok() || tmpfs->target.starts_with('/'));
  const auto cpus = berth::parse_cpus(value);
  BERTH_FUZZ_CHECK(!cpus.ok() || *cpus >= 0.01);
  (void)berth::parse_restart(value);
  (void)berth::parse_add_host(value);
  (void)berth::parse_key_value("--label", value);
  (void)berth::capability_name(value);
  (void)berth::check_container_name(value);
  const auto signal = berth::parse_signal(value);
  BERTH_FUZZ_CHECK(!signal || (*signal > 0 && *signal < NSIG));
}

} // namespace

BERTH_FUZZ_TARGET(run_flags) {
  const std::string value(berth::fuzz::argument_of(data, size));
  publish(value);
  volume(value);
  ulimit(value);
  sizes(value);
  others(value);
  return 0;
}
