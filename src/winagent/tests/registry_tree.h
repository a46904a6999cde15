#pragma once

// A real registry tree for tests, under HKEY_CURRENT_USER, removed at the
// end of the test. Win32Registry reads it with the tree as its base.

#include <windows.h>

#include <string>

#include <fmt/format.h>

#include "winagent/transport.h"

namespace pk::winagent::testing {

class RegistryTree {
 public:
  RegistryTree() {
    static int counter = 0;
    base_ = fmt::format("Software\\patchkeeper-tests\\{}-{}", GetCurrentProcessId(), ++counter);
  }
  ~RegistryTree() { RegDeleteTreeW(HKEY_CURRENT_USER, wide(base_).c_str()); }
  RegistryTree(const RegistryTree&) = delete;
  RegistryTree& operator=(const RegistryTree&) = delete;

  const std::string& base() const { return base_; }

  void createKey(const std::string& key) { close(open(key)); }
  void setString(const std::string& key, const std::string& name, const std::string& value) {
    HKEY handle = open(key);
    const std::wstring text = wide(value);
    RegSetValueExW(handle, wide(name).c_str(), 0, REG_SZ,
                   reinterpret_cast<const BYTE*>(text.c_str()),
                   static_cast<DWORD>((text.size() + 1) * sizeof(wchar_t)));
    close(handle);
  }
  void setDword(const std::string& key, const std::string& name, DWORD value) {
    HKEY handle = open(key);
    RegSetValueExW(handle, wide(name).c_str(), 0, REG_DWORD, reinterpret_cast<const BYTE*>(&value),
                   sizeof value);
    close(handle);
  }
  void setMultiString(const std::string& key, const std::string& name) {
    HKEY handle = open(key);
    const wchar_t value[] = L"\\??\\C:\\old.dll\0\0";
    RegSetValueExW(handle, wide(name).c_str(), 0, REG_MULTI_SZ,
                   reinterpret_cast<const BYTE*>(value), sizeof value);
    close(handle);
  }

 private:
  static std::wstring wide(const std::string& text) { return toWide(text).value_or(L""); }
  HKEY open(const std::string& key) {
    HKEY handle = nullptr;
    RegCreateKeyExW(HKEY_CURRENT_USER, wide(base_ + "\\" + key).c_str(), 0, nullptr, 0,
                    KEY_ALL_ACCESS | KEY_WOW64_64KEY, nullptr, &handle, nullptr);
    return handle;
  }
  static void close(HKEY handle) {
    if (handle != nullptr) RegCloseKey(handle);
  }

  std::string base_;
};

}  // namespace pk::winagent::testing
