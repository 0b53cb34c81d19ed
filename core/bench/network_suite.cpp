#include "bench/network_suite.hpp"

#include "bench/bench_support.hpp"
#include "bench/traffic.hpp"
#include "network/network_service.hpp"
#include "util/text.hpp"

#include <algorithm>

namespace berth::bench {
namespace {

namespace fs = std::filesystem;

constexpr const char *kLoopback = "loopback";
constexpr const char *kNetwork = "bench";
constexpr std::uint16_t kServerPort = 5201;
// Round trips kept per run: enough for a p99, few enough for the JSON.
constexpr std::size_t kRoundTripsKept = 1000;

const std::vector<Workload> &network_workloads() {
  static const std::vector<Workload> workloads = {
      {"attach_detach", "endpoint attach + detach (namespace, link, address, routes)", "ms",
       Better::lower},
      {"tcp_stream_c2c", "TCP throughput container to container", "Gbit/s", Better::higher},
      {"tcp_stream_c2h", "TCP throughput container to host", "Gbit/s", Better::higher},
      {"tcp_rr", "TCP request/response round trip, container to container", "us", Better::lower},
      {"published_port", "TCP throughput from the host through a published port", "Gbit/s",
       Better::higher},
      {"iperf3_c2c", "iperf3 container to container (cross-check)", "Gbit/s", Better::higher},
  };
  return workloads;
}

std::unique_ptr<NetworkService> open_service(const SuiteRun &run, const BenchSubject &subject,
                                             const fs::path &root) {
  auto environment = run.network_environment(root);
  environment.default_network = kNetwork;
  environment.predefined.push_back({kNetwork, subject.plugin, subject.options, "", "", false});
  fs::create_directories(root);
  return std::make_unique<NetworkService>(std::move(environment));
}

// A container's sandbox as the traffic generator needs it.
struct Sandbox {
  std::string container;
  std::string netns; // "" when it shares ours (host)
  std::string address;
  std::string gateway;
  std::uint16_t published = 0; // host port of kServerPort, 0 if none
  SandboxSetup held;           // the published port stays bound while held
};

SandboxRequest request_for(const fs::path &root, const std::string &container, bool publish) {
  SandboxRequest request;
  request.container = container;
  request.name = request.hostname = "bench-" + container.substr(0, 8);
  request.hosts_file = root / (container + ".hosts");
  request.resolv_file = root / (container + ".resolv");
  if (publish) {
    request.ports.push_back({"127.0.0.1", 0, kServerPort, "tcp"});
  }
  return request;
}

sdk::Result<Sandbox> start_sandbox(NetworkService &service, const fs::path &root, bool publish) {
  Sandbox sandbox;
  sandbox.container = random_hex_id();
  if (auto joined = service.join(sandbox.container, kNetwork, {}, "", publish); !joined.ok()) {
    auto error = std::move(joined).error();
    // The driver says up front it cannot publish (host, none): not a failure.
    if (publish && error.context == "--publish") {
      error.code = sdk::Errc::unsupported;
    }
    return error;
  }
  auto setup = service.setup(request_for(root, sandbox.container, publish));
  if (!setup.ok()) {
    (void)service.forget(sandbox.container);
    return std::move(setup).error();
  }
  sandbox.held = std::move(setup).value();
  const auto settings = service.settings(sandbox.container);
  sandbox.netns = settings.value("SandboxKey", "");
  const auto network = settings["Networks"].value(kNetwork, nlohmann::json::object());
  sandbox.address = network.value("IPAddress", "");
  sandbox.gateway = network.value("Gateway", "");
  for (const auto &port : service.ports(sandbox.container)) {
    sandbox.published = port.host_port;
  }
  return sandbox;
}

// Where a client in one sandbox reaches a server in another: through the
// driver's addresses, or our own loopback when the driver gives none (host).
TrafficPath between(const Sandbox &client, const Sandbox &server) {
  TrafficPath path;
  path.server_netns = server.netns;
  path.listen_port = kServerPort;
  path.client_netns = client.netns;
  path.connect_address = server.address.empty() ? "127.0.0.1" : server.address;
  return path;
}

const Cancelled &cancelled() {
  static const Cancelled check = [] { return interrupted(); };
  return check;
}

void measure_attach(SuiteRun &run, NetworkService &service, const fs::path &root,
                    const std::string &name) {
  const auto container = random_hex_id();
  if (auto joined = service.join(container, kNetwork, {}, "", false); !joined.ok()) {
    fail(run.report, "attach_detach", name, joined.error().describe());
    return;
  }
  const auto request = request_for(root, container, false);
  for (int i = 0; i < run.request.repeat * kAttachesPerRepeat && !interrupted(); ++i) {
    const auto start = Clock::now();
    auto setup = service.setup(request);
    auto teardown = service.teardown(container);
    if (!setup.ok() || !teardown.ok()) {
      const auto error = (setup.ok() ? teardown.error() : setup.error()).describe();
      fail(run.report, "attach_detach", name, error);
      fail_subject(run.report, name, "attach_detach: " + error);
      break;
    }
    add_sample(run.report, "attach_detach", name, ms_since(start));
  }
  (void)service.forget(container);
}

std::vector<double> as_samples(double value) {
  return {value};
}

// Every round trip would make the JSON huge: an even spread of them keeps
// the distribution, its p99 included.
std::vector<double> as_samples(const std::vector<double> &trips) {
  if (trips.size() <= kRoundTripsKept) {
    return trips;
  }
  std::vector<double> kept;
  kept.reserve(kRoundTripsKept);
  for (std::size_t i = 0; i < kRoundTripsKept; ++i) {
    kept.push_back(trips[i * trips.size() / kRoundTripsKept]);
  }
  return kept;
}

// Runs measure repeat times into workload, or records why it cannot.
template <class Measure>
void repeat_into(SuiteRun &run, const std::string &workload, const std::string &name,
                 const Measure &measure) {
  for (int round = 0; round < run.request.repeat && !interrupted(); ++round) {
    auto values = measure();
    if (!values.ok()) {
      if (values.error().code == sdk::Errc::unavailable) {
        measurement_of(run.report, workload, name).unsupported = values.error().message;
      } else if (values.error().code != sdk::Errc::cancelled) {
        fail(run.report, workload, name, values.error().describe());
        fail_subject(run.report, name, workload + ": " + values.error().describe());
      }
      return;
    }
    for (double value : as_samples(*values)) {
      add_sample(run.report, workload, name, value);
    }
  }
}

void measure_traffic(SuiteRun &run, const std::string &name, const Sandbox &a, const Sandbox &b) {
  const double seconds = run.request.duration;
  const auto c2c = between(a, b);
  repeat_into(run, "tcp_stream_c2c", name, [&] { return tcp_stream(c2c, seconds, cancelled()); });
  TrafficPath c2h;
  c2h.client_netns = a.netns;
  c2h.connect_address = a.gateway.empty() ? "127.0.0.1" : a.gateway;
  repeat_into(run, "tcp_stream_c2h", name, [&] { return tcp_stream(c2h, seconds, cancelled()); });
  repeat_into(run, "tcp_rr", name, [&] { return tcp_round_trips(c2c, seconds, cancelled()); });
  if (b.published != 0) {
    TrafficPath published;
    published.server_netns = b.netns;
    published.listen_port = kServerPort;
    published.connect_address = "127.0.0.1";
    published.connect_port = b.published;
    repeat_into(run, "published_port", name,
                [&] { return tcp_stream(published, seconds, cancelled()); });
  }
  repeat_into(run, "iperf3_c2c", name, [&] { return iperf3_stream(c2c, seconds, cancelled()); });
}

void mark_unsupported(Report &report, const std::string &name, const std::string &why,
                      std::initializer_list<const char *> workloads) {
  for (const char *workload : workloads) {
    measurement_of(report, workload, name).unsupported = why;
  }
}

// Two sandboxes, the second publishing the server's port where the driver
// can; traffic between them and to the host.
void measure_paths(SuiteRun &run, NetworkService &service, const fs::path &root,
                   const std::string &name) {
  auto a = start_sandbox(service, root, false);
  auto b = start_sandbox(service, root, true);
  if (a.ok() && !b.ok() && b.error().code == sdk::Errc::unsupported) {
    // The driver cannot publish ports (host, none): the rest goes on without.
    mark_unsupported(run.report, name, "cannot publish ports: " + b.error().message,
                     {"published_port"});
    b = start_sandbox(service, root, false);
  }
  if (!a.ok() || !b.ok()) {
    const auto &error = !a.ok() ? a.error() : b.error();
    fail_subject(run.report, name, "sandbox: " + error.describe());
  } else if (!a->netns.empty() && a->address.empty()) {
    mark_unsupported(
        run.report, name, "its containers have loopback only",
        {"tcp_stream_c2c", "tcp_stream_c2h", "tcp_rr", "published_port", "iperf3_c2c"});
  } else {
    measure_traffic(run, name, *a, *b);
  }
  for (const auto *sandbox : {&a, &b}) {
    if (sandbox->ok()) {
      (void)service.teardown((*sandbox)->container);
      (void)service.forget((*sandbox)->container);
    }
  }
}

void measure_driver(SuiteRun &run, const BenchSubject &subject, std::uint64_t &step,
                    std::uint64_t total) {
  const auto root = run.scratch / ("network-" + subject.key);
  if (auto fresh = enter_fresh_network_namespace(); !fresh.ok()) {
    fail_subject(run.report, subject.name, fresh.error().describe());
    return;
  }
  try {
    auto service = open_service(run, subject, root);
    report_progress(run.progress, subject.name + ": attach + detach", ++step, total);
    measure_attach(run, *service, root, subject.name);
    report_progress(run.progress, subject.name + ": traffic", ++step, total);
    if (!interrupted()) {
      measure_paths(run, *service, root, subject.name);
    }
  } catch (const std::exception &e) {
    fail_subject(run.report, subject.name, e.what());
  }
}

// Two processes' worth of sockets on our own loopback: the ceiling.
void measure_loopback(SuiteRun &run) {
  if (auto fresh = enter_fresh_network_namespace(); !fresh.ok()) {
    fail_subject(run.report, kLoopback, fresh.error().describe());
    return;
  }
  Subject loopback;
  loopback.name = kLoopback;
  loopback.options = {{"address", "127.0.0.1"}};
  run.report.subjects.push_back(loopback);
  TrafficPath path;
  path.connect_address = "127.0.0.1";
  const double seconds = run.request.duration;
  repeat_into(run, "tcp_stream_c2c", kLoopback,
              [&] { return tcp_stream(path, seconds, cancelled()); });
  repeat_into(run, "tcp_rr", kLoopback,
              [&] { return tcp_round_trips(path, seconds, cancelled()); });
  repeat_into(run, "iperf3_c2c", kLoopback,
              [&] { return iperf3_stream(path, seconds, cancelled()); });
}

} // namespace

void run_network_suite(SuiteRun &run, const std::vector<BenchSubject> &subjects) {
  run.report.workloads = network_workloads();
  const auto total = static_cast<std::uint64_t>(subjects.size()) * 2 + 1;
  std::uint64_t step = 0;
  for (const auto &subject : subjects) {
    if (!interrupted()) {
      measure_driver(run, subject, step, total);
    }
  }
  if (!interrupted()) {
    report_progress(run.progress, "loopback", ++step, total);
    measure_loopback(run);
  }
}

} // namespace berth::bench
