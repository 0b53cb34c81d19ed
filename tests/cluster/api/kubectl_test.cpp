// The API server driven by real kubectl: every client found (Debian's 1.20,
// the machine's /usr/bin/kubectl) against `berthd server --no-agent` on each
// store (SQLite; etcd when etcd-server is installed). When kubectl fails
// here, berth is wrong.
#include "berthd_process.hpp"

#include "cluster/store/etcd/etcd_store.hpp"
#include "cluster/store/etcd_process.hpp"
#include "support/subprocess.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <memory>
#include <thread>

namespace berth::cluster::testing {
namespace {

using berth::testing::Completed;
using berth::testing::run_process;
using berth::testing::TempDir;

struct ClientAndStore {
  KubectlClient client;
  std::string store; // "sqlite" or "etcd"
};

// gtest finds a parameter printer by this name.
// NOLINTNEXTLINE(readability-identifier-naming)
void PrintTo(const ClientAndStore &setup, std::ostream *out) {
  *out << setup.client.path << " on " << setup.store;
}

std::vector<ClientAndStore> combinations() {
  std::vector<ClientAndStore> all;
  for (const KubectlClient &client : available_kubectls()) {
    all.push_back({client, "sqlite"});
    if (!EtcdProcess::find_binary().empty()) {
      all.push_back({client, "etcd"});
    }
  }
  return all;
}

class KubectlAgainstBerth : public ::testing::TestWithParam<ClientAndStore> {
protected:
  void SetUp() override {
    std::string store = "sqlite";
    if (GetParam().store == "etcd") {
      etcd_ = std::make_unique<EtcdProcess>(EtcdProcess::find_binary());
      wait_for_etcd(*etcd_, {etcd_->client_url()});
      store = "etcd=" + etcd_->client_url();
    }
    server_ = std::make_unique<BerthdProcess>(store);
  }

  // kubectl with the server's kubeconfig, its caches in the test's own home.
  Completed kubectl(const std::vector<std::string> &args,
                    const std::filesystem::path &kubeconfig = {}) const {
    std::vector<std::string> argv{
        GetParam().client.path.string(), "--kubeconfig",
        (kubeconfig.empty() ? server_->kubeconfig() : kubeconfig).string(), "--cache-dir",
        (home_.path() / "cache").string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv, {{"HOME", home_.path().string()}, {"KUBECONFIG", ""}});
  }

  Completed kubectl_ok(const std::vector<std::string> &args) const {
    Completed done = kubectl(args);
    EXPECT_EQ(done.exit_code, 0) << "kubectl failed: " << done.err << "\nserver log:\n"
                                 << server_->log();
    return done;
  }

  std::filesystem::path manifest(const std::string &yaml) const {
    return home_.write("manifest.yaml", yaml);
  }

  TempDir home_{"berth-kubectl"};
  std::unique_ptr<EtcdProcess> etcd_;
  std::unique_ptr<BerthdProcess> server_;
};

constexpr const char *kConfigMap = R"(apiVersion: v1
kind: ConfigMap
metadata:
  name: demo
  labels:
    app: web
data:
  greeting: hello
  colour: blue
)";

constexpr const char *kConfigMapChanged = R"(apiVersion: v1
kind: ConfigMap
metadata:
  name: demo
  labels:
    app: web
data:
  greeting: bonjour
)";

TEST_P(KubectlAgainstBerth, GetNamespacesShowsTheDefaultOnesAsATable) {
  const Completed done = kubectl_ok({"get", "ns"});
  EXPECT_NE(done.out.find("NAME"), std::string::npos) << done.out;
  EXPECT_NE(done.out.find("STATUS"), std::string::npos) << done.out;
  EXPECT_NE(done.out.find("AGE"), std::string::npos) << done.out;
  EXPECT_NE(done.out.find("default"), std::string::npos) << done.out;
  EXPECT_NE(done.out.find("kube-system"), std::string::npos) << done.out;
  EXPECT_NE(done.out.find("Active"), std::string::npos) << done.out;
}

TEST_P(KubectlAgainstBerth, CreateNamespaceThenGetItAsJson) {
  EXPECT_NE(kubectl_ok({"create", "ns", "x"}).out.find("namespace/x created"), std::string::npos);
  const auto object = nlohmann::json::parse(kubectl_ok({"get", "ns", "x", "-o", "json"}).out);
  EXPECT_EQ(object["kind"], "Namespace");
  EXPECT_EQ(object["metadata"]["name"], "x");
  EXPECT_FALSE(object["metadata"]["uid"].get<std::string>().empty());
  EXPECT_FALSE(object["metadata"]["resourceVersion"].get<std::string>().empty());
  EXPECT_FALSE(object["metadata"]["creationTimestamp"].get<std::string>().empty());
  EXPECT_EQ(object["status"]["phase"], "Active");
  EXPECT_EQ(kubectl({"create", "ns", "x"}).exit_code, 1) << "a second create must conflict";
}

TEST_P(KubectlAgainstBerth, ApplyCreatesThenReapplyUpdatesAndRemovesDroppedKeys) {
  EXPECT_NE(kubectl_ok({"apply", "-f", manifest(kConfigMap)}).out.find("configmap/demo created"),
            std::string::npos);
  auto object = nlohmann::json::parse(kubectl_ok({"get", "cm", "demo", "-o", "json"}).out);
  EXPECT_EQ(object["data"]["greeting"], "hello");
  EXPECT_EQ(object["data"]["colour"], "blue");
  const std::string uid = object["metadata"]["uid"];

  EXPECT_NE(kubectl_ok({"apply", "-f", manifest(kConfigMapChanged)}).out.find("configured"),
            std::string::npos);
  object = nlohmann::json::parse(kubectl_ok({"get", "cm", "demo", "-o", "json"}).out);
  EXPECT_EQ(object["data"]["greeting"], "bonjour");
  EXPECT_FALSE(object["data"].contains("colour")) << object.dump();
  EXPECT_EQ(object["metadata"]["uid"], uid);
}

TEST_P(KubectlAgainstBerth, GetConfigMapInEveryOutputFormat) {
  kubectl_ok({"apply", "-f", manifest(kConfigMap)});
  const Completed table = kubectl_ok({"get", "cm"});
  EXPECT_NE(table.out.find("DATA"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("demo"), std::string::npos) << table.out;
  EXPECT_NE(kubectl_ok({"get", "cm", "demo", "-o", "yaml"}).out.find("greeting: hello"),
            std::string::npos);
  EXPECT_EQ(kubectl_ok({"get", "cm", "-o", "name"}).out, "configmap/demo\n");
  EXPECT_EQ(kubectl_ok({"get", "cm", "demo", "-o", "jsonpath={.data.colour}"}).out, "blue");
  EXPECT_EQ(kubectl_ok({"get", "cm", "-l", "app=web", "-o", "name"}).out, "configmap/demo\n");
  EXPECT_EQ(kubectl_ok({"get", "cm", "-l", "app notin (web)", "-o", "name"}).out, "");
}

TEST_P(KubectlAgainstBerth, DeleteConfigMapThenGetIsNotFound) {
  kubectl_ok({"apply", "-f", manifest(kConfigMap)});
  EXPECT_NE(kubectl_ok({"delete", "cm", "demo"}).out.find("deleted"), std::string::npos);
  const Completed missing = kubectl({"get", "cm", "demo"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("NotFound"), std::string::npos) << missing.err;
}

TEST_P(KubectlAgainstBerth, GetMissingConfigMapIsNotFound) {
  const Completed done = kubectl({"get", "cm", "missing"});
  EXPECT_EQ(done.exit_code, 1);
  EXPECT_NE(done.err.find("(NotFound): configmaps \"missing\" not found"), std::string::npos)
      << done.err;
}

TEST_P(KubectlAgainstBerth, InvalidNameIsRefusedNamingTheField) {
  const Completed done = kubectl({"create", "configmap", "Bad_Name"});
  EXPECT_EQ(done.exit_code, 1);
  EXPECT_NE(done.err.find("metadata.name"), std::string::npos) << done.err;
}

TEST_P(KubectlAgainstBerth, LabelAnnotateAndPatchInEveryType) {
  kubectl_ok({"apply", "-f", manifest(kConfigMap)});
  kubectl_ok({"label", "cm", "demo", "tier=front"});
  kubectl_ok({"annotate", "cm", "demo", "note=hi"});
  kubectl_ok({"patch", "cm", "demo", "--type", "merge", "-p", R"({"data":{"merge":"1"}})"});
  kubectl_ok({"patch", "cm", "demo", "--type", "json", "-p",
              R"([{"op":"add","path":"/data/json","value":"2"}])"});
  kubectl_ok({"patch", "cm", "demo", "--type", "strategic", "-p",
              R"({"data":{"strategic":"3","colour":null}})"});
  const auto object = nlohmann::json::parse(kubectl_ok({"get", "cm", "demo", "-o", "json"}).out);
  EXPECT_EQ(object["metadata"]["labels"]["tier"], "front");
  EXPECT_EQ(object["metadata"]["annotations"]["note"], "hi");
  EXPECT_EQ(
      object["data"],
      (nlohmann::json{{"greeting", "hello"}, {"merge", "1"}, {"json", "2"}, {"strategic", "3"}}));
}

TEST_P(KubectlAgainstBerth, DeletingANamespaceDeletesWhatIsInIt) {
  kubectl_ok({"create", "namespace", "doomed"});
  kubectl_ok({"-n", "doomed", "create", "configmap", "inside", "--from-literal=a=b"});
  kubectl_ok({"delete", "namespace", "doomed"});
  EXPECT_EQ(kubectl_ok({"get", "configmaps", "--all-namespaces", "-o", "name"}).out, "");
  EXPECT_EQ(kubectl({"delete", "namespace", "default"}).exit_code, 1)
      << "default may not be deleted";
}

// describe lists the object's events too: the events resource must answer.
TEST_P(KubectlAgainstBerth, DescribeConfigMapShowsItsData) {
  kubectl_ok({"apply", "-f", manifest(kConfigMap)});
  const Completed done = kubectl_ok({"describe", "configmap", "demo"});
  EXPECT_NE(done.out.find("Labels:       app=web"), std::string::npos) << done.out;
  EXPECT_NE(done.out.find("greeting"), std::string::npos) << done.out;
}

TEST_P(KubectlAgainstBerth, ServerDryRunWritesNothing) {
  if (GetParam().client.label == "kubectl120") {
    // 1.20 looks for dryRun in the OpenAPI document first, and berth's is
    // empty, so it refuses before sending anything.
    GTEST_SKIP() << "kubectl 1.20 needs a real OpenAPI document for --dry-run=server";
  }
  kubectl_ok({"apply", "-f", manifest(kConfigMap)});
  kubectl_ok({"apply", "-f", manifest(kConfigMapChanged), "--dry-run=server"});
  kubectl_ok({"delete", "configmap", "demo", "--dry-run=server"});
  EXPECT_EQ(kubectl_ok({"get", "cm", "demo", "-o", "jsonpath={.data.greeting}"}).out, "hello");
  kubectl_ok({"create", "configmap", "other", "--from-literal=a=b", "--dry-run=server"});
  EXPECT_EQ(kubectl({"get", "cm", "other"}).exit_code, 1);
}

// kubectl 1.32's generators send protobuf bodies; 1.20's send JSON.
TEST_P(KubectlAgainstBerth, CreateSecretFromLiteralStoresItBase64) {
  kubectl_ok({"create", "secret", "generic", "s1", "--from-literal=password=hunter2"});
  EXPECT_EQ(kubectl_ok({"get", "secret", "s1", "-o", "jsonpath={.data.password}"}).out,
            "aHVudGVyMg==");
  const Completed table = kubectl_ok({"get", "secrets"});
  EXPECT_NE(table.out.find("Opaque"), std::string::npos) << table.out;
}

// With no credentials at all kubectl prompts for a user name instead of
// sending anything, so a wrong token stands in (BerthdServer tests no token).
TEST_P(KubectlAgainstBerth, RequestWithAWrongTokenIsUnauthorized) {
  std::string config = berth::testing::read_file(server_->kubeconfig());
  const std::string field = "    token: ";
  const auto token = config.find(field);
  ASSERT_NE(token, std::string::npos);
  config.replace(token + field.size(), config.find('\n', token) - token - field.size(), "wrong");
  const auto wrong_token = home_.write("wrong-token.yaml", config);
  const Completed done = kubectl({"get", "ns"}, wrong_token);
  EXPECT_EQ(done.exit_code, 1);
  // 1.20 adds "(Unauthorized)", 1.32 "(the server has asked for the client to
  // provide credentials)": both read the 401.
  EXPECT_NE(done.err.find("You must be logged in to the server"), std::string::npos) << done.err;
}

TEST_P(KubectlAgainstBerth, WatchSeesAConfigMapCreatedLater) {
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::seconds(2));
    kubectl({"create", "configmap", "late", "--from-literal=k=v"});
  });
  const Completed watch =
      run_process({"/usr/bin/timeout", "6", GetParam().client.path.string(), "--kubeconfig",
                   server_->kubeconfig().string(), "--cache-dir", (home_.path() / "cache").string(),
                   "get", "cm", "--watch", "-o", "name"},
                  {{"HOME", home_.path().string()}, {"KUBECONFIG", ""}});
  writer.join();
  EXPECT_NE(watch.out.find("configmap/late"), std::string::npos)
      << watch.out << watch.err << "\nserver log:\n"
      << server_->log();
}

std::string name_of(const ::testing::TestParamInfo<ClientAndStore> &info) {
  return info.param.client.label + "_" + info.param.store;
}

INSTANTIATE_TEST_SUITE_P(Clients, KubectlAgainstBerth, ::testing::ValuesIn(combinations()),
                         name_of);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(KubectlAgainstBerth);

} // namespace
} // namespace berth::cluster::testing
