#include "advisory/advisory.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

namespace pk::advisory {

std::string_view severityName(Severity severity) {
  switch (severity) {
    case Severity::kUnknown:
      return "unknown";
    case Severity::kNone:
      return "none";
    case Severity::kLow:
      return "low";
    case Severity::kMedium:
      return "medium";
    case Severity::kHigh:
      return "high";
    case Severity::kCritical:
      return "critical";
  }
  return "unknown";
}

Severity parseSeverityWord(std::string_view word) {
  std::string lower(word);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  struct Word {
    std::string_view text;
    Severity severity;
  };
  static constexpr std::array<Word, 11> kWords{{
      {"none", Severity::kNone},
      {"unimportant", Severity::kLow},
      {"negligible", Severity::kLow},
      {"low", Severity::kLow},
      {"medium", Severity::kMedium},
      {"moderate", Severity::kMedium},
      {"high", Severity::kHigh},
      {"important", Severity::kHigh},
      {"critical", Severity::kCritical},
      {"not yet assigned", Severity::kUnknown},
      {"unknown", Severity::kUnknown},
  }};
  for (const auto& entry : kWords) {
    if (entry.text == lower) return entry.severity;
  }
  return Severity::kUnknown;
}

}  // namespace pk::advisory
