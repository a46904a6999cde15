#pragma once

// The desktop component's logger, named "desktop". It writes to the default
// logger's sinks, as the agent's logger does.

#include <spdlog/spdlog.h>

namespace pk::desktop {

// Returns the shared "desktop" logger, creating it on first use. Thread-safe.
spdlog::logger& logger();

}  // namespace pk::desktop
