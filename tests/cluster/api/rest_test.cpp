// The REST handlers in-process on an SQLite store: what the verbs promise
// beyond what a kubectl run shows (pagination, selectors, conflicts, 410).
#include "cluster/api/rest.hpp"
#include "cluster/store/sqlite/sqlite_store.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace berth::cluster::api {
namespace {

using nlohmann::json;

class RestHandlersTest : public ::testing::Test {
protected:
  void SetUp() override {
    auto opened = SqliteStore::open(dir_.path() / "state.db");
    ASSERT_TRUE(opened) << opened.error().describe();
    store_ = std::move(opened).value();
    rest_ = std::make_unique<RestHandlers>(*store_);
    rest_->ensure_namespace("default");
  }

  static ObjectRef configmaps(std::string name = {}) {
    return ObjectRef{find_resource("configmaps"), "default", std::move(name)};
  }

  static http::Request request(std::map<std::string, std::string> query = {},
                               std::string body = {}) {
    http::Request made;
    made.query = std::move(query);
    made.body = std::move(body);
    return made;
  }

  json create_configmap(const std::string &name, const std::string &app) {
    const json object{{"apiVersion", "v1"},
                      {"kind", "ConfigMap"},
                      {"metadata", {{"name", name}, {"labels", {{"app", app}}}}},
                      {"data", {{"k", "v"}}}};
    const http::Response response = rest_->create(configmaps(), request({}, object.dump()));
    EXPECT_EQ(response.status, 201U) << response.body;
    return json::parse(response.body);
  }

  static std::vector<std::string> names(const http::Response &list) {
    std::vector<std::string> found;
    const json parsed = json::parse(list.body);
    for (const json &item : parsed["items"]) {
      found.push_back(item["metadata"]["name"]);
    }
    return found;
  }

  static int status_of(const std::function<void()> &call) {
    try {
      call();
    } catch (const ApiError &error) {
      return error.code;
    }
    return 0;
  }

  berth::testing::TempDir dir_{"berth-rest"};
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<RestHandlers> rest_;
};

TEST_F(RestHandlersTest, ListSelectsByEveryLabelOperator) {
  create_configmap("a", "web");
  create_configmap("b", "db");
  create_configmap("c", "cache");
  const auto list = [&](const std::string &selector) {
    return names(rest_->list(configmaps(), request({{"labelSelector", selector}})));
  };
  using Names = std::vector<std::string>;
  EXPECT_EQ(list("app=web"), Names{"a"});
  EXPECT_EQ(list("app==db"), Names{"b"});
  EXPECT_EQ(list("app!=web"), (Names{"b", "c"}));
  EXPECT_EQ(list("app in (web,db)"), (Names{"a", "b"}));
  EXPECT_EQ(list("app notin (web,db)"), Names{"c"});
  EXPECT_EQ(list("app"), (Names{"a", "b", "c"}));
  EXPECT_EQ(list("!app"), Names{});
  EXPECT_EQ(status_of([&] { (void)list("app in web"); }), 400);
}

TEST_F(RestHandlersTest, ListPagesWithLimitAndContinue) {
  for (const char *name : {"a", "b", "c", "d", "e"}) {
    create_configmap(name, "web");
  }
  const auto first = json::parse(rest_->list(configmaps(), request({{"limit", "2"}})).body);
  ASSERT_EQ(first["items"].size(), 2U);
  const std::string token = first["metadata"]["continue"];
  ASSERT_FALSE(token.empty());
  create_configmap("f", "web"); // after the first page: not in this list
  const auto second =
      json::parse(rest_->list(configmaps(), request({{"limit", "10"}, {"continue", token}})).body);
  ASSERT_EQ(second["items"].size(), 3U);
  EXPECT_EQ(second["items"][0]["metadata"]["name"], "c");
  EXPECT_FALSE(second["metadata"].contains("continue"));
  EXPECT_EQ(status_of([&] {
              (void)rest_->list(configmaps(), request({{"continue", "garbage:zz"}}));
            }),
            400);
}

TEST_F(RestHandlersTest, CreateSetsIdentityAndGenerateName) {
  const json object{{"metadata", {{"generateName", "gen-"}}}};
  const auto created = json::parse(rest_->create(configmaps(), request({}, object.dump())).body);
  const std::string name = created["metadata"]["name"];
  EXPECT_EQ(name.rfind("gen-", 0), 0U);
  EXPECT_EQ(name.size(), 9U);
  EXPECT_EQ(created["metadata"]["uid"].get<std::string>().size(), 36U);
  EXPECT_EQ(created["metadata"]["resourceVersion"], std::to_string(*store_->current_revision()));
}

TEST_F(RestHandlersTest, CreateInAMissingNamespaceIsNotFound) {
  const json object{{"metadata", {{"name", "x"}}}};
  ObjectRef ref = configmaps();
  ref.namespace_ = "nowhere";
  EXPECT_EQ(status_of([&] { (void)rest_->create(ref, request({}, object.dump())); }), 404);
}

TEST_F(RestHandlersTest, UpdateWithAStaleResourceVersionIsAConflict) {
  json object = create_configmap("a", "web");
  const std::string stale = object["metadata"]["resourceVersion"];
  object["data"]["k"] = "v2";
  EXPECT_EQ(rest_->update(configmaps("a"), request({}, object.dump())).status, 200U);
  object["metadata"]["resourceVersion"] = stale;
  EXPECT_EQ(status_of([&] { (void)rest_->update(configmaps("a"), request({}, object.dump())); }),
            409);
}

TEST_F(RestHandlersTest, InvalidDataIsRefusedWithCauses) {
  const json object{{"metadata", {{"name", "a"}}}, {"data", {{"bad key!", "v"}}}};
  try {
    (void)rest_->create(configmaps(), request({}, object.dump()));
    FAIL() << "created an invalid ConfigMap";
  } catch (const ApiError &error) {
    EXPECT_EQ(error.code, 422);
    ASSERT_EQ(error.causes.size(), 1U);
    EXPECT_EQ(error.causes[0].field, "data[bad key!]");
  }
}

TEST_F(RestHandlersTest, StrictFieldValidationRefusesUnknownFields) {
  const json object{{"metadata", {{"name", "a"}}}, {"bogusField", 1}};
  EXPECT_EQ(
      status_of([&] {
        (void)rest_->create(configmaps(), request({{"fieldValidation", "Strict"}}, object.dump()));
      }),
      400);
  const auto response = rest_->create(configmaps(), request({}, object.dump()));
  EXPECT_EQ(response.status, 201U);
  EXPECT_FALSE(json::parse(response.body).contains("bogusField"));
}

// Collects what a streamed response writes.
class CollectingWriter final : public http::ChunkWriter {
public:
  bool write(std::string_view chunk) override {
    text.append(chunk);
    return true;
  }
  [[nodiscard]] bool stopping() const override { return false; }
  std::string text;
};

std::vector<std::string> event_lines(const std::string &text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (auto end = text.find('\n'); end != std::string::npos; end = text.find('\n', start)) {
    const json event = json::parse(text.substr(start, end - start));
    lines.push_back(event["type"].get<std::string>() + " " +
                    event["object"]["metadata"]["name"].get<std::string>());
    start = end + 1;
  }
  return lines;
}

TEST_F(RestHandlersTest, WatchFollowsTheSelectionAndEndsAtItsTimeout) {
  const json a = create_configmap("a", "web");
  create_configmap("b", "db");
  const http::Response response =
      rest_->list(configmaps(), request({{"watch", "true"},
                                         {"labelSelector", "app=web"},
                                         {"resourceVersion", a["metadata"]["resourceVersion"]},
                                         {"timeoutSeconds", "2"}}));
  ASSERT_TRUE(response.stream);
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    json moved = a;
    moved["metadata"].erase("resourceVersion");
    moved["metadata"]["labels"]["app"] = "db"; // leaves the selection
    (void)rest_->update(configmaps("a"), request({}, moved.dump()));
    create_configmap("c", "web");
    (void)rest_->remove(configmaps("c"), request());
  });
  CollectingWriter out;
  const auto started = std::chrono::steady_clock::now();
  response.stream(out);
  writer.join();
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(1500));
  EXPECT_EQ(event_lines(out.text), (std::vector<std::string>{"DELETED a", "ADDED c", "DELETED c"}));
}

TEST_F(RestHandlersTest, WatchFromACompactedRevisionIsGone) {
  create_configmap("a", "web");
  create_configmap("b", "web");
  ASSERT_TRUE(store_->compact(*store_->current_revision()));
  EXPECT_EQ(
      status_of([&] {
        (void)rest_->list(configmaps(), request({{"watch", "true"}, {"resourceVersion", "1"}}));
      }),
      410);
}

} // namespace
} // namespace berth::cluster::api
