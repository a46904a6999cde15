#include "cli/admin_commands.h"

#include <unistd.h>

#include <exception>
#include <iostream>

#include "cli/admin_arguments.h"
#include "cli/admin_host_commands.h"
#include "cli/admin_people_commands.h"
#include "cli/admin_session_commands.h"
#include "cli/admin_ticket_commands.h"
#include "cli/admin_transport.h"
#include "cli/admin_vulnerability_commands.h"
#include "cli/exit_codes.h"
#include "cli/windows_command.h"

namespace pk::cli {
namespace {

Result<void> checkPin(std::string_view pin) {
  return validatePin(std::string(pin));
}
Result<void> checkServerUrl(std::string_view url) {
  return validateServerUrl(std::string(url));
}
Result<void> checkFormat(std::string_view name) {
  auto format = parseOutputFormat(name);
  if (!format) return tl::unexpected(format.error());
  return {};
}

}  // namespace

void AdminRunner::addConnectionOptions(CLI::App* command) {
  command
      ->add_option("--server", connection_.server,
                   "the server's URL, https://HOST:PORT (default: the saved one)")
      ->check(checkedBy(checkServerUrl, "URL"));
  command
      ->add_option("--pin", connection_.pin,
                   "trust the server whose TLS key has this pin, sha256:...")
      ->check(checkedBy(checkPin, "PIN"));
  command
      ->add_option("--ca-file", connection_.ca_file,
                   "trust servers whose certificate these PEM CAs sign")
      ->check(CLI::ExistingFile);
  command->add_option("--token", connection_.token,
                      "send this session or API token (default: PATCHKEEPER_TOKEN, then the "
                      "saved session)");
}

void AdminRunner::addFormatOption(CLI::App* command) {
  command->add_option("--format", format_, "table, json or csv")
      ->check(checkedBy(checkFormat, "FORMAT"))
      ->capture_default_str();
}

OutputOptions AdminRunner::outputOptions() const {
  OutputOptions options;
  options.format = parseOutputFormat(format_).value_or(OutputFormat::kTable);
  options.colour = options.format == OutputFormat::kTable && shouldUseColour(STDOUT_FILENO);
  return options;
}

Result<LoadedConfig> AdminRunner::loadConfig() const {
  ConfigEnvironment environment = ConfigEnvironment::fromProcess();
  auto path = clientConfigPath(environment);
  if (!path) return tl::unexpected(path.error());
  auto saved = loadClientConfig(*path);
  if (!saved) return tl::unexpected(saved.error());

  LoadedConfig loaded;
  loaded.path = *path;
  loaded.saved = *saved;
  loaded.effective = applyOverrides(*saved, connection_, environment);
  return loaded;
}

void AdminRunner::run(const std::function<int(AdminContext&)>& command) {
  runWithConfig([&command](AdminContext& ctx, const LoadedConfig&) { return command(ctx); });
}

void AdminRunner::runWithConfig(
    const std::function<int(AdminContext&, const LoadedConfig&)>& command, bool for_login) {
  auto loaded = loadConfig();
  if (!loaded) {
    printError(std::cerr, loaded.error().message, errorCodeName(loaded.error().code));
    exit_status_ = kExitError;
    return;
  }
  if (for_login) loaded->effective.token.clear();

  const ClientConfig& config = loaded->effective;
  if (config.server_url.empty()) {
    printError(std::cerr,
               "no server is configured: run `patchkeeper login --server https://HOST:PORT "
               "--username NAME` first, or pass --server",
               "invalid_argument");
    exit_status_ = kExitInvalidInput;
    return;
  }
  // The flags were checked during the parse, but the saved file may have
  // been edited by hand.
  for (auto check : {validateServerUrl(config.server_url),
                     config.pin.empty() ? Result<void>() : validatePin(config.pin)}) {
    if (!check) {
      printError(std::cerr, check.error().message, "invalid_argument");
      exit_status_ = kExitInvalidInput;
      return;
    }
  }

  auto transport = makeApiTransport(config);
  if (!transport) {
    printError(std::cerr, transport.error().message, errorCodeName(transport.error().code));
    exit_status_ = kExitError;
    return;
  }

  AdminContext ctx{**transport, outputOptions(), std::cout, std::cerr, !for_login};
  // The commands report failures as values. An exception here is a bug or
  // an exhausted resource, which still deserves the usual error line.
  try {
    exit_status_ = command(ctx, *loaded);
  } catch (const std::exception& error) {
    printError(std::cerr, std::string("unexpected failure: ") + error.what(), "internal");
    exit_status_ = kExitError;
  }
}

void addAdminCommands(CLI::App& app, AdminRunner& runner, const Clock& clock) {
  addSessionCommands(app, runner);
  addHostCommands(app, runner);
  addVulnerabilityCommands(app, runner);
  addPeopleCommands(app, runner, clock);
  addTicketCommands(app, runner);
  addWindowAdminCommands(app, runner);
}

}  // namespace pk::cli
