#include "cluster/api/credentials.hpp"

#include "cluster/api/certificates.hpp"
#include "http/base64.hpp"
#include "util/private_dir.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace berth::cluster::api {
namespace fs = std::filesystem;

namespace {

std::string read_whole(const fs::path &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error(path.string() + ": cannot read");
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string random_token() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
    throw std::runtime_error("cannot make a token: the OpenSSL random generator failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string token;
  for (const unsigned char byte : bytes) {
    token.push_back(kHex[byte >> 4U]);
    token.push_back(kHex[byte & 0xfU]);
  }
  return token;
}

// Loads a token file, or makes one (0600) when it is absent.
std::string ensure_token(const fs::path &path) {
  if (fs::exists(path)) {
    std::string token = read_whole(path);
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) {
      token.pop_back();
    }
    if (token.empty()) {
      throw std::runtime_error(path.string() + ": empty token file; remove it to make a new one");
    }
    return token;
  }
  std::string token = random_token();
  write_private_file(path, token + "\n");
  return token;
}

void ensure_private_dir(const fs::path &dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    throw std::runtime_error(dir.string() + ": cannot create: " + ec.message());
  }
  if (::chmod(dir.c_str(), 0700) != 0) {
    throw std::runtime_error(dir.string() + ": cannot make it private (chmod 0700)");
  }
}

} // namespace

void write_private_file(const fs::path &path, std::string_view content) {
  // A crash leaves the old file or the new one, never half of one.
  if (auto written = write_file_atomically(path, content, 0600, true); !written.ok()) {
    throw std::runtime_error(written.error().describe() + ": cannot write the file");
  }
}

Credentials ensure_credentials(const fs::path &data_dir,
                               const std::vector<std::string> &server_hosts) {
  ensure_private_dir(data_dir);
  const fs::path pki = data_dir / "pki";
  ensure_private_dir(pki);
  Credentials credentials;
  credentials.ca_certificate = pki / "ca.crt";
  credentials.server_certificate = pki / "server.crt";
  credentials.server_key = pki / "server.key";
  const fs::path ca_key = pki / "ca.key";
  if (!fs::exists(credentials.ca_certificate) || !fs::exists(ca_key)) {
    make_certificate_authority(credentials.ca_certificate, ca_key);
  }
  std::vector<std::string> hosts{"127.0.0.1", "localhost"};
  hosts.insert(hosts.end(), server_hosts.begin(), server_hosts.end());
  // A restart on another --listen host gets a serving certificate that names
  // it, from the same CA, so existing kubeconfigs stay valid.
  if (!fs::exists(credentials.server_certificate) || !fs::exists(credentials.server_key) ||
      !certificate_covers(credentials.server_certificate, hosts)) {
    make_serving_certificate(credentials.ca_certificate, ca_key, hosts,
                             credentials.server_certificate, credentials.server_key);
  }
  credentials.admin_token = ensure_token(pki / "admin.token");
  credentials.join_token = ensure_token(pki / "join.token");
  return credentials;
}

fs::path write_kubeconfig(const fs::path &data_dir, const Credentials &credentials,
                          const std::string &server_url) {
  const std::string ca = http::base64_encode(read_whole(credentials.ca_certificate));
  std::ostringstream yaml;
  yaml << "apiVersion: v1\n"
       << "kind: Config\n"
       << "clusters:\n"
       << "- name: berth\n"
       << "  cluster:\n"
       << "    server: " << server_url << "\n"
       << "    certificate-authority-data: " << ca << "\n"
       << "users:\n"
       << "- name: admin\n"
       << "  user:\n"
       << "    token: " << credentials.admin_token << "\n"
       << "contexts:\n"
       << "- name: berth\n"
       << "  context:\n"
       << "    cluster: berth\n"
       << "    user: admin\n"
       << "current-context: berth\n";
  fs::path path = data_dir / "kubeconfig.yaml";
  write_private_file(path, yaml.str());
  return path;
}

bool tokens_equal(std::string_view presented, std::string_view expected) {
  if (presented.size() != expected.size() || expected.empty()) {
    return false;
  }
  return CRYPTO_memcmp(presented.data(), expected.data(), expected.size()) == 0;
}

} // namespace berth::cluster::api
