// Checks that the Windows build order is a total preorder on valid builds
// and antisymmetric on any input; see version_order_properties.h.

#include "version_order_properties.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return pk::fuzz::checkVersionOrder(pk::version::Scheme::kWindows, data, size);
}
