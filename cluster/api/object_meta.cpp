#include "cluster/api/object_meta.hpp"

#include <openssl/rand.h>

#include <ctime>
#include <regex>
#include <stdexcept>

namespace berth::cluster::api {
namespace {

void random_bytes(unsigned char *bytes, int size) {
  if (RAND_bytes(bytes, size) != 1) {
    throw std::runtime_error("the OpenSSL random generator failed");
  }
}

} // namespace

std::string make_uid() {
  unsigned char bytes[16];
  random_bytes(bytes, sizeof(bytes));
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0fU) | 0x40U); // version 4
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3fU) | 0x80U); // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string uid;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) {
      uid.push_back('-');
    }
    uid.push_back(kHex[bytes[i] >> 4U]);
    uid.push_back(kHex[bytes[i] & 0xfU]);
  }
  return uid;
}

std::string random_name_suffix() {
  // Kubernetes leaves out vowels and look-alikes so that no words appear.
  static constexpr char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  unsigned char bytes[5];
  random_bytes(bytes, sizeof(bytes));
  std::string suffix;
  for (const unsigned char byte : bytes) {
    suffix.push_back(kAlphabet[byte % (sizeof(kAlphabet) - 1)]);
  }
  return suffix;
}

std::string format_timestamp(std::chrono::system_clock::time_point time) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

std::chrono::system_clock::time_point parse_timestamp(const std::string &text) {
  std::tm utc{};
  if (strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &utc) == nullptr) {
    return std::chrono::system_clock::now();
  }
  return std::chrono::system_clock::from_time_t(timegm(&utc));
}

std::string human_duration(std::chrono::seconds age) {
  const auto seconds = age.count();
  if (seconds < 0) {
    return "0s";
  }
  const auto minutes = seconds / 60;
  const auto hours = seconds / 3600;
  const auto days = hours / 24;
  const auto years = days / 365;
  const auto with = [](long long big, const char *big_unit, long long small,
                       const char *small_unit) {
    std::string text = std::to_string(big) + big_unit;
    return small == 0 ? text : text + std::to_string(small) + small_unit;
  };
  if (seconds < 120) {
    return std::to_string(seconds) + "s";
  }
  if (minutes < 10) {
    return with(minutes, "m", seconds % 60, "s");
  }
  if (minutes < 180) {
    return std::to_string(minutes) + "m";
  }
  if (hours < 8) {
    return with(hours, "h", minutes % 60, "m");
  }
  if (hours < 48) {
    return std::to_string(hours) + "h";
  }
  if (hours < 24L * 8) {
    return with(days, "d", hours % 24, "h");
  }
  if (days < 365L * 2) {
    return std::to_string(days) + "d";
  }
  if (years < 8) {
    return with(years, "y", days % 365, "d");
  }
  return std::to_string(years) + "y";
}

std::string check_dns_label(const std::string &name) {
  static const std::regex label_pattern("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  if (name.size() > 63) {
    return "must be no more than 63 characters";
  }
  if (!std::regex_match(name, label_pattern)) {
    return "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or "
           "'-', and must start and end with an alphanumeric character (e.g. 'my-name',  or "
           "'123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
  }
  return {};
}

std::string check_dns_subdomain(const std::string &name) {
  static const std::regex subdomain_pattern(
      "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  if (name.size() > 253) {
    return "must be no more than 253 characters";
  }
  if (!std::regex_match(name, subdomain_pattern)) {
    return "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
           "'-' or '.', and must start and end with an alphanumeric character (e.g. "
           "'example.com', regex used for validation is "
           "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
  }
  return {};
}

std::map<std::string, std::string> labels_of(const nlohmann::json &object) {
  std::map<std::string, std::string> labels;
  const auto metadata = object.find("metadata");
  if (metadata == object.end() || !metadata->is_object()) {
    return labels;
  }
  const auto found = metadata->find("labels");
  if (found == metadata->end() || !found->is_object()) {
    return labels;
  }
  for (const auto &[key, value] : found->items()) {
    if (value.is_string()) {
      labels[key] = value.get<std::string>();
    }
  }
  return labels;
}

std::string name_of(const nlohmann::json &object) {
  const auto metadata = object.find("metadata");
  if (metadata == object.end() || !metadata->is_object()) {
    return {};
  }
  const auto name = metadata->find("name");
  return name != metadata->end() && name->is_string() ? name->get<std::string>() : std::string();
}

} // namespace berth::cluster::api
