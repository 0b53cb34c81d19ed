// X.509 with OpenSSL 3: the cluster CA and the API server's serving
// certificate. EC P-256 keys, SHA-256 signatures, positive random serials
// (Go's crypto/x509, which kubectl uses, rejects negative ones).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace berth::cluster::api {

// Writes content to path with mode 0600, atomically (temporary + rename).
void write_private_file(const std::filesystem::path &path, std::string_view content);

// A self-signed CA valid for 10 years: certificate (0644) and key (0600).
void make_certificate_authority(const std::filesystem::path &certificate,
                                const std::filesystem::path &key);

// A serving certificate valid for 1 year signed by the CA, with every host
// (an IP address or a DNS name) as a subject alternative name.
void make_serving_certificate(const std::filesystem::path &ca_certificate,
                              const std::filesystem::path &ca_key,
                              const std::vector<std::string> &hosts,
                              const std::filesystem::path &certificate,
                              const std::filesystem::path &key);

// True when the certificate names every host (IP address or DNS name).
bool certificate_covers(const std::filesystem::path &certificate,
                        const std::vector<std::string> &hosts);

} // namespace berth::cluster::api
