#pragma once

// Pre- and post-install hooks: programs that an administrator places on the
// host, in one root-owned folder, and that a job names. The server only
// sends a hook's name, never code, so the agent runs a hook only when
// nobody but root can have written it:
//   - the name matches [a-z0-9-]+ (no path, no dot);
//   - the folder is owned by root and not writable by group or others;
//   - the hook is a regular file (not a symbolic link), owned by root, and
//     not writable by group or others.
// A hook runs under installer::runSupervised with a time limit, its output
// captured, and these environment variables set:
//   PATCHKEEPER_JOB         the job id ("j-" + 16 hex)
//   PATCHKEEPER_DEPLOYMENT  the deployment id
//   PATCHKEEPER_PHASE       "pre" or "post"
// A post hook may run twice for one job when the agent was killed between
// the hook and the record of its end, so hooks should be safe to repeat.

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/error.h"
#include "installer/child_process.h"

namespace pk::agent {

inline constexpr std::string_view kDefaultHooksFolder = "/etc/patchkeeper/hooks";

struct HookOptions {
  // The folder of hook files. Only tests use another one.
  std::filesystem::path folder{kDefaultHooksFolder};
  std::chrono::milliseconds timeout = std::chrono::minutes(10);
  std::chrono::milliseconds kill_grace = std::chrono::seconds(10);
  std::size_t max_output_bytes = installer::kDefaultMaxOutputBytes;
};

enum class HookPhase { kPre, kPost };

// Returns "pre" or "post".
std::string_view hookPhaseName(HookPhase phase);

// Values that a hook receives in its environment.
struct HookContext {
  std::string job_id{};
  std::string deployment_id{};
  HookPhase phase = HookPhase::kPre;
};

// Returns whether `name` is a valid hook name: 1 to 64 characters of
// [a-z0-9-].
bool isValidHookName(std::string_view name);

// Checks the hook `name` in `folder` against the rules above and returns its
// path. Fails with kInvalidArgument for an invalid name or a file or folder
// that breaks an ownership or mode rule (the message names the path and the
// rule), and with kNotFound when the folder or the file does not exist.
Result<std::filesystem::path> checkHook(const std::filesystem::path& folder, std::string_view name);

// Checks the hook and runs it with no arguments. Returns its result when it
// exited with status 0. Fails as checkHook and runSupervised do. Fails with
// kIoError when the hook failed or timed out, and the message then names
// the hook, its exit status and its captured output.
Result<installer::SupervisedResult> runHook(const HookOptions& options, std::string_view name,
                                            const HookContext& context, const Clock& clock);

}  // namespace pk::agent
