#include "winagent/registry.h"

#include "winagent/transport.h"

namespace pk::winagent {
namespace {

constexpr REGSAM kReadAccess = KEY_READ | KEY_WOW64_64KEY;

// Owns an open registry key.
class OpenKey {
 public:
  OpenKey(HKEY root, const std::wstring& path) {
    if (RegOpenKeyExW(root, path.c_str(), 0, kReadAccess, &key_) != ERROR_SUCCESS) key_ = nullptr;
  }
  ~OpenKey() {
    if (key_ != nullptr) RegCloseKey(key_);
  }
  OpenKey(const OpenKey&) = delete;
  OpenKey& operator=(const OpenKey&) = delete;
  HKEY get() const { return key_; }

 private:
  HKEY key_ = nullptr;
};

std::wstring wide(std::string_view text) {
  auto converted = toWide(text);
  return converted ? *converted : std::wstring();
}

}  // namespace

Win32Registry::Win32Registry(HKEY root, std::string base) : root_(root), base_(std::move(base)) {}

std::wstring Win32Registry::fullPath(std::string_view key) const {
  if (base_.empty()) return wide(key);
  if (key.empty()) return wide(base_);
  return wide(base_ + "\\" + std::string(key));
}

std::optional<std::string> Win32Registry::readString(std::string_view key, std::string_view name) {
  OpenKey open(root_, fullPath(key));
  if (open.get() == nullptr) return std::nullopt;
  const std::wstring value_name = wide(name);
  DWORD type = 0;
  DWORD size = 0;
  if (RegQueryValueExW(open.get(), value_name.c_str(), nullptr, &type, nullptr, &size) !=
          ERROR_SUCCESS ||
      (type != REG_SZ && type != REG_EXPAND_SZ)) {
    return std::nullopt;
  }
  std::wstring text(size / sizeof(wchar_t) + 1, L'\0');
  DWORD read_size = static_cast<DWORD>(text.size() * sizeof(wchar_t));
  if (RegQueryValueExW(open.get(), value_name.c_str(), nullptr, &type,
                       reinterpret_cast<BYTE*>(text.data()), &read_size) != ERROR_SUCCESS) {
    return std::nullopt;
  }
  // The stored value may or may not end with its terminating zero.
  text.resize(read_size / sizeof(wchar_t));
  while (!text.empty() && text.back() == L'\0') text.pop_back();
  return toUtf8(text);
}

std::optional<std::uint32_t> Win32Registry::readDword(std::string_view key, std::string_view name) {
  OpenKey open(root_, fullPath(key));
  if (open.get() == nullptr) return std::nullopt;
  const std::wstring value_name = wide(name);
  DWORD type = 0;
  DWORD value = 0;
  DWORD size = sizeof value;
  if (RegQueryValueExW(open.get(), value_name.c_str(), nullptr, &type,
                       reinterpret_cast<BYTE*>(&value), &size) != ERROR_SUCCESS ||
      type != REG_DWORD) {
    return std::nullopt;
  }
  return static_cast<std::uint32_t>(value);
}

bool Win32Registry::keyExists(std::string_view key) {
  OpenKey open(root_, fullPath(key));
  return open.get() != nullptr;
}

bool Win32Registry::valueExists(std::string_view key, std::string_view name) {
  OpenKey open(root_, fullPath(key));
  if (open.get() == nullptr) return false;
  const std::wstring value_name = wide(name);
  return RegQueryValueExW(open.get(), value_name.c_str(), nullptr, nullptr, nullptr, nullptr) ==
         ERROR_SUCCESS;
}

std::vector<std::string> Win32Registry::subkeys(std::string_view key) {
  std::vector<std::string> names;
  OpenKey open(root_, fullPath(key));
  if (open.get() == nullptr) return names;
  // Registry key names are at most 255 characters.
  wchar_t name[256];
  for (DWORD index = 0;; ++index) {
    DWORD length = 256;
    const LONG status =
        RegEnumKeyExW(open.get(), index, name, &length, nullptr, nullptr, nullptr, nullptr);
    if (status != ERROR_SUCCESS) break;
    names.push_back(toUtf8(std::wstring_view(name, length)));
  }
  return names;
}

}  // namespace pk::winagent
