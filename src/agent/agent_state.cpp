#include "agent/agent_state.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "agent/log.h"
#include "protocol/messages.h"

namespace pk::agent {
namespace {

using Json = nlohmann::json;

constexpr int kSequenceDigits = 12;

std::string systemReason(int error_number) {
  return std::strerror(error_number);
}

Result<void> ioFailure(std::string_view what, const std::filesystem::path& path, int error_number) {
  return fail(ErrorCode::kIoError,
              fmt::format("cannot {} {}: {}", what, path.string(), systemReason(error_number)));
}

bool writeAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t written = ::write(fd, data.data(), data.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(written));
  }
  return true;
}

// Makes a rename or unlink in `folder` durable.
Result<void> syncFolder(const std::filesystem::path& folder) {
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ioFailure("open the folder", folder, errno);
  const int synced = ::fsync(fd);
  const int error_number = errno;
  ::close(fd);
  if (synced != 0) return ioFailure("sync the folder", folder, error_number);
  return {};
}

// Creates `folder` with mode 0700 when missing, and tightens an existing
// one's mode to 0700.
Result<void> ensurePrivateFolder(const std::filesystem::path& folder) {
  if (::mkdir(folder.c_str(), 0700) != 0 && errno != EEXIST) {
    return ioFailure("create the folder", folder, errno);
  }
  if (::chmod(folder.c_str(), 0700) != 0) return ioFailure("set the mode of", folder, errno);
  return {};
}

// Reads a whole file; nullopt when it does not exist.
Result<std::optional<std::string>> readOptionalFile(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    return tl::unexpected(ioFailure("open", path, errno).error());
  }
  std::string text;
  char buffer[16 * 1024];
  while (true) {
    const ssize_t count = ::read(fd, buffer, sizeof buffer);
    if (count < 0) {
      if (errno == EINTR) continue;
      const int error_number = errno;
      ::close(fd);
      return tl::unexpected(ioFailure("read", path, error_number).error());
    }
    if (count == 0) break;
    text.append(buffer, static_cast<std::size_t>(count));
  }
  ::close(fd);
  return std::optional<std::string>(std::move(text));
}

// Parses an outbox file name "NNNNNNNNNNNN-<report id>.json".
std::optional<OutboxEntry> parseOutboxName(const std::filesystem::path& path) {
  const std::string name = path.filename().string();
  constexpr std::size_t kLength = kSequenceDigits + 1 + 32 + 5;
  if (name.size() != kLength || name[kSequenceDigits] != '-' || !name.ends_with(".json")) {
    return std::nullopt;
  }
  OutboxEntry entry;
  entry.path = path;
  const char* begin = name.data();
  auto [end, error] = std::from_chars(begin, begin + kSequenceDigits, entry.sequence);
  if (error != std::errc() || end != begin + kSequenceDigits) return std::nullopt;
  entry.report_id = name.substr(kSequenceDigits + 1, 32);
  if (!protocol::isReportId(entry.report_id)) return std::nullopt;
  return entry;
}

// Moves `path` into `folder` (created 0700), keeping its name; a name taken
// already gets a numbered suffix so nothing is overwritten.
Result<std::filesystem::path> moveInto(const std::filesystem::path& path,
                                       const std::filesystem::path& folder) {
  if (auto made = ensurePrivateFolder(folder); !made) return tl::unexpected(made.error());
  std::filesystem::path target = folder / path.filename();
  for (int attempt = 1; std::filesystem::exists(target) && attempt < 1000; ++attempt) {
    target = folder / fmt::format("{}.{}", path.filename().string(), attempt);
  }
  if (::rename(path.c_str(), target.c_str()) != 0) {
    return tl::unexpected(ioFailure("move", path, errno).error());
  }
  if (auto synced = syncFolder(folder); !synced) return tl::unexpected(synced.error());
  if (auto synced = syncFolder(path.parent_path()); !synced) return tl::unexpected(synced.error());
  return target;
}

}  // namespace

Result<void> writeFileAtomically(const std::filesystem::path& path, const std::string& content,
                                 unsigned mode) {
  const std::filesystem::path folder = path.parent_path();
  std::string temporary = (folder / ("." + path.filename().string() + ".tmp-XXXXXX")).string();
  const int fd = ::mkostemp(temporary.data(), O_CLOEXEC);
  if (fd < 0) return ioFailure("create a temporary file in", folder, errno);

  auto abandon = [&](std::string_view what, int error_number) {
    ::close(fd);
    ::unlink(temporary.c_str());
    return ioFailure(what, path, error_number);
  };
  // mkostemp creates 0600 already; fchmod applies any other requested mode
  // regardless of the umask.
  if (::fchmod(fd, static_cast<mode_t>(mode)) != 0) return abandon("set the mode of", errno);
  if (!writeAll(fd, content)) return abandon("write", errno);
  if (::fsync(fd) != 0) return abandon("sync", errno);
  if (::close(fd) != 0) {
    const int error_number = errno;
    ::unlink(temporary.c_str());
    return ioFailure("close", path, error_number);
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    const int error_number = errno;
    ::unlink(temporary.c_str());
    return ioFailure("rename a temporary file to", path, error_number);
  }
  return syncFolder(folder);
}

Result<AgentState> AgentState::open(const std::filesystem::path& folder,
                                    std::size_t max_outbox_reports) {
  struct stat status {};
  if (::stat(folder.c_str(), &status) == 0) {
    if (!S_ISDIR(status.st_mode)) {
      return fail(ErrorCode::kIoError,
                  fmt::format("state folder {} exists but is not a folder", folder.string()));
    }
    if ((status.st_mode & S_IRWXO) != 0) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("state folder {} may be accessed by all users (mode {:o}) but holds "
                              "the host token; run: chmod 700 {}",
                              folder.string(), status.st_mode & 07777U, folder.string()));
    }
  } else if (errno == ENOENT) {
    std::error_code error;
    std::filesystem::create_directories(folder.parent_path(), error);
    if (::mkdir(folder.c_str(), 0700) != 0 && errno != EEXIST) {
      return tl::unexpected(ioFailure("create the state folder", folder, errno).error());
    }
  } else {
    return tl::unexpected(ioFailure("inspect the state folder", folder, errno).error());
  }

  // Group access is tightened silently: only "others" are worth refusing
  // over, because a group-readable folder is a plausible packaging default.
  if (auto made = ensurePrivateFolder(folder); !made) return tl::unexpected(made.error());
  if (auto made = ensurePrivateFolder(folder / "outbox"); !made) {
    return tl::unexpected(made.error());
  }
  return AgentState(folder, std::max<std::size_t>(max_outbox_reports, 1));
}

void AgentState::moveAside(const std::filesystem::path& path, const std::string& why) {
  auto moved = moveInto(path, folder_ / "corrupt");
  if (moved) {
    logger().warn("moved unreadable file {} to {}: {}", path.string(), moved->string(), why);
  } else {
    logger().error("file {} is unreadable ({}) and could not be moved aside: {}", path.string(),
                   why, moved.error().message);
  }
}

Result<std::optional<Identity>> AgentState::loadIdentity() {
  const std::filesystem::path path = folder_ / "identity.json";
  auto text = readOptionalFile(path);
  if (!text) return tl::unexpected(text.error());
  if (!*text) return std::optional<Identity>();

  const Json json = Json::parse(**text, nullptr, /*allow_exceptions=*/false);
  const auto field = [&](const char* key) -> std::string {
    if (!json.is_object() || !json.contains(key) || !json[key].is_string()) return {};
    return json[key].get<std::string>();
  };
  Identity identity{field("host_id"), field("token"), field("server_url")};
  identity.token_rejected = json.is_object() && json.contains("token_rejected") &&
                            json["token_rejected"].is_boolean() &&
                            json["token_rejected"].get<bool>();
  if (!protocol::isHostId(identity.host_id) || identity.token.empty()) {
    moveAside(path, "it is not JSON with a host_id and a token");
    return std::optional<Identity>();
  }
  return std::optional<Identity>(identity);
}

Result<void> AgentState::saveIdentity(const Identity& identity) {
  const Json json{{"host_id", identity.host_id},
                  {"token", identity.token},
                  {"server_url", identity.server_url},
                  {"token_rejected", identity.token_rejected}};
  return writeFileAtomically(folder_ / "identity.json", json.dump(2) + "\n");
}

Result<std::string> AgentState::loadAcknowledgedHash() {
  const std::filesystem::path path = folder_ / "acknowledged.json";
  auto text = readOptionalFile(path);
  if (!text) return tl::unexpected(text.error());
  if (!*text) return std::string();

  const Json json = Json::parse(**text, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object() || !json.contains("inventory_hash") ||
      !json["inventory_hash"].is_string()) {
    moveAside(path, "it is not JSON with an inventory_hash");
    return std::string();
  }
  return json["inventory_hash"].get<std::string>();
}

Result<void> AgentState::saveAcknowledgedHash(const std::string& hash) {
  return writeFileAtomically(folder_ / "acknowledged.json",
                             Json{{"inventory_hash", hash}}.dump() + "\n");
}

Result<std::vector<OutboxEntry>> AgentState::pending() {
  std::vector<OutboxEntry> entries;
  std::vector<std::filesystem::path> strays;
  std::error_code error;
  for (const auto& item : std::filesystem::directory_iterator(outbox(), error)) {
    const std::string name = item.path().filename().string();
    // Temporary files of an interrupted write are left for the next write
    // to ignore; they never became part of the queue.
    if (name.starts_with(".")) continue;
    if (auto entry = parseOutboxName(item.path())) {
      entries.push_back(*entry);
    } else {
      strays.push_back(item.path());
    }
  }
  if (error) {
    return tl::unexpected(ioFailure("list the outbox", outbox(), error.value()).error());
  }
  for (const auto& stray : strays) moveAside(stray, "its name is not SEQUENCE-REPORTID.json");
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.sequence < b.sequence; });
  return entries;
}

Result<OutboxEntry> AgentState::enqueue(const std::string& report_id,
                                        const std::string& report_json) {
  if (!protocol::isReportId(report_id)) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("report id \"{}\" is not 32 lower-case hex digits", report_id));
  }
  auto entries = pending();
  if (!entries) return tl::unexpected(entries.error());

  OutboxEntry entry;
  entry.sequence = entries->empty() ? 1 : entries->back().sequence + 1;
  entry.report_id = report_id;
  entry.path = outbox() / fmt::format("{:0{}}-{}.json", entry.sequence, kSequenceDigits, report_id);
  if (auto written = writeFileAtomically(entry.path, report_json); !written) {
    return tl::unexpected(written.error());
  }

  // Drop the oldest beyond the limit, counting the new entry.
  const std::size_t total = entries->size() + 1;
  for (std::size_t i = 0; total > max_outbox_reports_ && i < total - max_outbox_reports_; ++i) {
    const OutboxEntry& oldest = (*entries)[i];
    logger().warn("the outbox is full at {} reports; dropping the oldest, report {}",
                  max_outbox_reports_, oldest.report_id);
    if (auto removed = remove(oldest); !removed) return tl::unexpected(removed.error());
  }
  return entry;
}

Result<std::string> AgentState::read(const OutboxEntry& entry) {
  auto text = readOptionalFile(entry.path);
  if (!text) return tl::unexpected(text.error());
  if (!*text) {
    return fail(ErrorCode::kNotFound,
                fmt::format("outbox entry {} no longer exists", entry.path.string()));
  }
  return std::move(**text);
}

Result<void> AgentState::remove(const OutboxEntry& entry) {
  if (::unlink(entry.path.c_str()) != 0 && errno != ENOENT) {
    return ioFailure("remove", entry.path, errno);
  }
  return syncFolder(entry.path.parent_path());
}

Result<void> AgentState::reject(const OutboxEntry& entry, const std::string& reason) {
  const std::filesystem::path rejected = folder_ / "rejected";
  auto moved = moveInto(entry.path, rejected);
  if (!moved) return tl::unexpected(moved.error());
  return writeFileAtomically(moved->string() + ".reason", reason + "\n");
}

}  // namespace pk::agent
