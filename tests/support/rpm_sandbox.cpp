#include "tests/support/rpm_sandbox.h"

#include <fmt/format.h>

#include "common/child_process.h"

namespace pk::test_support {
namespace {

namespace fs = std::filesystem;

std::string versionTags(const std::optional<std::uint32_t>& epoch, const std::string& version,
                        const std::string& release) {
  std::string tags;
  if (epoch) tags += fmt::format("Epoch: {}\n", *epoch);
  tags += fmt::format("Version: {}\nRelease: {}\n", version, release);
  return tags;
}

Result<void> runChecked(const std::vector<std::string>& argv) {
  Result<CommandOutput> output = runCommand(argv);
  if (!output) return tl::unexpected(output.error());
  if (output->exit_code != 0) {
    std::string message = describeFailure(argv, *output);
    if (!output->standard_output.empty()) {
      message += fmt::format("\nstandard output:\n{}", output->standard_output);
    }
    return fail(ErrorCode::kIoError, std::move(message));
  }
  return {};
}

}  // namespace

std::string formatSpecFile(const RpmSpec& spec) {
  const char* const kHeader =
      "Summary: package built by a patchkeeper test\nLicense: MIT\nBuildArch: noarch\n";
  if (!spec.source_name) {
    return fmt::format("Name: {}\n{}{}\n%description\nBuilt by a test.\n\n%files\n", spec.name,
                       versionTags(spec.epoch, spec.version, spec.release), kHeader);
  }
  // The source package has no %files section, so rpmbuild writes only the
  // subpackage.
  return fmt::format(
      "Name: {}\n{}{}\n%description\nSource package built by a test.\n\n"
      "%package -n {}\nSummary: subpackage built by a patchkeeper test\n{}\n"
      "%description -n {}\nBuilt by a test.\n\n%files -n {}\n",
      *spec.source_name,
      versionTags(std::nullopt, spec.source_version.value_or(spec.version),
                  spec.source_release.value_or(spec.release)),
      kHeader, spec.name, versionTags(spec.epoch, spec.version, spec.release), spec.name,
      spec.name);
}

Result<fs::path> buildRpm(const RpmSpec& spec, const fs::path& top_dir) {
  const fs::path spec_path = fs::path("SPECS") / fmt::format("{}.spec", spec.name);
  if (auto written = writeFile(top_dir, spec_path, formatSpecFile(spec)); !written) {
    return tl::unexpected(written.error());
  }
  Result<void> built =
      runChecked({"rpmbuild", "-bb", "--quiet", "--define",
                  fmt::format("_topdir {}", top_dir.string()), (top_dir / spec_path).string()});
  if (!built) return tl::unexpected(built.error());

  const fs::path rpm_path =
      top_dir / "RPMS" / "noarch" /
      fmt::format("{}-{}-{}.noarch.rpm", spec.name, spec.version, spec.release);
  std::error_code error;
  if (!fs::is_regular_file(rpm_path, error)) {
    return fail(ErrorCode::kIoError,
                fmt::format("rpmbuild succeeded but {} does not exist", rpm_path.string()));
  }
  return rpm_path;
}

Result<void> installRpms(const fs::path& root, const std::vector<fs::path>& rpms) {
  std::vector<std::string> argv{"rpm", "--root",   root.string(), "--dbpath",   "/var/lib/rpm",
                                "-i",  "--nodeps", "--justdb",    "--noscripts"};
  for (const fs::path& rpm : rpms) argv.push_back(rpm.string());
  return runChecked(argv);
}

Result<void> buildAndInstallRpms(const fs::path& root, const std::vector<RpmSpec>& specs) {
  Result<TemporaryDirectory> top_dir = TemporaryDirectory::create("rpmbuild");
  if (!top_dir) return tl::unexpected(top_dir.error());

  std::vector<fs::path> rpms;
  for (const RpmSpec& spec : specs) {
    Result<fs::path> rpm = buildRpm(spec, top_dir->path());
    if (!rpm) return tl::unexpected(rpm.error());
    rpms.push_back(std::move(*rpm));
  }
  return installRpms(root, rpms);
}

}  // namespace pk::test_support
