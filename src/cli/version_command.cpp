#include "cli/version_command.h"

#include <ostream>

#include <fmt/format.h>

#include "cli/exit_codes.h"
#include "version/version.h"

namespace pk::cli {

void addVersionCommand(CLI::App& app, VersionCompareOptions& options, int& exit_status) {
  auto* version = app.add_subcommand("version", "Work with package version strings");
  version->require_subcommand(1);

  auto* compare = version->add_subcommand(
      "compare",
      "Compare two versions with an ecosystem's rules and print <, = or >.\n"
      "Exit status: 0 on success, 2 on a malformed version (the reason goes to stderr).\n"
      "Put -- before versions that start with '-'.");
  compare->add_option("ECOSYSTEM", options.ecosystem, "dpkg, rpm, apk, semver or windows")
      ->required();
  compare->add_option("A", options.a, "first version")->required();
  compare->add_option("B", options.b, "second version")->required();
  compare->callback(
      [&options, &exit_status] { exit_status = runVersionCompare(options, std::cout, std::cerr); });
}

int runVersionCompare(const VersionCompareOptions& options, std::ostream& out, std::ostream& err) {
  auto scheme = version::parseSchemeName(options.ecosystem);
  if (!scheme) {
    err << fmt::format(
        "patchkeeper: unknown ecosystem '{}'; expected dpkg, rpm, apk, semver or windows\n",
        options.ecosystem);
    return kExitInvalidInput;
  }

  auto order = version::compare(*scheme, options.a, options.b);
  if (!order) {
    err << "patchkeeper: " << order.error().message << '\n';
    return kExitInvalidInput;
  }

  if (*order < 0) {
    out << "<\n";
  } else if (*order > 0) {
    out << ">\n";
  } else {
    out << "=\n";
  }
  return kExitOk;
}

}  // namespace pk::cli
