#include "cluster/api/certificates.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>

#include <fstream>
#include <functional>
#include <memory>
#include <stdexcept>

namespace berth::cluster::api {
namespace fs = std::filesystem;

namespace {

struct FreeKey {
  void operator()(EVP_PKEY *key) const { EVP_PKEY_free(key); }
};
struct FreeCertificate {
  void operator()(X509 *certificate) const { X509_free(certificate); }
};
struct FreeBio {
  void operator()(BIO *bio) const { BIO_free(bio); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, FreeKey>;
using CertificatePtr = std::unique_ptr<X509, FreeCertificate>;
using BioPtr = std::unique_ptr<BIO, FreeBio>;

[[noreturn]] void fail(const std::string &what) {
  throw std::runtime_error("cannot make the API server's certificates: " + what);
}

KeyPtr make_key() {
  KeyPtr key(EVP_EC_gen("P-256"));
  if (!key) {
    fail("EC key generation failed");
  }
  return key;
}

std::string to_pem(const std::function<int(BIO *)> &write) {
  const BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || write(bio.get()) != 1) {
    fail("PEM encoding failed");
  }
  char *data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return {data, static_cast<std::size_t>(size)};
}

void save(const fs::path &certificate_path, X509 *certificate, const fs::path &key_path,
          EVP_PKEY *key) {
  write_private_file(key_path, to_pem([&](BIO *bio) {
                       return PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr,
                                                       nullptr);
                     }));
  const std::string pem = to_pem([&](BIO *bio) { return PEM_write_bio_X509(bio, certificate); });
  std::ofstream out(certificate_path, std::ios::binary | std::ios::trunc);
  out << pem;
  if (!out.flush()) {
    fail(certificate_path.string() + ": cannot write");
  }
  fs::permissions(certificate_path, fs::perms::owner_read | fs::perms::owner_write |
                                        fs::perms::group_read | fs::perms::others_read);
}

void set_serial(X509 *certificate) {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
    fail("the random generator failed");
  }
  bytes[0] &= 0x7fU; // positive
  bytes[0] |= 0x01U; // and never zero-led, so it encodes in 16 bytes
  BIGNUM *number = BN_bin2bn(bytes, sizeof(bytes), nullptr);
  BN_to_ASN1_INTEGER(number, X509_get_serialNumber(certificate));
  BN_free(number);
}

CertificatePtr new_certificate(EVP_PKEY *key, const std::string &common_name, long days) {
  CertificatePtr certificate(X509_new());
  X509_set_version(certificate.get(), 2); // v3
  set_serial(certificate.get());
  // Backdated an hour, so a client whose clock is a little behind accepts it.
  X509_gmtime_adj(X509_getm_notBefore(certificate.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(certificate.get()), days * 24 * 3600);
  X509_set_pubkey(certificate.get(), key);
  X509_NAME *name = X509_get_subject_name(certificate.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char *>(common_name.c_str()), -1, -1,
                             0);
  return certificate;
}

void add_extension(X509 *certificate, X509 *issuer, int nid, const std::string &value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, issuer, certificate, nullptr, nullptr, 0);
  X509_EXTENSION *extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str());
  if (extension == nullptr || X509_add_ext(certificate, extension, -1) != 1) {
    fail("bad extension " + value);
  }
  X509_EXTENSION_free(extension);
}

std::string alternative_names(const std::vector<std::string> &hosts) {
  std::string names;
  for (const std::string &host : hosts) {
    unsigned char address[16];
    const bool ip = inet_pton(AF_INET, host.c_str(), address) == 1 ||
                    inet_pton(AF_INET6, host.c_str(), address) == 1;
    const std::string entry = (ip ? "IP:" : "DNS:") + host;
    if (names.find(entry) == std::string::npos) {
      names += (names.empty() ? "" : ",") + entry;
    }
  }
  return names;
}

KeyPtr load_key(const fs::path &path) {
  const BioPtr bio(BIO_new_file(path.c_str(), "r"));
  KeyPtr key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key) {
    fail(path.string() + ": cannot read the key");
  }
  return key;
}

CertificatePtr load_certificate(const fs::path &path) {
  const BioPtr bio(BIO_new_file(path.c_str(), "r"));
  CertificatePtr certificate(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)
                                 : nullptr);
  if (!certificate) {
    fail(path.string() + ": cannot read the certificate");
  }
  return certificate;
}

} // namespace

bool certificate_covers(const fs::path &certificate_path, const std::vector<std::string> &hosts) {
  const CertificatePtr certificate = load_certificate(certificate_path);
  for (const std::string &host : hosts) {
    unsigned char address[16];
    const bool ip = inet_pton(AF_INET, host.c_str(), address) == 1 ||
                    inet_pton(AF_INET6, host.c_str(), address) == 1;
    const int found =
        ip ? X509_check_ip_asc(certificate.get(), host.c_str(), 0)
           : X509_check_host(certificate.get(), host.c_str(), host.size(), 0, nullptr);
    if (found != 1) {
      return false;
    }
  }
  return true;
}

void make_certificate_authority(const fs::path &certificate_path, const fs::path &key_path) {
  const KeyPtr key = make_key();
  const CertificatePtr certificate = new_certificate(key.get(), "berth-ca", 3650);
  X509_set_issuer_name(certificate.get(), X509_get_subject_name(certificate.get()));
  add_extension(certificate.get(), certificate.get(), NID_basic_constraints, "critical,CA:TRUE");
  add_extension(certificate.get(), certificate.get(), NID_key_usage,
                "critical,keyCertSign,cRLSign,digitalSignature");
  add_extension(certificate.get(), certificate.get(), NID_subject_key_identifier, "hash");
  if (X509_sign(certificate.get(), key.get(), EVP_sha256()) == 0) {
    fail("signing the CA failed");
  }
  save(certificate_path, certificate.get(), key_path, key.get());
}

void make_serving_certificate(const fs::path &ca_certificate_path, const fs::path &ca_key_path,
                              const std::vector<std::string> &hosts,
                              const fs::path &certificate_path, const fs::path &key_path) {
  const CertificatePtr ca = load_certificate(ca_certificate_path);
  const KeyPtr ca_key = load_key(ca_key_path);
  const KeyPtr key = make_key();
  const CertificatePtr certificate = new_certificate(key.get(), "berth-apiserver", 365);
  X509_set_issuer_name(certificate.get(), X509_get_subject_name(ca.get()));
  add_extension(certificate.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE");
  add_extension(certificate.get(), ca.get(), NID_key_usage, "critical,digitalSignature");
  add_extension(certificate.get(), ca.get(), NID_ext_key_usage, "serverAuth");
  add_extension(certificate.get(), ca.get(), NID_authority_key_identifier, "keyid:always");
  add_extension(certificate.get(), ca.get(), NID_subject_alt_name, alternative_names(hosts));
  if (X509_sign(certificate.get(), ca_key.get(), EVP_sha256()) == 0) {
    fail("signing the serving certificate failed");
  }
  save(certificate_path, certificate.get(), key_path, key.get());
}

} // namespace berth::cluster::api
