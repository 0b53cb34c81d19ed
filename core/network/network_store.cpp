#include "network/network_store.hpp"

#include <nlohmann/json.hpp>

namespace berth {
namespace {

using json = nlohmann::json;

constexpr const char *kSchema =
    "CREATE TABLE IF NOT EXISTS networks (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, "
    "driver TEXT NOT NULL, record TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS network_members (container TEXT NOT NULL, network TEXT NOT NULL, "
    "aliases TEXT NOT NULL, ip TEXT NOT NULL, position INTEGER NOT NULL, "
    "PRIMARY KEY (container, network));"
    "CREATE TABLE IF NOT EXISTS sandboxes (container TEXT PRIMARY KEY, name TEXT NOT NULL, "
    "netns TEXT NOT NULL, hosts_file TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS endpoints (id TEXT PRIMARY KEY, network TEXT NOT NULL, "
    "container TEXT NOT NULL, plugin TEXT NOT NULL, plugin_file TEXT NOT NULL, "
    "request TEXT NOT NULL, result TEXT)";

json network_json(const NetworkRecord &r) {
  return {{"name", r.network.name},
          {"options", r.network.options},
          {"internal", r.network.internal},
          {"subnet", r.network.subnet},
          {"gateway", r.network.gateway},
          {"driverState", r.network.driver_state},
          {"labels", r.labels},
          {"created", r.created},
          {"predefined", r.predefined}};
}

NetworkRecord network_from_row(Statement &row) {
  const auto j = json::parse(row.text(3));
  NetworkRecord r;
  r.network.id = row.text(0);
  r.network.name = row.text(1);
  r.driver = row.text(2);
  r.network.options = j.value("options", json::object());
  r.network.internal = j.value("internal", false);
  r.network.subnet = j.value("subnet", "");
  r.network.gateway = j.value("gateway", "");
  r.network.driver_state = j.value("driverState", json::object());
  r.labels = j.value("labels", std::map<std::string, std::string>{});
  r.created = j.value("created", "");
  r.predefined = j.value("predefined", false);
  return r;
}

std::vector<NetworkRecord> network_rows(Statement query) {
  std::vector<NetworkRecord> out;
  while (query.step()) {
    out.push_back(network_from_row(query));
  }
  return out;
}

Membership member_from_row(Statement &row) {
  return {row.text(0), row.text(1), json::parse(row.text(2)).get<std::vector<std::string>>(),
          row.text(3), static_cast<int>(row.integer(4))};
}

std::vector<Membership> member_rows(Statement &query) {
  std::vector<Membership> out;
  while (query.step()) {
    out.push_back(member_from_row(query));
  }
  return out;
}

json endpoint_json(const sdk::Endpoint &e) {
  return {{"id", e.id},
          {"container", e.container},
          {"address", e.address},
          {"mac", e.mac},
          {"driverState", e.driver_state}};
}

sdk::Endpoint endpoint_from_json(const json &j) {
  return {j.value("id", ""), j.value("container", ""), j.value("address", ""), j.value("mac", ""),
          j.value("driverState", json::object())};
}

std::vector<EndpointRecord> endpoint_rows(Statement &query) {
  std::vector<EndpointRecord> out;
  while (query.step()) {
    EndpointRecord e;
    e.id = query.text(0);
    e.network_id = query.text(1);
    e.container = query.text(2);
    e.plugin = query.text(3);
    e.plugin_file = query.text(4);
    e.request = attach_request_from_json(json::parse(query.text(5)));
    const auto result = query.text(6);
    if (!result.empty()) {
      e.result = attach_result_from_json(json::parse(result));
    }
    out.push_back(std::move(e));
  }
  return out;
}

constexpr const char *kEndpointColumns =
    "SELECT id, network, container, plugin, plugin_file, request, COALESCE(result, '') "
    "FROM endpoints";

} // namespace

json to_json(const sdk::AttachRequest &r) {
  json ports = json::array();
  for (const auto &p : r.ports) {
    ports.push_back({{"hostIp", p.host_ip},
                     {"hostPort", p.host_port},
                     {"containerPort", p.container_port},
                     {"protocol", p.protocol}});
  }
  return {{"endpoint", endpoint_json(r.endpoint)},
          {"netns", r.netns_path},
          {"ifname", r.ifname},
          {"ports", ports},
          {"aliases", r.aliases}};
}

sdk::AttachRequest attach_request_from_json(const json &j) {
  sdk::AttachRequest r;
  r.endpoint = endpoint_from_json(j.value("endpoint", json::object()));
  r.netns_path = j.value("netns", "");
  r.ifname = j.value("ifname", "");
  for (const auto &p : j.value("ports", json::array())) {
    r.ports.push_back({p.value("hostIp", ""), p.value("hostPort", std::uint16_t{0}),
                       p.value("containerPort", std::uint16_t{0}), p.value("protocol", "tcp")});
  }
  r.aliases = j.value("aliases", std::vector<std::string>{});
  return r;
}

json to_json(const sdk::AttachResult &r) {
  json interfaces = json::array();
  for (const auto &i : r.interfaces) {
    interfaces.push_back({{"name", i.name}, {"mac", i.mac}, {"addresses", i.addresses}});
  }
  json routes = json::array();
  for (const auto &route : r.routes) {
    routes.push_back({{"destination", route.destination}, {"gateway", route.gateway}});
  }
  return {{"interfaces", interfaces},
          {"routes", routes},
          {"dnsServers", r.dns_servers},
          {"dnsSearch", r.dns_search},
          {"driverState", r.driver_state}};
}

sdk::AttachResult attach_result_from_json(const json &j) {
  sdk::AttachResult r;
  for (const auto &i : j.value("interfaces", json::array())) {
    r.interfaces.push_back({i.value("name", ""), i.value("mac", ""),
                            i.value("addresses", std::vector<std::string>{})});
  }
  for (const auto &route : j.value("routes", json::array())) {
    r.routes.push_back({route.value("destination", ""), route.value("gateway", "")});
  }
  r.dns_servers = j.value("dnsServers", std::vector<std::string>{});
  r.dns_search = j.value("dnsSearch", std::vector<std::string>{});
  r.driver_state = j.value("driverState", json::object());
  return r;
}

NetworkStore::NetworkStore(Database &db) : db_(db) {
  db_.write(kSchema);
}

sdk::Result<void> NetworkStore::insert_network(const NetworkRecord &record) {
  Transaction transaction(db_);
  db_.prepare("INSERT OR IGNORE INTO networks (id, name, driver, record) VALUES (?, ?, ?, ?)")
      .bind(1, record.network.id)
      .bind(2, record.network.name)
      .bind(3, record.driver)
      .bind(4, network_json(record).dump())
      .run();
  if (db_.changes() == 0) {
    return sdk::make_error(sdk::Errc::already_exists,
                           "network with name " + record.network.name +
                               " already exists; choose another name or remove it first "
                               "(berth network rm " +
                               record.network.name + ")",
                           record.network.name);
  }
  transaction.commit();
  return {};
}

void NetworkStore::update_network(const NetworkRecord &record) {
  Transaction transaction(db_);
  db_.prepare("UPDATE networks SET record = ? WHERE id = ?")
      .bind(1, network_json(record).dump())
      .bind(2, record.network.id)
      .run();
  transaction.commit();
}

void NetworkStore::remove_network(const std::string &id) {
  Transaction transaction(db_);
  db_.prepare("DELETE FROM networks WHERE id = ?").bind(1, id).run();
  transaction.commit();
}

std::vector<NetworkRecord> NetworkStore::networks() {
  return network_rows(db_.prepare("SELECT id, name, driver, record FROM networks ORDER BY name"));
}

std::optional<NetworkRecord> NetworkStore::network_by_name(const std::string &name) {
  auto query = db_.prepare("SELECT id, name, driver, record FROM networks WHERE name = ?");
  query.bind(1, name);
  if (!query.step()) {
    return std::nullopt;
  }
  return network_from_row(query);
}

std::optional<NetworkRecord> NetworkStore::network_by_id(const std::string &id) {
  auto query = db_.prepare("SELECT id, name, driver, record FROM networks WHERE id = ?");
  query.bind(1, id);
  if (!query.step()) {
    return std::nullopt;
  }
  return network_from_row(query);
}

void NetworkStore::add_membership(const Membership &m) {
  Transaction transaction(db_);
  db_.prepare("INSERT OR REPLACE INTO network_members (container, network, aliases, ip, position) "
              "VALUES (?, ?, ?, ?, COALESCE((SELECT MAX(position) + 1 FROM network_members "
              "WHERE container = ?1), 0))")
      .bind(1, m.container)
      .bind(2, m.network_id)
      .bind(3, json(m.aliases).dump())
      .bind(4, m.ip)
      .run();
  transaction.commit();
}

void NetworkStore::remove_membership(const std::string &container, const std::string &network_id) {
  Transaction transaction(db_);
  db_.prepare("DELETE FROM network_members WHERE container = ? AND network = ?")
      .bind(1, container)
      .bind(2, network_id)
      .run();
  transaction.commit();
}

void NetworkStore::remove_memberships(const std::string &container) {
  Transaction transaction(db_);
  db_.prepare("DELETE FROM network_members WHERE container = ?").bind(1, container).run();
  transaction.commit();
}

std::vector<Membership> NetworkStore::memberships_of(const std::string &container) {
  auto query = db_.prepare("SELECT container, network, aliases, ip, position FROM network_members "
                           "WHERE container = ? ORDER BY position");
  query.bind(1, container);
  return member_rows(query);
}

std::vector<Membership> NetworkStore::members_of(const std::string &network_id) {
  auto query = db_.prepare("SELECT container, network, aliases, ip, position FROM network_members "
                           "WHERE network = ? ORDER BY container");
  query.bind(1, network_id);
  return member_rows(query);
}

std::set<std::string> NetworkStore::containers() {
  std::set<std::string> out;
  auto query = db_.prepare("SELECT container FROM network_members UNION SELECT container FROM "
                           "sandboxes UNION SELECT container FROM endpoints");
  while (query.step()) {
    out.insert(query.text(0));
  }
  return out;
}

void NetworkStore::put_sandbox(const Sandbox &s) {
  Transaction transaction(db_);
  db_.prepare("INSERT OR REPLACE INTO sandboxes (container, name, netns, hosts_file) VALUES (?, ?, "
              "?, ?)")
      .bind(1, s.container)
      .bind(2, s.name)
      .bind(3, s.netns)
      .bind(4, s.hosts_file)
      .run();
  transaction.commit();
}

void NetworkStore::remove_sandbox(const std::string &container) {
  Transaction transaction(db_);
  db_.prepare("DELETE FROM sandboxes WHERE container = ?").bind(1, container).run();
  transaction.commit();
}

std::optional<Sandbox> NetworkStore::sandbox(const std::string &container) {
  auto query =
      db_.prepare("SELECT container, name, netns, hosts_file FROM sandboxes WHERE container = ?");
  query.bind(1, container);
  if (!query.step()) {
    return std::nullopt;
  }
  return Sandbox{query.text(0), query.text(1), query.text(2), query.text(3)};
}

void NetworkStore::put_endpoint(const EndpointRecord &e) {
  Transaction transaction(db_);
  auto statement = db_.prepare("INSERT OR REPLACE INTO endpoints (id, network, container, plugin, "
                               "plugin_file, request, result) VALUES (?, ?, ?, ?, ?, ?, ?)");
  statement.bind(1, e.id)
      .bind(2, e.network_id)
      .bind(3, e.container)
      .bind(4, e.plugin)
      .bind(5, e.plugin_file)
      .bind(6, to_json(e.request).dump())
      .bind(7, e.result ? to_json(*e.result).dump() : std::string());
  statement.run();
  transaction.commit();
}

void NetworkStore::remove_endpoint(const std::string &id) {
  Transaction transaction(db_);
  db_.prepare("DELETE FROM endpoints WHERE id = ?").bind(1, id).run();
  transaction.commit();
}

std::vector<EndpointRecord> NetworkStore::endpoints_of_container(const std::string &container) {
  auto query = db_.prepare(std::string(kEndpointColumns) + " WHERE container = ? ORDER BY rowid");
  query.bind(1, container);
  return endpoint_rows(query);
}

std::vector<EndpointRecord> NetworkStore::endpoints_of_network(const std::string &network_id) {
  auto query = db_.prepare(std::string(kEndpointColumns) + " WHERE network = ? ORDER BY rowid");
  query.bind(1, network_id);
  return endpoint_rows(query);
}

} // namespace berth
