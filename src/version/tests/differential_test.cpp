// Differential tests: our dpkg and rpm orders against the package managers'
// own code on generated versions. dpkg is checked in-process through
// libdpkg (parseversion and dpkg_version_compare), and a sample through
// `dpkg --compare-versions`. rpm is checked through the Lua rpm.vercmp() of
// the `rpm` command, one process per batch of pairs.
//
// The generators are seeded with kSeed, so a failure reproduces; it prints
// the seed and the first disagreements.

#define LIBDPKG_VOLATILE_API 1
#include <dpkg/dpkg-db.h>
#include <dpkg/dpkg.h>
#include <dpkg/error.h>
#include <dpkg/version.h>

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "version/ascii.h"
#include "version/dpkg.h"
#include "version/rpm.h"
#include "version/tests/order_table.h"

extern char** environ;

namespace pk::version {
namespace {

using testing::symbolOf;

constexpr std::uint64_t kSeed = 20240611;
constexpr std::size_t kPairCount = 120'000;
constexpr std::size_t kValidityCount = 200'000;
constexpr std::size_t kCommandSampleCount = 2'000;
constexpr std::size_t kRpmBatchSize = 40'000;
constexpr std::size_t kShownDisagreements = 20;

// Collects disagreements and prints the first few with the seed.
class Disagreements {
 public:
  void add(std::string line) {
    if (lines_.size() < kShownDisagreements) lines_.push_back(std::move(line));
    ++count_;
  }

  std::size_t count() const { return count_; }

  std::string report() const {
    std::ostringstream out;
    out << count_ << " disagreements (seed " << kSeed << "); first ones:\n";
    for (const auto& line : lines_) out << "  " << line << '\n';
    return out.str();
  }

 private:
  std::vector<std::string> lines_;
  std::size_t count_ = 0;
};

std::string describePair(std::string_view a, std::string_view b, char ours, char theirs) {
  std::ostringstream out;
  out << "'" << a << "' vs '" << b << "': ours " << ours << ", theirs " << theirs;
  return out.str();
}

// Generates version strings that stress one scheme's rules. Pieces are drawn
// from small alphabets so that generated pairs share prefixes and often
// differ in one place only.
class Generator {
 public:
  explicit Generator(std::uint64_t seed) : random_(seed) {}

  std::size_t below(std::size_t limit) {
    return std::uniform_int_distribution<std::size_t>(0, limit - 1)(random_);
  }

  bool chance(int percent) { return below(100) < static_cast<std::size_t>(percent); }

  char pick(std::string_view characters) { return characters[below(characters.size())]; }

  // A digit run: usually short, sometimes with leading zeros, sometimes 30+
  // digits, so that both value comparison and overflow handling are covered.
  std::string number() {
    std::string out;
    if (chance(15)) out.append(below(3) + 1, '0');
    std::size_t length = chance(8) ? 30 + below(12) : 1 + below(3);
    for (std::size_t i = 0; i < length; ++i) out += pick("0123456789");
    if (chance(10)) out = std::string(1, pick("0123456789"));
    return out;
  }

  std::string word() {
    static constexpr std::string_view kWords[] = {"a",      "b",  "z",   "A",   "Z",
                                                  "rc",     "RC", "git", "deb", "dfsg",
                                                  "ubuntu", "el", "p",   "pre", "beta"};
    if (chance(70)) return std::string(kWords[below(std::size(kWords))]);
    std::string out;
    std::size_t length = 1 + below(3);
    for (std::size_t i = 0; i < length; ++i) out += pick("abcxyzABCXYZ");
    return out;
  }

  // A run of numbers and words joined by characters from `separators`.
  std::string segments(std::string_view separators, std::string_view prefixes) {
    std::string out;
    if (!prefixes.empty() && chance(5)) out += pick(prefixes);
    std::size_t count = 1 + below(5);
    for (std::size_t i = 0; i < count; ++i) {
      if (i > 0 || chance(20)) {
        if (chance(75)) out += pick(separators);
      }
      out += chance(70) ? number() : word();
    }
    if (chance(10)) out.append(1 + below(2), pick(separators));
    return out;
  }

  // Applies one small edit, so the pairs it makes are near-equal.
  std::string mutate(std::string text, std::string_view alphabet) {
    std::size_t position = text.empty() ? 0 : below(text.size() + 1);
    switch (below(8)) {
      case 0:
        text.insert(position, 1, pick(alphabet));
        break;
      case 1:
        if (position < text.size()) text.erase(position, 1);
        break;
      case 2:
        if (position < text.size()) text[position] = pick(alphabet);
        break;
      case 3:
        text.insert(position, 1, '0');
        break;
      case 4:
        text.insert(position, 1, '~');
        break;
      case 5:
        text += pick("~.0a+");
        break;
      case 6:
        // Bump a digit, so the change stays inside a number.
        if (position < text.size() && detail::isDigit(text[position])) {
          text[position] = text[position] == '9' ? '0' : static_cast<char>(text[position] + 1);
        } else {
          text.insert(position, "1");
        }
        break;
      default:
        text.insert(position, std::string(1, pick(alphabet)) + pick(alphabet));
        break;
    }
    return text;
  }

 private:
  std::mt19937_64 random_;
};

// ---- dpkg ----------------------------------------------------------------

constexpr std::string_view kDpkgAlphabet = "0123456789aZz.+~-:";
// Adds characters dpkg rejects or treats specially, for the validity check.
constexpr std::string_view kDpkgHostileAlphabet = "0123456789aZ.+~-::_ \t!@^,/\n";

std::string dpkgEpoch(Generator& generator) {
  switch (generator.below(8)) {
    case 0:
      return "0:";
    case 1:
      return "00:";
    case 2:
      return "007:";
    case 3:
      return generator.chance(50) ? "2147483647:" : "2147483648:";
    case 4:
      return generator.number() + ":";
    default:
      return std::to_string(generator.below(20)) + ":";
  }
}

std::string dpkgVersion(Generator& generator) {
  std::string out;
  bool has_epoch = generator.chance(35);
  bool has_revision = generator.chance(65);
  if (has_epoch) out += dpkgEpoch(generator);

  // '-' may appear in the upstream part only when a revision follows, and
  // ':' only after an epoch.
  std::string separators = ".+~";
  if (has_revision) separators += '-';
  if (has_epoch) separators += ':';
  out += generator.number();
  out += generator.segments(separators, "");
  if (generator.chance(15)) out += "~" + generator.segments(".+", "");

  if (has_revision) {
    out += '-';
    if (generator.chance(15)) {
      out += generator.pick("0123456789");
    } else {
      out += generator.segments(".+~", "~+.");
    }
    if (generator.chance(20)) out += generator.pick("+~") + generator.word() + "12u" + "1";
  }
  return out;
}

// Rewrites `version` into an equivalent form: a "0:" epoch, a "-0" revision
// or a leading zero.
std::string dpkgEquivalent(Generator& generator, std::string version) {
  switch (generator.below(3)) {
    case 0:
      if (version.find(':') == std::string::npos) return "0:" + version;
      return "0" + version;
    case 1:
      if (version.find('-') == std::string::npos) return version + "-0";
      return version + "0";
    default: {
      std::size_t digit = version.find_first_of("123456789");
      if (digit != std::string::npos) version.insert(digit, "0");
      return version;
    }
  }
}

// Returns whether parseversion() accepts `version` with neither an error nor
// a warning, and stores the parsed form in `parsed`.
bool dpkgAccepts(const std::string& version, dpkg_version& parsed) {
  dpkg_error error = DPKG_ERROR_INIT;
  int status = parseversion(&parsed, version.c_str(), &error);
  bool accepted = status == 0 && error.type == DPKG_MSG_NONE;
  dpkg_error_destroy(&error);
  return accepted;
}

std::size_t outcomeIndex(char symbol) {
  if (symbol == '<') return 0;
  if (symbol == '=') return 1;
  return 2;
}

char dpkgSymbol(int result) {
  if (result < 0) return '<';
  if (result > 0) return '>';
  return '=';
}

struct VersionPair {
  std::string a;
  std::string b;
};

TEST(DpkgDifferential, OrderMatchesLibdpkg) {
  Generator generator(kSeed);
  Disagreements disagreements;
  std::size_t compared = 0;
  std::array<std::size_t, 3> by_result{};

  while (compared < kPairCount) {
    std::string a = dpkgVersion(generator);
    std::string b;
    std::size_t kind = generator.below(10);
    if (kind < 6) {
      b = generator.mutate(a, kDpkgAlphabet);
    } else if (kind < 8) {
      b = dpkgEquivalent(generator, a);
    } else {
      b = dpkgVersion(generator);
    }

    dpkg_version parsed_a{};
    dpkg_version parsed_b{};
    if (!dpkgAccepts(a, parsed_a) || !dpkgAccepts(b, parsed_b)) continue;
    ASSERT_TRUE(dpkg::parse(a).has_value()) << a << " (seed " << kSeed << ")";
    ASSERT_TRUE(dpkg::parse(b).has_value()) << b << " (seed " << kSeed << ")";

    char theirs = dpkgSymbol(dpkg_version_compare(&parsed_a, &parsed_b));
    char ours = symbolOf(dpkg::compare(a, b));
    ++compared;
    ++by_result[outcomeIndex(theirs)];
    if (ours != theirs) disagreements.add(describePair(a, b, ours, theirs));
  }
  nffreeall();

  EXPECT_EQ(disagreements.count(), 0U) << disagreements.report();
  // The generator must produce every outcome often, near-equal pairs included.
  EXPECT_GT(by_result[0], kPairCount / 10);
  EXPECT_GT(by_result[1], kPairCount / 20);
  EXPECT_GT(by_result[2], kPairCount / 10);
}

TEST(DpkgDifferential, ValidityMatchesParseversion) {
  Generator generator(kSeed + 1);
  Disagreements disagreements;
  std::size_t accepted = 0;

  for (std::size_t i = 0; i < kValidityCount; ++i) {
    std::string version = dpkgVersion(generator);
    std::size_t edits = generator.below(3);
    for (std::size_t edit = 0; edit < edits; ++edit) {
      version = generator.mutate(version, kDpkgHostileAlphabet);
    }
    if (generator.chance(3)) version = " " + version + "\t";
    if (generator.chance(2)) version.clear();

    dpkg_version parsed{};
    bool theirs = dpkgAccepts(version, parsed);
    auto ours = dpkg::parse(version);
    accepted += theirs ? 1 : 0;
    if (ours.has_value() != theirs) {
      disagreements.add("'" + version + "': ours " + (ours ? "valid" : ours.error().message) +
                        ", parseversion " + (theirs ? "valid" : "invalid"));
    }
  }
  nffreeall();

  EXPECT_EQ(disagreements.count(), 0U) << disagreements.report();
  // Both valid and invalid strings must be common for the check to mean anything.
  EXPECT_GT(accepted, kValidityCount / 5);
  EXPECT_LT(accepted, kValidityCount * 4 / 5);
}

// Runs `dpkg --compare-versions a relation b` and returns its verdict.
bool dpkgCommandRelates(const std::string& a, const char* relation, const std::string& b) {
  std::string program = "dpkg";
  std::string option = "--compare-versions";
  std::string relation_text = relation;
  std::string a_text = a;
  std::string b_text = b;
  char* argv[] = {program.data(),       option.data(), a_text.data(),
                  relation_text.data(), b_text.data(), nullptr};
  pid_t child = 0;
  int spawned = posix_spawnp(&child, "dpkg", nullptr, nullptr, argv, environ);
  EXPECT_EQ(spawned, 0) << "posix_spawnp(dpkg) failed";
  int status = 0;
  EXPECT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status));
  int code = WEXITSTATUS(status);
  EXPECT_TRUE(code == 0 || code == 1)
      << "dpkg --compare-versions " << a << ' ' << relation << ' ' << b << " exited with " << code;
  return code == 0;
}

TEST(DpkgDifferential, OrderMatchesDpkgCommand) {
  Generator generator(kSeed + 2);
  Disagreements disagreements;
  std::size_t compared = 0;

  while (compared < kCommandSampleCount) {
    std::string a = dpkgVersion(generator);
    std::string b =
        generator.chance(70) ? generator.mutate(a, kDpkgAlphabet) : dpkgVersion(generator);
    dpkg_version parsed_a{};
    dpkg_version parsed_b{};
    if (!dpkgAccepts(a, parsed_a) || !dpkgAccepts(b, parsed_b)) continue;

    char theirs = '=';
    if (dpkgCommandRelates(a, "lt", b)) {
      theirs = '<';
    } else if (dpkgCommandRelates(a, "gt", b)) {
      theirs = '>';
    }
    char ours = symbolOf(dpkg::compare(a, b));
    ++compared;
    if (ours != theirs) disagreements.add(describePair(a, b, ours, theirs));
  }
  nffreeall();

  EXPECT_EQ(disagreements.count(), 0U) << disagreements.report();
}

// ---- rpm -----------------------------------------------------------------

constexpr std::string_view kRpmAlphabet = "0123456789aZz._+~^-:";

std::string rpmVersion(Generator& generator) {
  std::string out;
  switch (generator.below(10)) {
    case 0:
      out += "0:";
      break;
    case 1:
      out += "00" + std::to_string(generator.below(5)) + ":";
      break;
    case 2:
      out += (generator.chance(50) ? "4294967295:" : "4294967296:");
      break;
    case 3:
      out += std::to_string(generator.below(30)) + ":";
      break;
    default:
      break;
  }

  out += generator.segments("._+~^", "~^_");
  if (generator.chance(15)) out += generator.pick("~^") + generator.segments("._+", "");
  if (generator.chance(60)) {
    out += '-';
    out += generator.segments("._+~^", "~^_");
    if (generator.chance(20)) out += std::string(".el") + generator.pick("6789") + "_" + "4";
  }
  return out;
}

// Orders `pairs` with rpm's own rpm.vercmp() in one `rpm --eval` process.
// Returns one symbol per pair ('<', '=', '>'), or 'E' where rpm.vercmp
// raised an error.
std::vector<char> rpmVercmp(const std::vector<VersionPair>& pairs) {
  char path[] = "/tmp/pk-rpm-pairs-XXXXXX";
  int descriptor = mkstemp(path);
  EXPECT_GE(descriptor, 0) << "mkstemp failed";
  close(descriptor);
  {
    std::ofstream file(path);
    for (const auto& pair : pairs) file << pair.a << '\t' << pair.b << '\n';
  }

  // io.write bypasses the macro buffer, so the output stays one line per pair.
  std::string command = std::string("rpm --eval '%{lua: ") + "for line in io.lines(\"" + path +
                        "\") do "
                        "local a, b = line:match(\"^([^\\t]*)\\t([^\\t]*)$\"); "
                        "local ok, result = pcall(rpm.vercmp, a, b); "
                        "if not ok then io.write(\"E\\n\") "
                        "elseif result < 0 then io.write(\"<\\n\") "
                        "elseif result > 0 then io.write(\">\\n\") "
                        "else io.write(\"=\\n\") end "
                        "end}'";
  std::vector<char> results;
  results.reserve(pairs.size());
  FILE* output = popen(command.c_str(), "r");
  EXPECT_NE(output, nullptr) << "could not run rpm";
  if (output != nullptr) {
    std::array<char, 64> line{};
    while (std::fgets(line.data(), static_cast<int>(line.size()), output) != nullptr) {
      if (line[0] != '\n') results.push_back(line[0]);
    }
    EXPECT_EQ(pclose(output), 0) << "rpm --eval failed";
  }
  std::remove(path);
  return results;
}

TEST(RpmDifferential, OrderMatchesRpmVercmp) {
  Generator generator(kSeed + 3);
  std::vector<VersionPair> pairs;
  pairs.reserve(kPairCount);
  while (pairs.size() < kPairCount) {
    std::string a = rpmVersion(generator);
    std::string b =
        generator.chance(70) ? generator.mutate(a, kRpmAlphabet) : rpmVersion(generator);
    if (!rpm::parse(a) || !rpm::parse(b)) continue;
    pairs.push_back({std::move(a), std::move(b)});
  }

  Disagreements disagreements;
  std::array<std::size_t, 3> by_result{};
  for (std::size_t start = 0; start < pairs.size(); start += kRpmBatchSize) {
    std::vector<VersionPair> batch(
        pairs.begin() + static_cast<std::ptrdiff_t>(start),
        pairs.begin() + static_cast<std::ptrdiff_t>(std::min(start + kRpmBatchSize, pairs.size())));
    std::vector<char> theirs = rpmVercmp(batch);
    ASSERT_EQ(theirs.size(), batch.size()) << "rpm --eval returned too few results";
    for (std::size_t i = 0; i < batch.size(); ++i) {
      char ours = symbolOf(rpm::compare(batch[i].a, batch[i].b));
      ++by_result[outcomeIndex(theirs[i])];
      if (ours != theirs[i])
        disagreements.add(describePair(batch[i].a, batch[i].b, ours, theirs[i]));
    }
  }

  EXPECT_EQ(disagreements.count(), 0U) << disagreements.report();
  EXPECT_GT(by_result[0], kPairCount / 10);
  EXPECT_GT(by_result[1], kPairCount / 50);
  EXPECT_GT(by_result[2], kPairCount / 10);
}

}  // namespace
}  // namespace pk::version
