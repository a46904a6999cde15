// Feeds arbitrary bytes, as a request body, to the parsers of collection
// and ring sequence bodies that POST and PUT /api/v1/collections and
// /api/v1/ring-sequences use, both as a creation and as an update of a
// stored object. Checks what they accept: a slug id, a name, a valid rule
// on a rule collection and no explicit members there, and rings that pass
// checkRingSequence(). A rejection must be a 4xx with a message. A
// violated property traps, so libFuzzer records the input.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "server/collection_routes.h"
#include "server/collections.h"

namespace {

void require(bool property) {
  if (!property) __builtin_trap();
}

void requireRejection(const pk::server::Response& rejection) {
  require(rejection.status >= 400 && rejection.status < 500);
  require(!rejection.body.empty());
}

void checkCollection(const nlohmann::json& body, bool creating) {
  pk::store::CollectionRecord collection;
  if (!creating) {
    collection.id = "stored";
    collection.name = "Stored";
  }
  if (auto rejection = pk::server::applyCollectionBody(body, collection, creating)) {
    requireRejection(*rejection);
    return;
  }
  require(pk::server::isSlug(collection.id));
  require(!collection.name.empty());
  if (collection.isRule()) {
    require(pk::server::checkCollectionRule(collection.rule).has_value());
    require(collection.members.empty());
  }
  require(collection.pre_hook.empty() || pk::server::isSlug(collection.pre_hook));
  require(collection.post_hook.empty() || pk::server::isSlug(collection.post_hook));
  require(collection.restart_policy.restart_deadline_seconds > 0);
  require(collection.restart_policy.countdown_seconds > 0);
  require(collection.restart_policy.reminder_seconds > 0);
  // Every accepted policy goes through the bounds check, as the routes do.
  (void)pk::server::checkRestartPolicy(collection.restart_policy,
                                       pk::server::RestartPolicyBounds{});
}

void checkSequence(const nlohmann::json& body, bool creating) {
  pk::store::RingSequence sequence;
  if (!creating) {
    sequence.id = "stored";
    sequence.name = "Stored";
    sequence.rings = {pk::store::Ring{"test", pk::store::RingGate{}}};
  }
  if (auto rejection = pk::server::applyRingSequenceBody(body, sequence, creating)) {
    requireRejection(*rejection);
    return;
  }
  require(pk::server::isSlug(sequence.id));
  require(!sequence.name.empty());
  require(pk::server::checkRingSequence(sequence.rings).has_value());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto body = nlohmann::json::parse(text, nullptr, false);
  if (body.is_discarded() || !body.is_object()) return 0;

  checkCollection(body, true);
  checkCollection(body, false);
  checkSequence(body, true);
  checkSequence(body, false);
  return 0;
}
