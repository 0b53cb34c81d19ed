// ObjectMeta chores shared by every kind: names, uids, timestamps, labels,
// and the ages kubectl shows.
#pragma once

#include "cluster/api/status.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <string>

namespace berth::cluster::api {

// A random (version 4) UUID, as Kubernetes gives metadata.uid.
std::string make_uid();
// RFC 3339 in UTC to the second: "2026-12-07T22:42:43Z".
std::string format_timestamp(std::chrono::system_clock::time_point time);
std::chrono::system_clock::time_point parse_timestamp(const std::string &text);
// kubectl's AGE column: "45s", "5m30s", "3h", "12d", as Kubernetes rounds it.
std::string human_duration(std::chrono::seconds age);
// The suffix generateName gets: five characters of [b-df-hj-np-tv-z2-9].
std::string random_name_suffix();

// "" when name is a DNS-1123 label (namespaces) / subdomain (most objects),
// else what is wrong with it, in Kubernetes' words.
std::string check_dns_label(const std::string &name);
std::string check_dns_subdomain(const std::string &name);

std::map<std::string, std::string> labels_of(const nlohmann::json &object);
std::string name_of(const nlohmann::json &object);

} // namespace berth::cluster::api
