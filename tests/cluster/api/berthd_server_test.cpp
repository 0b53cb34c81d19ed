// `berthd server` as a process: flags, what it writes on first start, what it
// reuses on restart, and what a client without a token gets.
#include "berthd_process.hpp"

#include "support/subprocess.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/stat.h>

namespace berth::cluster::testing {
namespace {

using berth::testing::read_file;
using berth::testing::run_process;

unsigned mode_of(const std::filesystem::path &path) {
  struct stat info {};
  EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
  return info.st_mode & 07777U;
}

// curl verifying the server against the cluster CA (so the certificate's
// names are checked too); prints the body, then the status code.
berth::testing::Completed curl(const BerthdProcess &server, const std::string &path,
                               const std::string &token = {}) {
  std::vector<std::string> argv{"/usr/bin/curl",
                                "-s",
                                "--cacert",
                                (server.data_dir() / "pki/ca.crt").string(),
                                "-w",
                                "\n%{http_code}",
                                server.url() + path};
  if (!token.empty()) {
    argv.insert(argv.begin() + 1, {"-H", "Authorization: Bearer " + token});
  }
  return run_process(argv);
}

std::string admin_token(const BerthdProcess &server) {
  std::string token = read_file(server.data_dir() / "pki/admin.token");
  token.pop_back();
  return token;
}

TEST(BerthdServer, FirstStartWritesPrivateCredentialsAndKubeconfig) {
  const BerthdProcess server("sqlite");
  EXPECT_EQ(mode_of(server.data_dir()), 0700U);
  for (const char *secret :
       {"pki/ca.key", "pki/server.key", "pki/admin.token", "pki/join.token", "kubeconfig.yaml"}) {
    EXPECT_EQ(mode_of(server.data_dir() / secret), 0600U) << secret;
  }
  const std::string kubeconfig = read_file(server.kubeconfig());
  EXPECT_NE(kubeconfig.find("certificate-authority-data: "), std::string::npos);
  EXPECT_NE(kubeconfig.find("server: " + server.url()), std::string::npos) << kubeconfig;
  EXPECT_NE(kubeconfig.find("token: " + admin_token(server)), std::string::npos);
}

TEST(BerthdServer, RestartReusesTheCaCertificatesTokensAndState) {
  BerthdProcess server("sqlite");
  const std::string ca = read_file(server.data_dir() / "pki/ca.crt");
  const std::string token = admin_token(server);
  ASSERT_EQ(curl(server, "/api/v1/namespaces/default", token).out.substr(0, 1), "{");
  server.stop();
  server.start();
  EXPECT_EQ(read_file(server.data_dir() / "pki/ca.crt"), ca);
  EXPECT_EQ(admin_token(server), token);
  const auto done = curl(server, "/api/v1/namespaces/default", token);
  EXPECT_NE(done.out.find("\"name\":\"default\""), std::string::npos) << done.out;
}

TEST(BerthdServer, RequestWithoutAValidTokenGets401Status) {
  const BerthdProcess server("sqlite");
  for (const std::string token : {"", "wrong"}) {
    const auto done = curl(server, "/api/v1/namespaces", token);
    const auto newline = done.out.rfind('\n');
    ASSERT_NE(newline, std::string::npos) << done.out << done.err;
    EXPECT_EQ(done.out.substr(newline + 1), "401");
    const auto status = nlohmann::json::parse(done.out.substr(0, newline));
    EXPECT_EQ(status["kind"], "Status");
    EXPECT_EQ(status["reason"], "Unauthorized");
    EXPECT_EQ(status["code"], 401);
  }
}

TEST(BerthdServer, VersionNamesTheKubernetesLevelAndBerth) {
  const BerthdProcess server("sqlite");
  const auto done = curl(server, "/version");
  const auto version = nlohmann::json::parse(done.out.substr(0, done.out.rfind('\n')));
  EXPECT_EQ(version["major"], "1");
  EXPECT_EQ(version["minor"], "32");
  EXPECT_NE(version["gitVersion"].get<std::string>().find("+berth."), std::string::npos);
}

TEST(BerthdServer, BadFlagsFailWithOneLineSayingWhatToDo) {
  const auto listen = run_process({BERTHD_EXECUTABLE, "server", "--listen", "nowhere"});
  EXPECT_EQ(listen.exit_code, 2);
  EXPECT_NE(listen.err.find("--listen 'nowhere': expected ADDR:PORT"), std::string::npos)
      << listen.err;
  const berth::testing::TempDir dir("berthd-flags");
  const auto store = run_process({BERTHD_EXECUTABLE, "server", "--store", "mysql", "--data-dir",
                                  (dir.path() / "data").string()});
  EXPECT_EQ(store.exit_code, 1);
  EXPECT_NE(store.err.find("expected 'sqlite' or 'etcd=URL"), std::string::npos) << store.err;
  EXPECT_EQ(run_process({BERTHD_EXECUTABLE, "server", "--help"}).exit_code, 0);
  EXPECT_EQ(run_process({BERTHD_EXECUTABLE, "bogus"}).exit_code, 2);
}

} // namespace
} // namespace berth::cluster::testing
