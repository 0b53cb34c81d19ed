// The API server's security material, made on first start and reused after:
// a CA, a serving certificate signed by it, an admin bearer token and a join
// token for node agents, all under DATA_DIR/pki (0700, files 0600 except the
// certificates), and DATA_DIR/kubeconfig.yaml (0600) for kubectl.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace berth::cluster::api {

struct Credentials {
  std::filesystem::path ca_certificate;     // pki/ca.crt
  std::filesystem::path server_certificate; // pki/server.crt
  std::filesystem::path server_key;         // pki/server.key
  std::string admin_token;
  std::string join_token;
};

// Makes what is missing under data_dir and loads the rest. server_hosts are
// the names and IP addresses the serving certificate must carry (127.0.0.1
// and localhost are always added). Throws std::runtime_error naming the file.
Credentials ensure_credentials(const std::filesystem::path &data_dir,
                               const std::vector<std::string> &server_hosts);

// Writes data_dir/kubeconfig.yaml (0600): cluster "berth" at server_url with
// the CA inline, user "admin" with the admin token.
std::filesystem::path write_kubeconfig(const std::filesystem::path &data_dir,
                                       const Credentials &credentials,
                                       const std::string &server_url);

// Compares in time that depends only on the lengths, so a client cannot learn
// a token byte by byte from response times.
bool tokens_equal(std::string_view presented, std::string_view expected);

} // namespace berth::cluster::api
