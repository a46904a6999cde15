#include "store/collection_repository.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "store/host_repository.h"
#include "store/tests/conformance.h"

namespace pk::store {
namespace {

using conformance::errorText;

class CollectionRepositoryTest : public conformance::StoreTest {
 protected:
  Result<void> write(const std::function<Result<void>(Session&)>& work) {
    return database().write(work);
  }

  template <typename T>
  Result<T> readValue(const std::function<Result<T>(Session&)>& work) {
    std::optional<Result<T>> result;
    auto done = database().read([&](Session& session) -> Result<void> {
      result = work(session);
      return {};
    });
    if (!done) return tl::unexpected(done.error());
    return std::move(*result);
  }

  std::string insertSampleHost(const std::string& hostname, const std::string& kind,
                               const std::string& owner, const std::string& ecosystem,
                               const std::vector<std::string>& labels = {}) {
    HostRecord host;
    host.id = newHostId();
    host.hostname = hostname;
    host.machine_id = host.id;
    host.kind = kind;
    host.owner = owner;
    host.os_ecosystem = ecosystem;
    host.collections = labels;
    host.enrolled_at = clock_.now();
    auto inserted = write([&](Session& session) { return insertHost(session, host); });
    EXPECT_TRUE(inserted) << errorText(inserted);
    return host.id;
  }

  CollectionRecord sampleCollection(const std::string& id) {
    CollectionRecord collection;
    collection.id = id;
    collection.name = "Web servers";
    collection.description = "Front ends, Ünïcode kept";
    collection.restart_policy = RestartPolicy{
        .restart_deadline_seconds = 7200, .countdown_seconds = 5400, .reminder_seconds = 1800};
    collection.pre_hook = "stop-nginx";
    collection.post_hook = "check-nginx";
    collection.created_at = clock_.now();
    collection.updated_at = clock_.now();
    return collection;
  }

  std::vector<std::string> idsOf(const Result<std::vector<CollectionHostFacts>>& hosts) {
    std::vector<std::string> ids;
    if (!hosts) return ids;
    for (const auto& host : *hosts) ids.push_back(host.id);
    return ids;
  }
};
PK_STORE_CONFORMANCE_SUITE(CollectionRepositoryTest);

TEST_P(CollectionRepositoryTest, DefaultCollectionsExist) {
  auto listed = readValue<std::vector<CollectionRecord>>(
      [](Session& session) { return listCollections(session); });
  ASSERT_TRUE(listed) << errorText(listed);
  ASSERT_EQ(listed->size(), 3u);
  EXPECT_EQ((*listed)[0].id, "pilot");
  EXPECT_EQ((*listed)[1].id, "production");
  EXPECT_EQ((*listed)[2].id, "test");
  EXPECT_EQ((*listed)[2].type, "static");
  EXPECT_EQ((*listed)[2].restart_policy, RestartPolicy{});
}

TEST_P(CollectionRepositoryTest, DefaultSequenceIsTestPilotProduction) {
  auto sequence = readValue<std::optional<RingSequence>>(
      [](Session& session) { return loadRingSequence(session, "default"); });
  ASSERT_TRUE(sequence) << errorText(sequence);
  ASSERT_TRUE(sequence->has_value());
  const auto& rings = (*sequence)->rings;
  ASSERT_EQ(rings.size(), 3u);
  EXPECT_EQ(rings[0].collection_id, "test");
  EXPECT_EQ(rings[0].gate, (RingGate{86400, 0.9, 0}));
  EXPECT_EQ(rings[1].collection_id, "pilot");
  EXPECT_EQ(rings[1].gate, (RingGate{172800, 0.95, 2}));
  EXPECT_EQ(rings[2].collection_id, "production");
}

TEST_P(CollectionRepositoryTest, CollectionRoundTripsExactly) {
  const std::string first = insertSampleHost("web-1", "server", "olivia", "Debian:12");
  const std::string second = insertSampleHost("web-2", "server", "olivia", "Debian:12");
  CollectionRecord collection = sampleCollection("web");
  collection.members = first < second ? std::vector{first, second} : std::vector{second, first};
  ASSERT_TRUE(write([&](Session& session) { return insertCollection(session, collection); }));

  auto stored = readValue<std::optional<CollectionRecord>>(
      [&](Session& session) { return getCollection(session, "web"); });
  ASSERT_TRUE(stored) << errorText(stored);
  ASSERT_TRUE(stored->has_value());
  EXPECT_EQ(**stored, collection);
}

TEST_P(CollectionRepositoryTest, RuleRoundTripsExactly) {
  CollectionRecord collection = sampleCollection("debian-servers");
  collection.type = "rule";
  collection.rule = CollectionRule{
      .os_ecosystem = "Debian:", .kind = "server", .owner = "olivia", .hostname = "web-*"};
  ASSERT_TRUE(write([&](Session& session) { return insertCollection(session, collection); }));

  auto listed = readValue<std::vector<CollectionRecord>>(
      [](Session& session) { return listCollections(session); });
  ASSERT_TRUE(listed) << errorText(listed);
  ASSERT_EQ(listed->size(), 4u);
  EXPECT_EQ(listed->front(), collection);
}

TEST_P(CollectionRepositoryTest, DuplicateIdFails) {
  ASSERT_TRUE(
      write([&](Session& session) { return insertCollection(session, sampleCollection("web")); }));
  auto again =
      write([&](Session& session) { return insertCollection(session, sampleCollection("web")); });
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kInvalidArgument);
}

TEST_P(CollectionRepositoryTest, UnknownMemberFails) {
  CollectionRecord collection = sampleCollection("web");
  collection.members = {"h-0000000000000000"};
  auto inserted = write([&](Session& session) { return insertCollection(session, collection); });
  ASSERT_FALSE(inserted);
  EXPECT_EQ(inserted.error().code, ErrorCode::kInvalidArgument);
}

TEST_P(CollectionRepositoryTest, UpdateReplacesFieldsAndMembers) {
  const std::string first = insertSampleHost("web-1", "server", "olivia", "Debian:12");
  const std::string second = insertSampleHost("web-2", "server", "olivia", "Debian:12");
  CollectionRecord collection = sampleCollection("web");
  collection.members = {first};
  ASSERT_TRUE(write([&](Session& session) { return insertCollection(session, collection); }));

  collection.name = "Renamed";
  collection.members = {second};
  collection.restart_policy.reminder_seconds = 600;
  collection.post_hook = "";
  clock_.advance(std::chrono::minutes(5));
  collection.updated_at = clock_.now();
  ASSERT_TRUE(write([&](Session& session) { return updateCollection(session, collection); }));

  auto stored = readValue<std::optional<CollectionRecord>>(
      [&](Session& session) { return getCollection(session, "web"); });
  ASSERT_TRUE(stored) << errorText(stored);
  ASSERT_TRUE(stored->has_value());
  EXPECT_EQ(**stored, collection);
}

TEST_P(CollectionRepositoryTest, UpdateOfUnknownFails) {
  auto updated =
      write([&](Session& session) { return updateCollection(session, sampleCollection("none")); });
  ASSERT_FALSE(updated);
  EXPECT_EQ(updated.error().code, ErrorCode::kNotFound);
}

TEST_P(CollectionRepositoryTest, DeleteRemovesMembersOnly) {
  const std::string host = insertSampleHost("web-1", "server", "olivia", "Debian:12", {"web"});
  CollectionRecord collection = sampleCollection("web");
  collection.members = {host};
  ASSERT_TRUE(write([&](Session& session) { return insertCollection(session, collection); }));

  bool deleted = false;
  ASSERT_TRUE(write([&](Session& session) -> Result<void> {
    auto done = deleteCollection(session, "web");
    if (!done) return tl::unexpected(done.error());
    deleted = *done;
    return {};
  }));
  EXPECT_TRUE(deleted);

  // The host and its label stay.
  auto labels = readValue<std::vector<std::string>>(
      [&](Session& session) { return staticCollectionIdsOfHost(session, host); });
  ASSERT_TRUE(labels) << errorText(labels);
  EXPECT_EQ(*labels, std::vector<std::string>{"web"});
}

TEST_P(CollectionRepositoryTest, DeleteOfRingCollectionFails) {
  auto deleted = write([&](Session& session) -> Result<void> {
    auto done = deleteCollection(session, "pilot");
    if (!done) return tl::unexpected(done.error());
    return {};
  });
  ASSERT_FALSE(deleted);
  EXPECT_EQ(deleted.error().code, ErrorCode::kInvalidArgument);

  auto users = readValue<std::vector<std::string>>(
      [](Session& session) { return ringSequencesUsingCollection(session, "pilot"); });
  ASSERT_TRUE(users) << errorText(users);
  EXPECT_EQ(*users, std::vector<std::string>{"default"});
}

TEST_P(CollectionRepositoryTest, StaticHostsByLabelAndMember) {
  const std::string labelled = insertSampleHost("a", "server", "", "Debian:12", {"web"});
  const std::string added = insertSampleHost("b", "endpoint", "", "Debian:12");
  const std::string both = insertSampleHost("c", "server", "", "Debian:12", {"web"});
  const std::string revoked = insertSampleHost("d", "server", "", "Debian:12", {"web"});
  insertSampleHost("e", "server", "", "Debian:12", {"other"});
  CollectionRecord collection = sampleCollection("web");
  std::vector<std::string> members{added, both};
  std::sort(members.begin(), members.end());
  collection.members = members;
  ASSERT_TRUE(write([&](Session& session) -> Result<void> {
    if (auto inserted = insertCollection(session, collection); !inserted) return inserted;
    return setHostStatus(session, revoked, "revoked");
  }));

  auto hosts = readValue<std::vector<CollectionHostFacts>>(
      [](Session& session) { return staticCollectionHosts(session, "web"); });
  ASSERT_TRUE(hosts) << errorText(hosts);
  std::vector<std::string> expected{labelled, added, both};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(idsOf(hosts), expected);
}

TEST_P(CollectionRepositoryTest, RuleCandidatesUseExactFields) {
  const std::string match = insertSampleHost("web-1", "server", "olivia", "Debian:12");
  insertSampleHost("web-2", "endpoint", "olivia", "Debian:12");
  insertSampleHost("web-3", "server", "bob", "Debian:12");
  insertSampleHost("web-4", "server", "olivia", "Debian:11");

  auto hosts = readValue<std::vector<CollectionHostFacts>>([](Session& session) {
    return ruleCandidateHosts(
        session,
        CollectionRule{
            .os_ecosystem = "Debian:12", .kind = "server", .owner = "olivia", .hostname = ""});
  });
  ASSERT_TRUE(hosts) << errorText(hosts);
  ASSERT_EQ(hosts->size(), 1u);
  EXPECT_EQ(hosts->front(), (CollectionHostFacts{match, "web-1", "server", "olivia", "Debian:12"}));
}

TEST_P(CollectionRepositoryTest, RuleCandidatesKeepPrefixForCaller) {
  insertSampleHost("a", "server", "", "Debian:12");
  insertSampleHost("b", "server", "", "Ubuntu:22.04");

  auto hosts = readValue<std::vector<CollectionHostFacts>>([](Session& session) {
    return ruleCandidateHosts(session, CollectionRule{.os_ecosystem = "Debian:"});
  });
  ASSERT_TRUE(hosts) << errorText(hosts);
  EXPECT_EQ(hosts->size(), 2u);
}

TEST_P(CollectionRepositoryTest, StaticIdsOfHostMergeLabelsAndMembers) {
  const std::string host = insertSampleHost("a", "server", "", "Debian:12", {"web", "test"});
  CollectionRecord collection = sampleCollection("db");
  collection.members = {host};
  ASSERT_TRUE(write([&](Session& session) { return insertCollection(session, collection); }));
  CollectionRecord web = sampleCollection("web");
  web.members = {host};
  ASSERT_TRUE(write([&](Session& session) { return insertCollection(session, web); }));

  auto ids = readValue<std::vector<std::string>>(
      [&](Session& session) { return staticCollectionIdsOfHost(session, host); });
  ASSERT_TRUE(ids) << errorText(ids);
  EXPECT_EQ(*ids, (std::vector<std::string>{"db", "test", "web"}));
}

TEST_P(CollectionRepositoryTest, HostFactsOfUnknownHostIsEmpty) {
  auto facts = readValue<std::optional<CollectionHostFacts>>(
      [](Session& session) { return getCollectionHostFacts(session, "h-0000000000000000"); });
  ASSERT_TRUE(facts) << errorText(facts);
  EXPECT_FALSE(facts->has_value());
}

TEST_P(CollectionRepositoryTest, SequenceRoundTripsInOrder) {
  ASSERT_TRUE(write(
      [&](Session& session) { return insertCollection(session, sampleCollection("canary")); }));
  RingSequence sequence;
  sequence.id = "fast";
  sequence.name = "Canary first";
  sequence.description = "Canary, then everyone";
  sequence.rings = {Ring{"canary", RingGate{3600, 0.75, 1}}, Ring{"test", RingGate{0, 1.0, 0}},
                    Ring{"production", RingGate{}}};
  sequence.created_at = clock_.now();
  sequence.updated_at = clock_.now();
  ASSERT_TRUE(write([&](Session& session) { return insertRingSequence(session, sequence); }));

  auto stored = readValue<std::optional<RingSequence>>(
      [](Session& session) { return loadRingSequence(session, "fast"); });
  ASSERT_TRUE(stored) << errorText(stored);
  ASSERT_TRUE(stored->has_value());
  EXPECT_EQ(**stored, sequence);

  auto listed = readValue<std::vector<RingSequence>>(
      [](Session& session) { return listRingSequences(session); });
  ASSERT_TRUE(listed) << errorText(listed);
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ(listed->at(0).id, "default");
  EXPECT_EQ(listed->at(1), sequence);
}

TEST_P(CollectionRepositoryTest, SequenceWithUnknownCollectionFails) {
  RingSequence sequence;
  sequence.id = "broken";
  sequence.name = "Broken";
  sequence.rings = {Ring{"nowhere", RingGate{}}};
  auto inserted = write([&](Session& session) { return insertRingSequence(session, sequence); });
  ASSERT_FALSE(inserted);
  EXPECT_EQ(inserted.error().code, ErrorCode::kInvalidArgument);
}

TEST_P(CollectionRepositoryTest, SequenceUpdateReplacesRings) {
  auto loaded = readValue<std::optional<RingSequence>>(
      [](Session& session) { return loadRingSequence(session, "default"); });
  ASSERT_TRUE(loaded) << errorText(loaded);
  ASSERT_TRUE(loaded->has_value());
  RingSequence sequence = **loaded;
  sequence.name = "Pilot, then Production";
  sequence.rings.erase(sequence.rings.begin());
  sequence.updated_at = clock_.now();
  ASSERT_TRUE(write([&](Session& session) { return updateRingSequence(session, sequence); }));

  auto stored = readValue<std::optional<RingSequence>>(
      [](Session& session) { return loadRingSequence(session, "default"); });
  ASSERT_TRUE(stored) << errorText(stored);
  ASSERT_TRUE(stored->has_value());
  EXPECT_EQ(**stored, sequence);
}

TEST_P(CollectionRepositoryTest, SequenceUpdateOfUnknownFails) {
  RingSequence sequence;
  sequence.id = "none";
  sequence.name = "None";
  auto updated = write([&](Session& session) { return updateRingSequence(session, sequence); });
  ASSERT_FALSE(updated);
  EXPECT_EQ(updated.error().code, ErrorCode::kNotFound);
}

TEST_P(CollectionRepositoryTest, SequenceDeleteFreesCollection) {
  bool deleted = false;
  ASSERT_TRUE(write([&](Session& session) -> Result<void> {
    auto done = deleteRingSequence(session, "default");
    if (!done) return tl::unexpected(done.error());
    deleted = *done;
    return {};
  }));
  EXPECT_TRUE(deleted);

  auto users = readValue<std::vector<std::string>>(
      [](Session& session) { return ringSequencesUsingCollection(session, "test"); });
  ASSERT_TRUE(users) << errorText(users);
  EXPECT_TRUE(users->empty());
  auto missing = readValue<std::optional<RingSequence>>(
      [](Session& session) { return loadRingSequence(session, "default"); });
  ASSERT_TRUE(missing) << errorText(missing);
  EXPECT_FALSE(missing->has_value());
}

}  // namespace
}  // namespace pk::store
