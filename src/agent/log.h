#pragma once

// The agent component's logger, named "agent". It writes to the default
// logger's sinks, so a program or test that replaces those before the first
// call decides where agent lines go.

#include <spdlog/spdlog.h>

namespace pk::agent {

// Returns the shared "agent" logger, creating it on first use. Thread-safe.
spdlog::logger& logger();

}  // namespace pk::agent
