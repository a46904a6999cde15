// Feeds arbitrary bytes to the parser of /run/reboot-required.pkgs. Every
// package it reports must be a non-empty name without white space, and a
// missing marker must never require a restart.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "inventory/restart_state.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto required = pk::inventory::restartFromRebootMarker(true, text);
  if (!required.required || required.reason.empty()) __builtin_trap();
  for (const auto& package : required.packages) {
    if (package.empty()) __builtin_trap();
    if (package.find_first_of(" \t\r\n") != std::string::npos) __builtin_trap();
  }
  if (pk::inventory::restartFromRebootMarker(false, text).required) __builtin_trap();
  return 0;
}
