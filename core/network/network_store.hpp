// Networks, container memberships, sandboxes and endpoints in root/berth.db.
//
// A membership is what a container asked for (run --network, network
// connect) and lasts as long as the container. A sandbox is a running
// container's network namespace with its settings; an endpoint is one
// attachment of a sandbox to a network, stored with the driver's result
// before and after attach, so that teardown can replay it after a crash.
#pragma once

#include "store/sqlite.hpp"

#include <berth/sdk/network.hpp>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace berth {

struct NetworkRecord {
  sdk::Network network; // name, id, options, internal, subnet, gateway, driver state
  std::string driver;   // the plugin
  std::map<std::string, std::string> labels;
  std::string created;     // RFC 3339
  bool predefined = false; // named in the stack file: created on first use, never removed
};

struct Membership {
  std::string container;
  std::string network_id;
  std::vector<std::string> aliases;
  std::string ip;   // --ip; "" for any
  int position = 0; // interface order: eth0 for the first network joined
};

struct Sandbox {
  std::string container;
  std::string name;  // the container's name, for peers' /etc/hosts
  std::string netns; // bind-mounted namespace file; "" for the host's
  std::string hosts_file;
};

struct EndpointRecord {
  std::string id;
  std::string network_id;
  std::string container;
  std::string plugin;
  std::string plugin_file; // so that a monitor can detach without the stack
  sdk::AttachRequest request;
  std::optional<sdk::AttachResult> result; // none until attach returned
};

class NetworkStore {
public:
  explicit NetworkStore(Database &db);

  sdk::Result<void> insert_network(const NetworkRecord &record);
  void update_network(const NetworkRecord &record);
  void remove_network(const std::string &id);
  std::vector<NetworkRecord> networks();
  std::optional<NetworkRecord> network_by_name(const std::string &name);
  std::optional<NetworkRecord> network_by_id(const std::string &id);

  void add_membership(const Membership &membership);
  void remove_membership(const std::string &container, const std::string &network_id);
  void remove_memberships(const std::string &container);
  std::vector<Membership> memberships_of(const std::string &container);
  std::vector<Membership> members_of(const std::string &network_id);
  // Every container a membership, sandbox or endpoint names.
  std::set<std::string> containers();

  void put_sandbox(const Sandbox &sandbox);
  void remove_sandbox(const std::string &container);
  std::optional<Sandbox> sandbox(const std::string &container);

  void put_endpoint(const EndpointRecord &endpoint);
  void remove_endpoint(const std::string &id);
  std::vector<EndpointRecord> endpoints_of_container(const std::string &container);
  std::vector<EndpointRecord> endpoints_of_network(const std::string &network_id);

private:
  Database &db_;
};

nlohmann::json to_json(const sdk::AttachRequest &request);
sdk::AttachRequest attach_request_from_json(const nlohmann::json &json);
nlohmann::json to_json(const sdk::AttachResult &result);
sdk::AttachResult attach_result_from_json(const nlohmann::json &json);

} // namespace berth
