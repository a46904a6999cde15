#include "inventory/rpm_database.h"

#include <fmt/format.h>

#include <vector>

#include "common/child_process.h"
#include "inventory/rpm_query.h"

namespace pk::inventory {

Result<ParsedPackages> readRpmDatabase(const std::filesystem::path& root,
                                       const std::string& db_path, const std::string& rpm_program) {
  const std::vector<std::string> argv{
      rpm_program, "--root", root.string(),   "--dbpath",
      db_path,     "-qa",    "--queryformat", std::string(kRpmQueryFormat)};
  const std::string db_dir = (root / std::filesystem::path(db_path).relative_path()).string();
  Result<CommandOutput> output = runCommand(argv);
  if (!output) return tl::unexpected(output.error());

  if (output->exit_code != 0) {
    return fail(ErrorCode::kIoError,
                fmt::format("{}; check that the rpm database under {} is readable by this rpm",
                            describeFailure(argv, *output), db_dir));
  }
  // rpm prints warnings (for example about a BerkeleyDB database opened
  // read-only) on standard error even when the query succeeds; they do not
  // change the output.
  return parseRpmQueryOutput(output->standard_output, db_dir);
}

}  // namespace pk::inventory
