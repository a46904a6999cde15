#pragma once

// Read access to the Windows registry, behind an interface so that the
// inventory collector can read a test tree. Key paths use backslashes and
// are relative to the registry's root key, such as
// "SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion".

#include <windows.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pk::winagent {

class Registry {
 public:
  virtual ~Registry() = default;
  // A REG_SZ or REG_EXPAND_SZ value, not expanded; nullopt when the key or
  // value is missing or has another type.
  virtual std::optional<std::string> readString(std::string_view key, std::string_view name) = 0;
  // A REG_DWORD value; nullopt when missing or of another type.
  virtual std::optional<std::uint32_t> readDword(std::string_view key, std::string_view name) = 0;
  virtual bool keyExists(std::string_view key) = 0;
  // Whether the value exists, whatever its type.
  virtual bool valueExists(std::string_view key, std::string_view name) = 0;
  // The names of the key's subkeys; empty when the key is missing.
  virtual std::vector<std::string> subkeys(std::string_view key) = 0;
};

// The registry through the Win32 API, always in the 64-bit view
// (KEY_WOW64_64KEY), below `root` and `base`. The agent reads
// HKEY_LOCAL_MACHINE with an empty base; tests give a key of their own
// under HKEY_CURRENT_USER as the base.
class Win32Registry final : public Registry {
 public:
  Win32Registry(HKEY root, std::string base);

  std::optional<std::string> readString(std::string_view key, std::string_view name) override;
  std::optional<std::uint32_t> readDword(std::string_view key, std::string_view name) override;
  bool keyExists(std::string_view key) override;
  bool valueExists(std::string_view key, std::string_view name) override;
  std::vector<std::string> subkeys(std::string_view key) override;

 private:
  std::wstring fullPath(std::string_view key) const;

  HKEY root_;
  std::string base_;
};

}  // namespace pk::winagent
