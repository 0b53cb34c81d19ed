#include "cluster/api/certificates.hpp"
#include "cluster/api/credentials.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

namespace berth::cluster::api {
namespace {

using berth::testing::read_file;

TEST(Credentials, ServingCertificateNamesTheListenHostAndLoopback) {
  const berth::testing::TempDir dir("berth-credentials");
  const Credentials made = ensure_credentials(dir.path() / "data", {"10.1.2.3"});
  EXPECT_TRUE(certificate_covers(made.server_certificate, {"127.0.0.1", "localhost", "10.1.2.3"}));
  EXPECT_FALSE(certificate_covers(made.server_certificate, {"10.9.9.9"}));
  EXPECT_EQ(made.admin_token.size(), 64U);
  EXPECT_NE(made.admin_token, made.join_token);
}

TEST(Credentials, AnotherListenHostGetsANewServingCertificateFromTheSameCa) {
  const berth::testing::TempDir dir("berth-credentials");
  const Credentials first = ensure_credentials(dir.path() / "data", {"127.0.0.1"});
  const std::string ca = read_file(first.ca_certificate);
  const std::string serving = read_file(first.server_certificate);
  EXPECT_EQ(read_file(ensure_credentials(dir.path() / "data", {"127.0.0.1"}).server_certificate),
            serving)
      << "the same host must reuse the certificate";
  const Credentials moved = ensure_credentials(dir.path() / "data", {"server.example"});
  EXPECT_EQ(read_file(moved.ca_certificate), ca);
  EXPECT_NE(read_file(moved.server_certificate), serving);
  EXPECT_TRUE(certificate_covers(moved.server_certificate, {"server.example", "127.0.0.1"}));
  EXPECT_EQ(moved.admin_token, first.admin_token);
}

TEST(Credentials, TokensCompareOnlyWhenEqual) {
  EXPECT_TRUE(tokens_equal("abc", "abc"));
  EXPECT_FALSE(tokens_equal("abd", "abc"));
  EXPECT_FALSE(tokens_equal("ab", "abc"));
  EXPECT_FALSE(tokens_equal("", ""));
}

} // namespace
} // namespace berth::cluster::api
