#include "agent/hooks.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "protocol/jobs.h"

namespace pk::agent {
namespace {

constexpr std::size_t kMaxHookNameLength = 64;

// Checks that `path` is owned by root and not writable by group or others.
// `what` names it in messages ("hook folder", "hook").
Result<void> checkRootOnly(const std::filesystem::path& path, const struct stat& info,
                           std::string_view what) {
  if (info.st_uid != 0) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("{} {} is owned by uid {}, not by root; make root its owner "
                            "(chown root {})",
                            what, path.string(), info.st_uid, path.string()));
  }
  if ((info.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("{} {} is writable by group or others (mode {:o}); only root may "
                            "write it (chmod go-w {})",
                            what, path.string(), info.st_mode & 07777, path.string()));
  }
  return {};
}

Result<struct stat> statWithoutFollowing(const std::filesystem::path& path, std::string_view what) {
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0) {
    const int error_number = errno;
    if (error_number == ENOENT) {
      return fail(ErrorCode::kNotFound, fmt::format("{} {} does not exist", what, path.string()));
    }
    return fail(ErrorCode::kIoError, fmt::format("cannot inspect {} {}: {}", what, path.string(),
                                                 std::strerror(error_number)));
  }
  return info;
}

}  // namespace

std::string_view hookPhaseName(HookPhase phase) {
  return phase == HookPhase::kPre ? "pre" : "post";
}

bool isValidHookName(std::string_view name) {
  // One rule for the server's messages and the agent.
  return protocol::isHookName(name);
}

Result<std::filesystem::path> checkHook(const std::filesystem::path& folder,
                                        std::string_view name) {
  if (!isValidHookName(name)) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("hook name '{}' is invalid; a hook name has 1 to {} characters of "
                            "a-z, 0-9 and '-'",
                            name, kMaxHookNameLength));
  }

  // The folder is checked through stat, which follows a link, because a
  // link at the folder's path is as safe as its target when the target is
  // root's alone.
  struct stat folder_info {};
  if (::stat(folder.c_str(), &folder_info) != 0) {
    const int error_number = errno;
    if (error_number == ENOENT) {
      return fail(ErrorCode::kNotFound,
                  fmt::format("hook folder {} does not exist; create it as root with mode 0755",
                              folder.string()));
    }
    return fail(ErrorCode::kIoError, fmt::format("cannot inspect hook folder {}: {}",
                                                 folder.string(), std::strerror(error_number)));
  }
  if (!S_ISDIR(folder_info.st_mode)) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("hook folder {} is not a folder", folder.string()));
  }
  if (auto checked = checkRootOnly(folder, folder_info, "hook folder"); !checked) {
    return tl::unexpected(checked.error());
  }

  const std::filesystem::path path = folder / std::string(name);
  auto info = statWithoutFollowing(path, "hook");
  if (!info) return tl::unexpected(info.error());
  if (!S_ISREG(info->st_mode)) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("hook {} is not a regular file; replace it with the program itself, "
                            "not a link",
                            path.string()));
  }
  if (auto checked = checkRootOnly(path, *info, "hook"); !checked) {
    return tl::unexpected(checked.error());
  }
  return path;
}

Result<installer::SupervisedResult> runHook(const HookOptions& options, std::string_view name,
                                            const HookContext& context, const Clock& clock) {
  auto path = checkHook(options.folder, name);
  if (!path) return tl::unexpected(path.error());

  installer::SupervisedCommand command{
      .argv = {path->string()},
      .environment = {"PATCHKEEPER_JOB=" + context.job_id,
                      "PATCHKEEPER_DEPLOYMENT=" + context.deployment_id,
                      "PATCHKEEPER_PHASE=" + std::string(hookPhaseName(context.phase))},
      .working_directory = options.folder,
      .timeout = options.timeout,
      .kill_grace = options.kill_grace,
      .max_output_bytes = options.max_output_bytes,
  };
  auto result = installer::runSupervised(command, clock);
  if (!result) return tl::unexpected(result.error());
  if (result->succeeded()) return result;

  std::string ending;
  if (result->timed_out) {
    ending = fmt::format("timed out after {} s",
                         std::chrono::duration_cast<std::chrono::seconds>(options.timeout).count());
  } else if (result->signal != 0) {
    ending = fmt::format("was ended by signal {}", result->signal);
  } else {
    ending = fmt::format("failed with exit status {}", result->exit_code);
  }
  return fail(ErrorCode::kIoError,
              fmt::format("{} hook {} {}; its output:\n{}", hookPhaseName(context.phase),
                          path->string(), ending, result->output));
}

}  // namespace pk::agent
