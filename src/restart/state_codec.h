#pragma once

// The persisted form of the restart manager's state: one JSON object with
// times as whole seconds since the Unix epoch (UTC) and durations in
// seconds. The agent writes it atomically after every change, so a killed
// agent finds the same deadline, restart time, reminders and countdown.
// Header-only dependencies (nlohmann-json), like the manager.

#include <string>
#include <string_view>

#include "restart/manager.h"

namespace pk::restart {

// Encodes `state` as JSON text.
std::string encodeState(const State& state);

// Parses text that encodeState wrote. Returns false and sets `error` to a
// sentence naming the field when the text is not a valid state; `state`
// is then unchanged.
bool decodeState(std::string_view text, State& state, std::string& error);

}  // namespace pk::restart
