#include "network/network_service.hpp"

#include "container/monitor.hpp"
#include "network/sandbox_io.hpp"
#include "plugin/host_services.hpp"
#include "plugin/registry.hpp"
#include "store/sqlite.hpp"
#include "util/error_context.hpp"
#include "util/file_lock.hpp"
#include "util/text.hpp"

#include <berth/sdk/ipv4.hpp>

#include <algorithm>
#include <regex>

namespace berth {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using sdk::Errc;
using sdk::make_error;

sdk::Result<void> check_network_name(const std::string &name) {
  static const std::regex valid("[a-zA-Z0-9][a-zA-Z0-9_.-]*");
  if (!std::regex_match(name, valid)) {
    return make_error(Errc::invalid_argument,
                      "invalid network name \"" + name +
                          "\": only [a-zA-Z0-9][a-zA-Z0-9_.-]* are allowed",
                      "network create");
  }
  return {};
}

std::string ifname_at(std::size_t index) {
  return "eth" + std::to_string(index);
}

std::string address_of(const EndpointRecord &endpoint) {
  return endpoint.request.endpoint.address;
}

} // namespace

struct NetworkService::Impl {
  NetworkEnvironment env;
  Database db;
  NetworkStore store;

  explicit Impl(NetworkEnvironment environment)
      : env(std::move(environment)), db(env.root / "berth.db", Durability::deferred), store(db) {}

  FileLock lock() { return FileLock(env.root / "network.lock"); }

  fs::path netns_file(const std::string &container) const { return env.root / "netns" / container; }

  const PredefinedNetwork *predefined(const std::string &name) const {
    auto found = std::find_if(env.predefined.begin(), env.predefined.end(),
                              [&](const PredefinedNetwork &p) { return p.name == name; });
    return found == env.predefined.end() ? nullptr : &*found;
  }

  sdk::Result<NetworkDriverHandle> driver_of(const NetworkRecord &record,
                                             const std::string &file = "") {
    auto handle = env.driver(record.driver, file);
    if (!handle.ok()) {
      return with_context(std::move(handle).error(), "network " + record.network.name);
    }
    return handle;
  }

  // Creates the network in the kernel (or repairs it) and stores the result.
  sdk::Result<NetworkRecord> realize(NetworkRecord record) {
    auto handle = driver_of(record);
    if (!handle.ok()) {
      return std::move(handle).error();
    }
    auto created = handle->driver->create_network(record.network);
    if (!created.ok()) {
      return with_context(std::move(created).error(), "network " + record.network.name);
    }
    record.network = std::move(created).value();
    return record;
  }

  sdk::Result<NetworkRecord> create_predefined(const PredefinedNetwork &definition) {
    NetworkRecord record;
    record.network.name = definition.name;
    record.network.id = random_hex_id();
    record.network.options = definition.options;
    record.network.subnet = definition.subnet;
    record.network.gateway = definition.gateway;
    record.network.internal = definition.internal;
    record.driver = definition.plugin;
    record.created = rfc3339_now();
    record.predefined = true;
    return insert_and_realize(record);
  }

  sdk::Result<NetworkRecord> insert_and_realize(const NetworkRecord &record) {
    if (auto inserted = store.insert_network(record); !inserted.ok()) {
      return std::move(inserted).error();
    }
    auto realized = realize(record);
    if (!realized.ok()) {
      if (auto handle = driver_of(record); handle.ok()) {
        (void)handle->driver->delete_network(record.network);
      }
      store.remove_network(record.network.id);
      return realized;
    }
    store.update_network(*realized);
    return realized;
  }

  sdk::Result<NetworkRecord> find(const std::string &reference) {
    if (auto record = store.network_by_name(reference)) {
      return *record;
    }
    if (const auto *definition = predefined(reference)) {
      return create_predefined(*definition);
    }
    std::vector<NetworkRecord> matches;
    for (auto &record : store.networks()) {
      if (!reference.empty() && record.network.id.rfind(reference, 0) == 0) {
        matches.push_back(std::move(record));
      }
    }
    if (matches.size() == 1) {
      return matches.front();
    }
    if (matches.size() > 1) {
      return make_error(Errc::invalid_argument,
                        "network id prefix " + reference +
                            " matches several networks; give more of the id or the name");
    }
    return make_error(Errc::not_found, "network " + reference +
                                           " not found; create it with berth network create " +
                                           reference + ", or see berth network ls");
  }

  // The interface names in use, so that a new endpoint takes the lowest free.
  std::string next_ifname(const std::string &container) {
    std::set<std::string> used;
    for (const auto &endpoint : store.endpoints_of_container(container)) {
      used.insert(endpoint.request.ifname);
    }
    for (std::size_t i = 0;; ++i) {
      if (!used.contains(ifname_at(i))) {
        return ifname_at(i);
      }
    }
  }

  sdk::Result<void> attach_one(const Sandbox &sandbox, const Membership &membership,
                               const std::vector<sdk::PortMapping> &ports) {
    auto network = store.network_by_id(membership.network_id);
    if (!network) {
      return make_error(Errc::not_found, "the network was removed; disconnect the container",
                        membership.network_id);
    }
    auto handle = driver_of(*network);
    if (!handle.ok()) {
      return std::move(handle).error();
    }
    sdk::Endpoint wanted{random_hex_id(), sandbox.container, membership.ip, "", json::object()};
    auto endpoint = handle->driver->create_endpoint(network->network, wanted);
    if (!endpoint.ok()) {
      return with_context(std::move(endpoint).error(), "network " + network->network.name);
    }
    EndpointRecord record;
    record.id = endpoint->id;
    record.network_id = network->network.id;
    record.container = sandbox.container;
    record.plugin = network->driver;
    record.plugin_file = handle->plugin_file;
    record.request = {*endpoint, sandbox.netns, next_ifname(sandbox.container), ports,
                      membership.aliases};
    // Recorded before the kernel changes, so that a crash in attach is
    // replayed by the next teardown.
    store.put_endpoint(record);
    auto attached = handle->driver->attach(network->network, record.request);
    if (!attached.ok()) {
      (void)handle->driver->detach(network->network, record.request, {});
      (void)handle->driver->delete_endpoint(network->network, *endpoint);
      store.remove_endpoint(record.id);
      return with_context(std::move(attached).error(), "network " + network->network.name);
    }
    record.result = std::move(attached).value();
    store.put_endpoint(record);
    return {};
  }

  sdk::Result<void> detach_one(const EndpointRecord &endpoint, bool namespace_closing) {
    auto network = store.network_by_id(endpoint.network_id);
    NetworkRecord record = network.value_or(NetworkRecord{});
    if (!network) {
      record.network.id = endpoint.network_id;
      record.driver = endpoint.plugin;
    }
    auto handle = driver_of(record, endpoint.plugin_file);
    if (!handle.ok()) {
      return std::move(handle).error();
    }
    auto request = endpoint.request;
    request.namespace_closing = namespace_closing;
    auto detached = handle->driver->detach(record.network, request,
                                           endpoint.result.value_or(sdk::AttachResult{}));
    if (!detached.ok()) {
      return with_context(std::move(detached).error(), "network " + record.network.name);
    }
    auto deleted = handle->driver->delete_endpoint(record.network, endpoint.request.endpoint);
    if (!deleted.ok()) {
      return with_context(std::move(deleted).error(), "network " + record.network.name);
    }
    store.remove_endpoint(endpoint.id);
    return {};
  }

  // Name resolution on user-defined networks: every running container on
  // one of them is in the /etc/hosts of every other (Docker's default
  // network resolves no names, and neither does berth's).
  std::vector<HostsEntry> peers_of(const std::string &container) {
    std::set<std::string> networks;
    for (const auto &endpoint : store.endpoints_of_container(container)) {
      auto record = store.network_by_id(endpoint.network_id);
      if (record && !record->predefined) {
        networks.insert(endpoint.network_id);
      }
    }
    std::vector<HostsEntry> peers;
    for (const auto &network : networks) {
      for (const auto &endpoint : store.endpoints_of_network(network)) {
        auto peer = store.sandbox(endpoint.container);
        if (endpoint.container == container || !peer || address_of(endpoint).empty()) {
          continue;
        }
        HostsEntry entry{address_of(endpoint), {peer->name}};
        entry.names.insert(entry.names.end(), endpoint.request.aliases.begin(),
                           endpoint.request.aliases.end());
        entry.names.push_back(endpoint.container.substr(0, 12));
        peers.push_back(std::move(entry));
      }
    }
    return peers;
  }

  // Rewrites the peers of container and of everyone sharing a network with it.
  void refresh_hosts(const std::set<std::string> &networks) {
    std::set<std::string> containers;
    for (const auto &network : networks) {
      for (const auto &endpoint : store.endpoints_of_network(network)) {
        containers.insert(endpoint.container);
      }
    }
    for (const auto &container : containers) {
      if (auto sandbox = store.sandbox(container)) {
        (void)rewrite_hosts_peers(sandbox->hosts_file, peers_of(container));
      }
    }
  }

  std::set<std::string> networks_of(const std::string &container) {
    std::set<std::string> networks;
    for (const auto &endpoint : store.endpoints_of_container(container)) {
      networks.insert(endpoint.network_id);
    }
    return networks;
  }

  sdk::Result<void> teardown_locked(const std::string &container) {
    const auto networks = networks_of(container);
    auto endpoints = store.endpoints_of_container(container);
    std::reverse(endpoints.begin(), endpoints.end());
    auto sandbox = store.sandbox(container);
    const bool closing = sandbox && !sandbox->netns.empty();
    sdk::Result<void> outcome;
    for (const auto &endpoint : endpoints) {
      if (auto detached = detach_one(endpoint, closing); !detached.ok() && outcome.ok()) {
        outcome = detached;
      }
    }
    if (closing) {
      if (auto removed = remove_netns(sandbox->netns); !removed.ok() && outcome.ok()) {
        outcome = removed;
      }
    }
    if (outcome.ok()) {
      store.remove_sandbox(container);
    }
    refresh_hosts(networks);
    return outcome;
  }

  sdk::Result<std::vector<BoundPort>> bind_ports(const std::vector<PublishedPort> &ports) {
    std::vector<BoundPort> bound;
    bound.reserve(ports.size());
    for (const auto &port : ports) {
      auto claimed = bind_host_port(port);
      if (!claimed.ok()) {
        return std::move(claimed).error();
      }
      bound.push_back(std::move(claimed).value());
    }
    return bound;
  }

  bool shares_host(const std::vector<Membership> &memberships) {
    for (const auto &membership : memberships) {
      auto record = store.network_by_id(membership.network_id);
      if (record) {
        auto handle = driver_of(*record);
        if (handle.ok() && !handle->driver->capabilities().needs_netns) {
          return true;
        }
      }
    }
    return false;
  }

  void write_hosts(const SandboxRequest &request) {
    std::vector<HostsEntry> own;
    for (const auto &endpoint : store.endpoints_of_container(request.container)) {
      if (!address_of(endpoint).empty()) {
        own.push_back({address_of(endpoint), {request.hostname}});
        if (request.name != request.hostname) {
          own.back().names.push_back(request.name);
        }
        break;
      }
    }
    if (own.empty()) {
      own.push_back({"127.0.1.1", {request.hostname}});
    }
    (void)write_in_place(request.hosts_file,
                         hosts_text(own, request.extra_hosts, peers_of(request.container)));
  }

  void write_resolv(const SandboxRequest &request) {
    if (request.custom_dns) {
      return;
    }
    for (const auto &endpoint : store.endpoints_of_container(request.container)) {
      if (endpoint.result && !endpoint.result->dns_servers.empty()) {
        std::string text;
        for (const auto &server : endpoint.result->dns_servers) {
          text += "nameserver " + server + "\n";
        }
        if (!endpoint.result->dns_search.empty()) {
          text += "search " + berth::join(endpoint.result->dns_search, " ") + "\n";
        }
        (void)write_in_place(request.resolv_file, text);
        return;
      }
    }
  }

  sdk::Result<SandboxSetup> setup_locked(const SandboxRequest &request) {
    const auto memberships = store.memberships_of(request.container);
    Sandbox sandbox{request.container, request.name, "", request.hosts_file.string()};
    if (!shares_host(memberships)) {
      sandbox.netns = netns_file(request.container).string();
      if (auto made = create_netns(sandbox.netns); !made.ok()) {
        return std::move(made).error();
      }
    }
    store.put_sandbox(sandbox);
    auto bound = bind_ports(request.ports);
    if (!bound.ok()) {
      return std::move(bound).error();
    }
    SandboxSetup setup;
    for (auto &port : *bound) {
      setup.ports.push_back(port.mapping);
      setup.port_sockets.push_back(std::move(port.socket));
    }
    bool ports_placed = false;
    for (const auto &membership : memberships) {
      const bool takes_ports = !ports_placed && supports_ports(membership.network_id);
      ports_placed = ports_placed || takes_ports;
      auto attached = attach_one(sandbox, membership,
                                 takes_ports ? setup.ports : std::vector<sdk::PortMapping>{});
      if (!attached.ok()) {
        return std::move(attached).error();
      }
    }
    write_hosts(request);
    write_resolv(request);
    refresh_hosts(networks_of(request.container));
    return setup;
  }

  bool supports_ports(const std::string &network_id) {
    auto record = store.network_by_id(network_id);
    if (!record) {
      return false;
    }
    auto handle = driver_of(*record);
    return handle.ok() && handle->driver->capabilities().supports_ports;
  }
};

NetworkService::NetworkService(NetworkEnvironment environment)
    : impl_(std::make_unique<Impl>(std::move(environment))) {}

NetworkService::~NetworkService() = default;

std::unique_ptr<NetworkService> NetworkService::for_monitor(const fs::path &root) {
  struct Loaded {
    PluginRegistry registry;
    std::map<std::string, NetworkDriverHandle> drivers;
  };
  auto loaded = std::make_shared<Loaded>();
  NetworkEnvironment environment;
  environment.root = root;
  environment.driver = [loaded, root](const std::string &plugin,
                                      const std::string &file) -> sdk::Result<NetworkDriverHandle> {
    if (auto cached = loaded->drivers.find(plugin); cached != loaded->drivers.end()) {
      return cached->second;
    }
    if (loaded->registry.find(plugin) == nullptr && !file.empty()) {
      loaded->registry.load_file(file);
    }
    auto host = std::make_shared<CoreHostServices>(plugin, root);
    auto driver = loaded->registry.create<sdk::NetworkDriver>(plugin, json::object(), host);
    if (!driver.ok()) {
      return std::move(driver).error();
    }
    NetworkDriverHandle handle{std::move(driver).value(), file};
    loaded->drivers.emplace(plugin, handle);
    return handle;
  };
  environment.validate_options = [](const std::string &plugin, const json &) -> sdk::Result<json> {
    return make_error(Errc::unsupported, "a monitor creates no networks", plugin);
  };
  return std::make_unique<NetworkService>(std::move(environment));
}

bool NetworkService::has_networks() const noexcept {
  return !impl_->env.predefined.empty();
}

sdk::Result<NetworkRecord> NetworkService::create(const NetworkCreateRequest &request) {
  if (auto valid = check_network_name(request.name); !valid.ok()) {
    return std::move(valid).error();
  }
  if (impl_->predefined(request.name) != nullptr) {
    return make_error(Errc::already_exists,
                      "network with name " + request.name +
                          " already exists: it is defined by the stack file; choose another name",
                      request.name);
  }
  const auto *fallback = impl_->predefined(impl_->env.default_network);
  const auto plugin =
      !request.driver.empty() ? request.driver : (fallback != nullptr ? fallback->plugin : "");
  json options = json::object();
  for (const auto &[key, value] : request.options) {
    options[key] = option_from_text(value);
  }
  auto validated = impl_->env.validate_options(plugin, options);
  if (!validated.ok()) {
    return with_context(std::move(validated).error(), "network create " + request.name);
  }
  if (!request.subnet.empty()) {
    if (auto subnet = sdk::Ipv4Subnet::parse(request.subnet); !subnet.ok()) {
      return std::move(subnet).error();
    }
  }
  NetworkRecord record;
  record.network = {request.name,   random_hex_id(), *validated,    request.internal,
                    request.subnet, request.gateway, json::object()};
  record.driver = plugin;
  record.labels = request.labels;
  record.created = rfc3339_now();
  try {
    auto guard = impl_->lock();
    return impl_->insert_and_realize(record);
  } catch (const std::exception &e) {
    return make_error(Errc::io, e.what(), request.name);
  }
}

sdk::Result<std::vector<NetworkRecord>> NetworkService::list() {
  try {
    auto guard = impl_->lock();
    for (const auto &definition : impl_->env.predefined) {
      if (!impl_->store.network_by_name(definition.name)) {
        if (auto made = impl_->create_predefined(definition); !made.ok()) {
          return std::move(made).error();
        }
      }
    }
    return impl_->store.networks();
  } catch (const std::exception &e) {
    return make_error(Errc::io, e.what());
  }
}

sdk::Result<NetworkRecord> NetworkService::find(const std::string &reference) {
  try {
    auto guard = impl_->lock();
    return impl_->find(reference);
  } catch (const std::exception &e) {
    return make_error(Errc::io, e.what(), reference);
  }
}

sdk::Result<json> NetworkService::inspect(const std::string &reference) {
  auto found = find(reference);
  if (!found.ok()) {
    return std::move(found).error();
  }
  const auto &n = found->network;
  json containers = json::object();
  for (const auto &endpoint : impl_->store.endpoints_of_network(n.id)) {
    auto sandbox = impl_->store.sandbox(endpoint.container);
    auto subnet = sdk::Ipv4Subnet::parse(n.subnet);
    const auto address = address_of(endpoint);
    containers[endpoint.container] = {
        {"Name", sandbox ? sandbox->name : ""},
        {"EndpointID", endpoint.id},
        {"MacAddress", endpoint.request.endpoint.mac},
        {"IPv4Address",
         address.empty() || !subnet.ok() ? address : subnet->cidr_of(*sdk::Ipv4::parse(address))},
        {"Aliases", endpoint.request.aliases}};
  }
  json config = json::array();
  if (!n.subnet.empty()) {
    config.push_back({{"Subnet", n.subnet}, {"Gateway", n.gateway}});
  }
  return json{{"Name", n.name},
              {"Id", n.id},
              {"Created", found->created},
              {"Scope", "local"},
              {"Driver", found->driver},
              {"Internal", n.internal},
              {"IPAM", {{"Driver", "default"}, {"Config", config}}},
              {"Options", n.options},
              {"Labels", found->labels},
              {"Predefined", found->predefined},
              {"Containers", containers}};
}

sdk::Result<void> NetworkService::remove(const std::string &reference) {
  try {
    auto guard = impl_->lock();
    auto found = impl_->find(reference);
    if (!found.ok()) {
      return std::move(found).error();
    }
    const auto &n = found->network;
    if (found->predefined) {
      return make_error(Errc::invalid_argument,
                        n.name + " is a pre-defined network and cannot be removed", n.name);
    }
    const auto members = impl_->store.members_of(n.id);
    if (!members.empty()) {
      std::vector<std::string> names;
      names.reserve(members.size());
      for (const auto &member : members) {
        names.push_back(member.container.substr(0, 12));
      }
      return make_error(Errc::busy,
                        "network " + n.name + " is in use by " + std::to_string(names.size()) +
                            " container(s) (" + berth::join(names, ", ") +
                            "); disconnect or remove them first",
                        n.name);
    }
    auto handle = impl_->driver_of(*found);
    if (!handle.ok()) {
      return std::move(handle).error();
    }
    if (auto deleted = handle->driver->delete_network(n); !deleted.ok()) {
      return with_context(std::move(deleted).error(), "network " + n.name);
    }
    impl_->store.remove_network(n.id);
    return {};
  } catch (const std::exception &e) {
    return make_error(Errc::io, e.what(), reference);
  }
}

sdk::Result<std::vector<std::string>> NetworkService::prune() {
  if (auto collected = gc(); !collected.ok()) {
    return std::move(collected).error();
  }
  auto networks = list();
  if (!networks.ok()) {
    return std::move(networks).error();
  }
  std::vector<std::string> removed;
  for (const auto &record : *networks) {
    if (record.predefined || !impl_->store.members_of(record.network.id).empty()) {
      continue;
    }
    if (auto gone = remove(record.network.id); !gone.ok()) {
      return std::move(gone).error();
    }
    removed.push_back(record.network.name);
  }
  return removed;
}

sdk::Result<NetworkPlacement> NetworkService::join(const std::string &container,
                                                   const std::string &network,
                                                   const std::vector<std::string> &aliases,
                                                   const std::string &ip, bool publishes_ports) {
  try {
    auto guard = impl_->lock();
    const auto name = network.empty() ? impl_->env.default_network : network;
    auto found = impl_->find(name);
    if (!found.ok()) {
      return with_context(std::move(found).error(), "--network");
    }
    auto handle = impl_->driver_of(*found);
    if (!handle.ok()) {
      return std::move(handle).error();
    }
    const auto capabilities = handle->driver->capabilities();
    if (publishes_ports && !capabilities.supports_ports) {
      return make_error(Errc::invalid_argument,
                        "network " + name + " (driver " + found->driver +
                            ") cannot publish ports; drop -p/-P or use a bridge network",
                        "--publish");
    }
    if ((!ip.empty() || !aliases.empty()) && !capabilities.provides_address) {
      return make_error(Errc::invalid_argument,
                        "network " + name + " (driver " + found->driver +
                            ") gives containers no address; drop --ip/--network-alias",
                        "--network");
    }
    if (!ip.empty()) {
      auto subnet = sdk::Ipv4Subnet::parse(found->network.subnet);
      auto address = sdk::Ipv4::parse(ip);
      if (!subnet.ok() || !address || !subnet->is_host(*address)) {
        return make_error(Errc::invalid_argument,
                          "address " + ip + " is not in network " + name + "'s subnet " +
                              found->network.subnet + "; choose one inside it",
                          "--ip");
      }
    }
    for (const auto &member : impl_->store.memberships_of(container)) {
      if (member.network_id == found->network.id) {
        return make_error(Errc::already_exists,
                          "the container is already connected to network " + name, name);
      }
    }
    impl_->store.add_membership({container, found->network.id, aliases, ip, 0});
    NetworkPlacement placement;
    placement.host = !capabilities.needs_netns;
    if (!placement.host) {
      placement.netns = impl_->netns_file(container).string();
    }
    return placement;
  } catch (const std::exception &e) {
    return make_error(Errc::io, e.what(), network);
  }
}

sdk::Result<void> NetworkService::leave(const std::string &container, const std::string &network) {
  try {
    auto guard = impl_->lock();
    auto found = impl_->find(network);
    if (!found.ok()) {
      return std::move(found).error();
    }
    const auto members = impl_->store.memberships_of(container);
    const bool member = std::any_of(members.begin(), members.end(), [&](const Membership &m) {
      return m.network_id == found->network.id;
    });
    if (!member) {
      return make_error(Errc::not_found,
                        "the container is not connected to network " + found->network.name,
                        found->network.name);
    }
    impl_->store.remove_membership(container, found->network.id);
    return {};
  } catch (const std::exception &e) {
    return make_error(Errc::io, e.what(), network);
  }
}

sdk::Result<void> NetworkService::forget(const std::string &container) {
  auto torn = teardown(container);
  try {
    impl_->store.remove_memberships(container);
  } catch (const std::exception &e) {
    return make_error(Errc::io, e.what(), container);
  }
  return torn;
}

sdk::Result<std::set<std::string>> NetworkService::containers() {
  try {
    return impl_->store.containers();
  } catch (const std::exception &e) {
    return make_error(Errc::io, e.what(), "network records");
  }
}

sdk::Result<SandboxSetup> NetworkService::setup(const SandboxRequest &request) {
  try {
    auto guard = impl_->lock();
    // Whatever an earlier run left (a crash between setup and teardown).
    (void)impl_->teardown_locked(request.container);
    auto setup = impl_->setup_locked(request);
    if (!setup.ok()) {
      (void)impl_->teardown_locked(request.container);
    }
    return setup;
  } catch (const std::exception &e) {
    (void)teardown(request.container);
    return make_error(Errc::io, e.what(), request.name);
  }
}

sdk::Result<void> NetworkService::teardown(const std::string &container) {
  try {
    auto guard = impl_->lock();
    return impl_->teardown_locked(container);
  } catch (const std::exception &e) {
    return make_error(Errc::io, e.what(), container);
  }
}

sdk::Result<void> NetworkService::attach_running(const std::string &container,
                                                 const std::string &network) {
  try {
    auto guard = impl_->lock();
    auto sandbox = impl_->store.sandbox(container);
    auto found = impl_->find(network);
    if (!sandbox || !found.ok()) {
      return found.ok() ? make_error(Errc::invalid_argument, "the container is not running")
                        : std::move(found).error();
    }
    for (const auto &membership : impl_->store.memberships_of(container)) {
      if (membership.network_id == found->network.id) {
        if (auto attached = impl_->attach_one(*sandbox, membership, {}); !attached.ok()) {
          return attached;
        }
      }
    }
    impl_->refresh_hosts(impl_->networks_of(container));
    return {};
  } catch (const std::exception &e) {
    return make_error(Errc::io, e.what(), network);
  }
}

sdk::Result<void> NetworkService::detach_running(const std::string &container,
                                                 const std::string &network) {
  try {
    auto guard = impl_->lock();
    auto found = impl_->find(network);
    if (!found.ok()) {
      return std::move(found).error();
    }
    const auto networks = impl_->networks_of(container);
    for (const auto &endpoint : impl_->store.endpoints_of_container(container)) {
      if (endpoint.network_id == found->network.id) {
        if (auto detached = impl_->detach_one(endpoint, false); !detached.ok()) {
          return detached;
        }
      }
    }
    impl_->refresh_hosts(networks);
    return {};
  } catch (const std::exception &e) {
    return make_error(Errc::io, e.what(), network);
  }
}

std::vector<sdk::PortMapping> NetworkService::ports(const std::string &container) {
  std::vector<sdk::PortMapping> out;
  for (const auto &endpoint : impl_->store.endpoints_of_container(container)) {
    out.insert(out.end(), endpoint.request.ports.begin(), endpoint.request.ports.end());
  }
  return out;
}

namespace {

// Docker names a container on a user-defined network by its short id too,
// and docker-compose 1.29 reconnects a container whose aliases lack it.
std::vector<std::string> shown_aliases(std::vector<std::string> aliases,
                                       const NetworkRecord &record, const std::string &container) {
  if (!record.predefined && container.size() >= 12) {
    aliases.push_back(container.substr(0, 12));
  }
  return aliases;
}

} // namespace

json NetworkService::settings(const std::string &container) {
  json networks = json::object();
  for (const auto &endpoint : impl_->store.endpoints_of_container(container)) {
    auto record = impl_->store.network_by_id(endpoint.network_id);
    if (!record) {
      continue;
    }
    auto subnet = sdk::Ipv4Subnet::parse(record->network.subnet);
    networks[record->network.name] = {
        {"NetworkID", endpoint.network_id},
        {"EndpointID", endpoint.id},
        {"IPAddress", address_of(endpoint)},
        {"IPPrefixLen", subnet.ok() && !address_of(endpoint).empty() ? subnet->prefix : 0},
        {"Gateway", address_of(endpoint).empty() ? "" : record->network.gateway},
        {"MacAddress", endpoint.request.endpoint.mac},
        {"Aliases", shown_aliases(endpoint.request.aliases, *record, container)},
        {"InterfaceName", endpoint.request.ifname}};
  }
  // Not running: the networks it will join, without addresses (as Docker
  // shows a created container).
  for (const auto &membership : impl_->store.memberships_of(container)) {
    auto record = impl_->store.network_by_id(membership.network_id);
    if (!record || networks.contains(record->network.name)) {
      continue;
    }
    networks[record->network.name] = {
        {"NetworkID", membership.network_id},
        {"EndpointID", ""},
        {"IPAddress", ""},
        {"IPPrefixLen", 0},
        {"Gateway", ""},
        {"MacAddress", ""},
        {"IPAMConfig", membership.ip.empty() ? json() : json{{"IPv4Address", membership.ip}}},
        {"Aliases", shown_aliases(membership.aliases, *record, container)}};
  }
  json ports = json::object();
  for (const auto &port : this->ports(container)) {
    ports[std::to_string(port.container_port) + "/" + port.protocol].push_back(
        {{"HostIp", port.host_ip.empty() ? "0.0.0.0" : port.host_ip},
         {"HostPort", std::to_string(port.host_port)}});
  }
  auto sandbox = impl_->store.sandbox(container);
  // Docker's top-level address fields describe the container on the network
  // named bridge (empty elsewhere), so `inspect -f
  // '{{.NetworkSettings.IPAddress}}'` answers as scripts expect.
  const auto bridge = networks.value("bridge", json::object());
  return {{"Networks", networks},
          {"Ports", ports},
          {"SandboxKey", sandbox ? sandbox->netns : ""},
          {"IPAddress", bridge.value("IPAddress", "")},
          {"IPPrefixLen", bridge.value("IPPrefixLen", 0)},
          {"Gateway", bridge.value("Gateway", "")},
          {"MacAddress", bridge.value("MacAddress", "")}};
}

sdk::Result<void> NetworkService::gc() {
  try {
    auto guard = impl_->lock();
    for (const auto &record : impl_->store.networks()) {
      std::vector<std::string> known;
      for (const auto &endpoint : impl_->store.endpoints_of_network(record.network.id)) {
        known.push_back(endpoint.id);
      }
      auto handle = impl_->driver_of(record);
      if (handle.ok()) {
        (void)handle->driver->gc(record.network, known);
      }
    }
    return {};
  } catch (const std::exception &e) {
    return make_error(Errc::io, e.what(), "network gc");
  }
}

} // namespace berth
