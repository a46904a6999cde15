#include "cli/admin_output.h"

#include <sstream>

#include <gtest/gtest.h>

namespace pk::cli {
namespace {

const std::vector<Column> kColumns = {{"ID", "id"}, {"NAME", "name"}, {"STATE", "state.status"}};

std::string listText(const nlohmann::json& items, OutputFormat format, bool colour = false) {
  std::ostringstream out;
  writeList(items, kColumns, OutputOptions{format, colour}, "no things", out);
  return out.str();
}

std::string objectText(const nlohmann::json& object, OutputFormat format) {
  std::ostringstream out;
  writeObject(object, OutputOptions{format, false}, out);
  return out.str();
}

TEST(AdminOutputTable, PadsColumnsToWidestCell) {
  nlohmann::json items = {
      {{"id", 7}, {"name", "web-01"}, {"state", {{"status", "active"}}}},
      {{"id", 1234}, {"name", "db"}, {"state", {{"status", "revoked"}}}},
  };
  EXPECT_EQ(listText(items, OutputFormat::kTable),
            "ID    NAME    STATE\n"
            "7     web-01  active\n"
            "1234  db      revoked\n");
}

TEST(AdminOutputTable, DropsTrailingBlanksOfShortLastCell) {
  nlohmann::json items = {
      {{"id", 1}, {"name", "a"}},
      {{"id", 2}, {"name", "b"}, {"state", {{"status", "compliant"}}}},
  };
  EXPECT_EQ(listText(items, OutputFormat::kTable),
            "ID  NAME  STATE\n"
            "1   a\n"
            "2   b     compliant\n");
}

TEST(AdminOutputTable, CountsCodePointsNotBytes) {
  nlohmann::json items = {
      {{"id", 1}, {"name", "Zoë"}, {"state", {{"status", "x"}}}},
      {{"id", 2}, {"name", "Anna"}, {"state", {{"status", "y"}}}},
  };
  EXPECT_EQ(listText(items, OutputFormat::kTable),
            "ID  NAME  STATE\n"
            "1   Zoë   x\n"
            "2   Anna  y\n");
}

TEST(AdminOutputTable, EscapesControlCharactersInCells) {
  nlohmann::json items = {{{"id", 1}, {"name", "evil\n\x1b[31mred"}}};
  EXPECT_EQ(listText(items, OutputFormat::kTable),
            "ID  NAME               STATE\n"
            "1   evil\\n\\x1b[31mred\n");
}

TEST(AdminOutputTable, WritesEmptyMessageWithoutItems) {
  EXPECT_EQ(listText(nlohmann::json::array(), OutputFormat::kTable), "no things\n");
}

TEST(AdminOutputTable, BoldHeadingOnlyWithColour) {
  nlohmann::json items = {{{"id", 1}, {"name", "a"}, {"state", {{"status", "s"}}}}};
  EXPECT_EQ(listText(items, OutputFormat::kTable, /*colour=*/true),
            "\x1b[1mID  NAME  STATE\x1b[0m\n"
            "1   a     s\n");
  EXPECT_EQ(listText(items, OutputFormat::kTable, /*colour=*/false).find('\x1b'),
            std::string::npos);
}

TEST(AdminOutputCsv, QuotesCommasQuotesAndLineBreaks) {
  nlohmann::json items = {
      {{"id", 1}, {"name", "plain"}, {"state", {{"status", "a,b"}}}},
      {{"id", 2}, {"name", "say \"hi\""}, {"state", {{"status", "line1\nline2"}}}},
      {{"id", 3}, {"name", "cr\r"}, {"state", {{"status", ""}}}},
  };
  EXPECT_EQ(listText(items, OutputFormat::kCsv),
            "id,name,state.status\n"
            "1,plain,\"a,b\"\n"
            "2,\"say \"\"hi\"\"\",\"line1\nline2\"\n"
            "3,\"cr\r\",\n");
}

TEST(AdminOutputCsv, KeepsControlCharactersVerbatim) {
  nlohmann::json items = {{{"id", 1}, {"name", "tab\there"}}};
  EXPECT_EQ(listText(items, OutputFormat::kCsv), "id,name,state.status\n1,tab\there,\n");
}

TEST(AdminOutputCsv, HeadingOnlyWithoutItems) {
  EXPECT_EQ(listText(nlohmann::json::array(), OutputFormat::kCsv), "id,name,state.status\n");
}

TEST(AdminOutputJson, WritesTheApiObjectsUnchanged) {
  nlohmann::json items = {
      {{"id", 1}, {"name", "a"}, {"extra", {{"nested", true}}}},
      {{"id", 2}, {"name", nullptr}},
  };
  auto text = listText(items, OutputFormat::kJson);
  EXPECT_EQ(nlohmann::json::parse(text), items);
  EXPECT_EQ(text.back(), '\n');
}

TEST(AdminOutputJson, EmptyListIsEmptyArray) {
  EXPECT_EQ(listText(nlohmann::json::array(), OutputFormat::kJson), "[]\n");
}

TEST(AdminOutputCell, RendersEachJsonType) {
  nlohmann::json object = {
      {"text", "word"},
      {"number", 42},
      {"fraction", 0.5},
      {"yes", true},
      {"no", false},
      {"nothing", nullptr},
      {"list", {"a", "b", 3}},
      {"objects", {{{"k", 1}}}},
      {"nested", {{"inner", {{"deep", "value"}}}}},
  };
  EXPECT_EQ(cellText(object, "text"), "word");
  EXPECT_EQ(cellText(object, "number"), "42");
  EXPECT_EQ(cellText(object, "fraction"), "0.5");
  EXPECT_EQ(cellText(object, "yes"), "yes");
  EXPECT_EQ(cellText(object, "no"), "no");
  EXPECT_EQ(cellText(object, "nothing"), "");
  EXPECT_EQ(cellText(object, "list"), "a,b,3");
  EXPECT_EQ(cellText(object, "objects"), "[{\"k\":1}]");
  EXPECT_EQ(cellText(object, "nested.inner.deep"), "value");
  EXPECT_EQ(cellText(object, "nested.inner"), "{\"deep\":\"value\"}");
  EXPECT_EQ(cellText(object, "missing"), "");
  EXPECT_EQ(cellText(object, "text.below"), "");
}

TEST(AdminOutputAge, PicksTwoLargestUnits) {
  EXPECT_EQ(formatAge(-5), "0s");
  EXPECT_EQ(formatAge(0), "0s");
  EXPECT_EQ(formatAge(59), "59s");
  EXPECT_EQ(formatAge(60), "1m");
  EXPECT_EQ(formatAge(3599), "59m");
  EXPECT_EQ(formatAge(3600), "1h 0m");
  EXPECT_EQ(formatAge(5 * 3600 + 3 * 60 + 9), "5h 3m");
  EXPECT_EQ(formatAge(86400), "1d 0h");
  EXPECT_EQ(formatAge(3 * 86400 + 4 * 3600 + 59), "3d 4h");
}

TEST(AdminOutputAge, TableFormatsCsvKeepsSeconds) {
  std::vector<Column> columns = {{"AGE", "age", CellStyle::kAge}};
  nlohmann::json items = {{{"age", 90}}, {{"age", nullptr}}, {{"age", "soon"}}};
  std::ostringstream table;
  writeList(items, columns, OutputOptions{OutputFormat::kTable, false}, "", table);
  EXPECT_EQ(table.str(), "AGE\n1m\n\nsoon\n");
  std::ostringstream csv;
  writeList(items, columns, OutputOptions{OutputFormat::kCsv, false}, "", csv);
  EXPECT_EQ(csv.str(), "age\n90\n\nsoon\n");
}

TEST(AdminOutputObject, TableFlattensAndAligns) {
  nlohmann::json host = {
      {"id", "h-0123456789abcdef"},
      {"os", {{"name", "Debian"}, {"version_id", "12"}}},
      {"collections", {"web", "dmz"}},
  };
  EXPECT_EQ(objectText(host, OutputFormat::kTable),
            "collections:    web,dmz\n"
            "id:             h-0123456789abcdef\n"
            "os.name:        Debian\n"
            "os.version_id:  12\n");
}

TEST(AdminOutputObject, CsvHasHeadingAndOneRow) {
  nlohmann::json token = {{"id", 3}, {"name", "nightly, report"}};
  EXPECT_EQ(objectText(token, OutputFormat::kCsv), "id,name\n3,\"nightly, report\"\n");
}

TEST(AdminOutputObject, JsonIsTheObject) {
  nlohmann::json token = {{"id", 3}, {"token", "abc"}};
  EXPECT_EQ(nlohmann::json::parse(objectText(token, OutputFormat::kJson)), token);
}

TEST(AdminOutputEscape, KeepsPrintableUtf8) {
  EXPECT_EQ(escapeControlCharacters("Zoë → ✓"), "Zoë → ✓");
}

TEST(AdminOutputEscape, EscapesC0DelAndC1) {
  EXPECT_EQ(escapeControlCharacters("a\tb\rc\x7f"), "a\\tb\\rc\\x7f");
  // U+009B, the one-character CSI that some terminals obey.
  EXPECT_EQ(escapeControlCharacters("x\xc2\x9by"), "x\\x9by");
}

TEST(AdminOutputEscape, EscapesInvalidUtf8Bytes) {
  EXPECT_EQ(escapeControlCharacters("a\x9b"), "a\\x9b");
  EXPECT_EQ(escapeControlCharacters("\xc3"), "\\xc3");
  // An overlong encoding of '/'.
  EXPECT_EQ(escapeControlCharacters("\xc0\xaf"), "\\xc0\\xaf");
}

TEST(AdminOutputFormat, ParsesKnownNames) {
  EXPECT_EQ(parseOutputFormat("table").value(), OutputFormat::kTable);
  EXPECT_EQ(parseOutputFormat("json").value(), OutputFormat::kJson);
  EXPECT_EQ(parseOutputFormat("csv").value(), OutputFormat::kCsv);
  auto unknown = parseOutputFormat("xml");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().message, "unknown output format 'xml'; use table, json or csv");
}

}  // namespace
}  // namespace pk::cli
