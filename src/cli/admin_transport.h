#pragma once

// The ApiTransport that talks to a real server, over protocol::ApiClient.

#include <memory>

#include "cli/admin_api.h"
#include "cli/admin_config.h"

namespace pk::cli {

// Returns a transport to config.server_url that trusts the server by
// config.pin, else config.ca_file, else the system's CA store, and sends
// config.token as a bearer token when it is not empty. Plain http:// is
// allowed for the loopback URLs that validateServerUrl accepts. Fails with
// kInvalidArgument for a URL or pin that validateServerUrl or validatePin
// rejects, and as protocol::ApiClient does (an unreadable CA file).
Result<std::unique_ptr<ApiTransport>> makeApiTransport(const ClientConfig& config);

}  // namespace pk::cli
