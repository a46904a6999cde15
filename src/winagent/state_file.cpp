#include "winagent/state_file.h"

#include <windows.h>
// These need the types of windows.h.
#include <aclapi.h>
#include <sddl.h>
#include <shlobj.h>

#include <fmt/format.h>

#include "winagent/transport.h"

namespace pk::winagent {
namespace {

Error windowsError(std::string_view action, const std::filesystem::path& path, DWORD code) {
  return Error{ErrorCode::kIoError, fmt::format("Could not {} {}: Windows error {}.", action,
                                                toUtf8(path.wstring()), code)};
}

// Owns the security descriptor that kPrivateSddl describes.
class PrivateSecurity {
 public:
  PrivateSecurity() {
    ConvertStringSecurityDescriptorToSecurityDescriptorW(kPrivateSddl.data(), SDDL_REVISION_1,
                                                         &descriptor_, nullptr);
    attributes_.nLength = sizeof attributes_;
    attributes_.lpSecurityDescriptor = descriptor_;
    attributes_.bInheritHandle = FALSE;
  }
  ~PrivateSecurity() { LocalFree(descriptor_); }
  PrivateSecurity(const PrivateSecurity&) = delete;
  PrivateSecurity& operator=(const PrivateSecurity&) = delete;

  bool valid() const { return descriptor_ != nullptr; }
  SECURITY_ATTRIBUTES* attributes() { return &attributes_; }
  PSECURITY_DESCRIPTOR descriptor() const { return descriptor_; }

 private:
  PSECURITY_DESCRIPTOR descriptor_ = nullptr;
  SECURITY_ATTRIBUTES attributes_{};
};

// Applies kPrivateSddl's DACL to an existing file or folder, replacing
// entries inherited from its parent.
Result<void> applyPrivateDacl(const std::filesystem::path& path, PrivateSecurity& security) {
  BOOL present = FALSE;
  BOOL defaulted = FALSE;
  PACL dacl = nullptr;
  if (!GetSecurityDescriptorDacl(security.descriptor(), &present, &dacl, &defaulted) || !present) {
    return tl::unexpected(windowsError("read the private DACL for", path, GetLastError()));
  }
  std::wstring name = path.wstring();
  const DWORD status = SetNamedSecurityInfoW(
      name.data(), SE_FILE_OBJECT, DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION,
      nullptr, nullptr, dacl, nullptr);
  if (status != ERROR_SUCCESS) {
    return tl::unexpected(windowsError("restrict access to", path, status));
  }
  return {};
}

// The SIDs of the ACCESS_ALLOWED entries of `dacl`.
std::vector<std::string> allowedSidsOf(const ACL* dacl) {
  std::vector<std::string> sids;
  if (dacl == nullptr) return sids;
  for (DWORD i = 0; i < dacl->AceCount; ++i) {
    void* ace = nullptr;
    if (!GetAce(const_cast<ACL*>(dacl), i, &ace)) continue;
    auto* header = static_cast<ACE_HEADER*>(ace);
    if (header->AceType != ACCESS_ALLOWED_ACE_TYPE) continue;
    auto* allowed = static_cast<ACCESS_ALLOWED_ACE*>(ace);
    LPWSTR text = nullptr;
    if (ConvertSidToStringSidW(reinterpret_cast<PSID>(&allowed->SidStart), &text)) {
      sids.push_back(toUtf8(text));
      LocalFree(text);
    }
  }
  return sids;
}

}  // namespace

Result<std::vector<std::string>> privateSddlSids() {
  PrivateSecurity security;
  BOOL present = FALSE;
  BOOL defaulted = FALSE;
  PACL dacl = nullptr;
  if (!security.valid() ||
      !GetSecurityDescriptorDacl(security.descriptor(), &present, &dacl, &defaulted) || !present) {
    return fail(ErrorCode::kInternal, "Windows could not parse the private DACL.");
  }
  return allowedSidsOf(dacl);
}

bool runningUnderWine() {
  HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
  return ntdll != nullptr && GetProcAddress(ntdll, "wine_get_version") != nullptr;
}

Result<std::filesystem::path> defaultStateDirectory() {
  PWSTR folder = nullptr;
  const HRESULT result = SHGetKnownFolderPath(FOLDERID_ProgramData, 0, nullptr, &folder);
  if (FAILED(result)) {
    CoTaskMemFree(folder);
    return fail(ErrorCode::kNotFound,
                fmt::format("Windows could not name the ProgramData folder (HRESULT 0x{:08X}).",
                            static_cast<std::uint32_t>(result)));
  }
  std::filesystem::path directory = std::filesystem::path(folder) / L"patchkeeper";
  CoTaskMemFree(folder);
  return directory;
}

Result<void> preparePrivateDirectory(const std::filesystem::path& directory) {
  PrivateSecurity security;
  if (!security.valid()) {
    return tl::unexpected(windowsError("build the private DACL for", directory, GetLastError()));
  }
  if (directory.has_parent_path() && directory.parent_path() != directory) {
    std::error_code error;
    std::filesystem::create_directories(directory.parent_path(), error);
    if (error) {
      return tl::unexpected(
          Error{ErrorCode::kIoError,
                fmt::format("Could not create {}: {}.", toUtf8(directory.parent_path().wstring()),
                            error.message())});
    }
  }
  if (CreateDirectoryW(directory.c_str(), security.attributes())) return {};
  const DWORD code = GetLastError();
  if (code != ERROR_ALREADY_EXISTS) return tl::unexpected(windowsError("create", directory, code));
  // A folder made by an older install or by hand gets the same DACL.
  return applyPrivateDacl(directory, security);
}

Result<void> writeFileAtomically(const std::filesystem::path& path, std::string_view contents) {
  PrivateSecurity security;
  if (!security.valid()) {
    return tl::unexpected(windowsError("build the private DACL for", path, GetLastError()));
  }
  std::filesystem::path temporary = path;
  temporary += fmt::format(".{}.tmp", GetCurrentProcessId());

  HANDLE file = CreateFileW(temporary.c_str(), GENERIC_WRITE, 0, security.attributes(),
                            CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
  if (file == INVALID_HANDLE_VALUE) {
    return tl::unexpected(windowsError("create", temporary, GetLastError()));
  }
  std::size_t written_total = 0;
  DWORD code = ERROR_SUCCESS;
  while (written_total < contents.size()) {
    const auto chunk =
        static_cast<DWORD>(std::min<std::size_t>(contents.size() - written_total, 1u << 20));
    DWORD written = 0;
    if (!WriteFile(file, contents.data() + written_total, chunk, &written, nullptr)) {
      code = GetLastError();
      break;
    }
    written_total += written;
  }
  if (code == ERROR_SUCCESS && !FlushFileBuffers(file)) code = GetLastError();
  CloseHandle(file);
  if (code != ERROR_SUCCESS) {
    DeleteFileW(temporary.c_str());
    return tl::unexpected(windowsError("write", temporary, code));
  }

  if (!MoveFileExW(temporary.c_str(), path.c_str(),
                   MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
    code = GetLastError();
    DeleteFileW(temporary.c_str());
    return tl::unexpected(windowsError("replace", path, code));
  }
  return {};
}

Result<std::optional<std::string>> readStateFile(const std::filesystem::path& path) {
  HANDLE file = CreateFileW(path.c_str(), GENERIC_READ, FILE_SHARE_READ, nullptr, OPEN_EXISTING,
                            FILE_ATTRIBUTE_NORMAL, nullptr);
  if (file == INVALID_HANDLE_VALUE) {
    const DWORD code = GetLastError();
    if (code == ERROR_FILE_NOT_FOUND || code == ERROR_PATH_NOT_FOUND) {
      return std::optional<std::string>();
    }
    return tl::unexpected(windowsError("open", path, code));
  }
  std::string contents;
  char buffer[65536];
  for (;;) {
    DWORD read = 0;
    if (!ReadFile(file, buffer, sizeof buffer, &read, nullptr)) {
      const DWORD code = GetLastError();
      CloseHandle(file);
      return tl::unexpected(windowsError("read", path, code));
    }
    if (read == 0) break;
    contents.append(buffer, read);
  }
  CloseHandle(file);
  return std::optional<std::string>(std::move(contents));
}

Result<std::vector<std::string>> allowedSids(const std::filesystem::path& path) {
  PACL dacl = nullptr;
  PSECURITY_DESCRIPTOR descriptor = nullptr;
  std::wstring name = path.wstring();
  const DWORD status = GetNamedSecurityInfoW(name.data(), SE_FILE_OBJECT, DACL_SECURITY_INFORMATION,
                                             nullptr, nullptr, &dacl, nullptr, &descriptor);
  if (status != ERROR_SUCCESS) {
    return tl::unexpected(windowsError("read the access list of", path, status));
  }
  std::vector<std::string> sids = allowedSidsOf(dacl);
  LocalFree(descriptor);
  return sids;
}

}  // namespace pk::winagent
