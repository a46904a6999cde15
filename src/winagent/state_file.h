#pragma once

// The agent's files under ProgramData: a folder that only SYSTEM and the
// Administrators group may open, and files replaced atomically, so that a
// crash or power loss leaves either the old or the new contents.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace pk::winagent {

// The DACL of the agent's folder and files, in SDDL: protected from
// inherited entries, full access for SYSTEM (SY) and the built-in
// Administrators (BA), inherited by files and subfolders, and nothing for
// anyone else.
inline constexpr std::wstring_view kPrivateSddl = L"D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)";

// %ProgramData%\patchkeeper, from SHGetKnownFolderPath(FOLDERID_ProgramData).
// Fails with kNotFound when Windows cannot name ProgramData.
Result<std::filesystem::path> defaultStateDirectory();

// Creates `directory` (and its missing parents) with kPrivateSddl, and
// applies kPrivateSddl to it when it already exists. Fails with kIoError
// naming the folder and the Windows error.
Result<void> preparePrivateDirectory(const std::filesystem::path& directory);

// Writes `contents` to a temporary file beside `path` with kPrivateSddl,
// flushes it, and moves it over `path` with MoveFileExW
// (MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH). On failure the old
// file is left unchanged and the temporary file removed. Fails with
// kIoError naming the file and the Windows error.
Result<void> writeFileAtomically(const std::filesystem::path& path, std::string_view contents);

// Reads a whole file; nullopt when it does not exist. Fails with kIoError
// when it exists but cannot be read.
Result<std::optional<std::string>> readStateFile(const std::filesystem::path& path);

// The SIDs ("S-1-5-18", ...) that the DACL of `path` allows any access,
// for checks and tests. Fails with kIoError when the DACL cannot be read.
Result<std::vector<std::string>> allowedSids(const std::filesystem::path& path);

// The SIDs that kPrivateSddl's DACL allows, as Windows parses it.
Result<std::vector<std::string>> privateSddlSids();

// Whether the process runs under Wine, whose file security differs from
// Windows (docs/WINDOWS-AGENT.md, "Known limits").
bool runningUnderWine();

}  // namespace pk::winagent
