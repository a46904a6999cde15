#include "server/report_routes.h"

#include <gtest/gtest.h>

#include "server/tests/window_fixture.h"

namespace pk::server::host_tests {
namespace {

class ReportRoutesTest : public WindowServerTest {
 protected:
  void SetUp() override {
    WindowServerTest::SetUp();
    if (HasFatalFailure()) return;
    addReportRoutes(*router_, *context_, std::chrono::days(7));
  }

  Response report(const std::string& name, const std::string& format = "json") {
    return call("GET", "/api/v1/reports/" + name, adminToken(), "", {{"format", format}});
  }
};

TEST(CsvRecordTest, QuotesAndNeutralisesFormulas) {
  EXPECT_EQ(csvRecord({"plain", "a,b", "say \"hi\"", "=1+2", "+x", "-y", "@SUM(A1)", ""}),
            "plain,\"a,b\",\"say \"\"hi\"\"\",'=1+2,'+x,'-y,'@SUM(A1),\r\n");
  EXPECT_EQ(csvRecord({"line\nbreak"}), "\"line\nbreak\"\r\n");
}

TEST(EscapeHtmlTest, EscapesMarkup) {
  EXPECT_EQ(escapeHtml("<script>alert('x') & \"y\"</script>"),
            "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;");
}

TEST_F(ReportRoutesTest, ServersByWindowGroupsServersAndListsTheRest) {
  const std::string id = createWindow();
  const auto placed = enrolHost("server-1");
  const auto unplaced = enrolHost("server-2");
  ASSERT_EQ(assign(placed.host_id, id).status, 200);

  const auto response = report("servers-by-window");
  ASSERT_EQ(response.status, 200) << response.body;
  const auto body = bodyOf(response);
  ASSERT_EQ(body["windows"].size(), 1u);
  EXPECT_EQ(body["windows"][0]["next_occurrence"]["start_utc"], "2026-12-13T07:00:00Z");
  ASSERT_EQ(body["windows"][0]["servers"].size(), 1u);
  EXPECT_EQ(body["windows"][0]["servers"][0]["id"], placed.host_id);
  EXPECT_EQ(body["windows"][0]["servers"][0]["owner"], "olivia");
  ASSERT_EQ(body["servers_without_window"].size(), 1u);
  EXPECT_EQ(body["servers_without_window"][0]["id"], unplaced.host_id);
  EXPECT_EQ(body["servers_without_window"][0]["compliance"]["status"], "not compliant");
}

TEST_F(ReportRoutesTest, ServersByWindowAsCsvAndHtml) {
  const std::string id = createWindow({{"name", "=HYPERLINK(\"x\")<b>"}});
  const auto placed = enrolHost("server-1");
  ASSERT_EQ(assign(placed.host_id, id).status, 200);

  const auto csv = report("servers-by-window", "csv");
  ASSERT_EQ(csv.status, 200);
  EXPECT_EQ(csv.content_type, "text/csv; charset=utf-8");
  EXPECT_EQ(csv.body.rfind("window_id,window_name,next_start_local,next_start_utc,hostname", 0),
            0u);
  EXPECT_NE(csv.body.find("\"'=HYPERLINK(\"\"x\"\")<b>\""), std::string::npos) << csv.body;
  EXPECT_NE(csv.body.find(placed.host_id), std::string::npos);

  const auto html = report("servers-by-window", "html");
  ASSERT_EQ(html.status, 200);
  EXPECT_EQ(html.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(html.body.find("<b>"), std::string::npos);
  EXPECT_NE(html.body.find("=HYPERLINK(&quot;x&quot;)&lt;b&gt;"), std::string::npos);
  EXPECT_NE(html.body.find(placed.host_id), std::string::npos);
}

TEST_F(ReportRoutesTest, WindowsReportListsTwelveOccurrences) {
  createWindow();
  const auto response = report("windows");
  ASSERT_EQ(response.status, 200);
  const auto occurrences = bodyOf(response)["windows"][0]["occurrences"];
  ASSERT_EQ(occurrences.size(), 12u);
  EXPECT_EQ(occurrences[0]["start_utc"], "2026-12-13T07:00:00Z");

  const auto csv = report("windows", "csv");
  ASSERT_EQ(csv.status, 200);
  // A header and one record per occurrence.
  EXPECT_EQ(std::count(csv.body.begin(), csv.body.end(), '\n'), 13);
  const auto html = report("windows", "html");
  ASSERT_EQ(html.status, 200);
  EXPECT_EQ(std::count(html.body.begin(), html.body.end(), '\n') > 12, true);
  EXPECT_NE(html.body.find("2027-03-14T03:00:00-04:00"), std::string::npos);
}

TEST_F(ReportRoutesTest, ServersWithoutWindowSaysTheyAreNotCompliant) {
  const auto server = enrolHost("server-1");
  enrolHost("laptop-1", {{"kind", "endpoint"}});

  const auto response = report("servers-without-window");
  ASSERT_EQ(response.status, 200);
  const auto body = bodyOf(response);
  EXPECT_NE(body["note"].get<std::string>().find("not compliant"), std::string::npos);
  ASSERT_EQ(body["servers"].size(), 1u);
  EXPECT_EQ(body["servers"][0]["id"], server.host_id);

  const auto csv = report("servers-without-window", "csv");
  ASSERT_EQ(csv.status, 200);
  EXPECT_NE(csv.body.find("not compliant"), std::string::npos);
  const auto html = report("servers-without-window", "html");
  ASSERT_EQ(html.status, 200);
  EXPECT_NE(html.body.find("count as not compliant"), std::string::npos);
}

TEST_F(ReportRoutesTest, NeedsReadReportsAndAKnownFormat) {
  EXPECT_EQ(call("GET", "/api/v1/reports/windows", userToken("olivia", {"owner"})).status, 403);
  EXPECT_EQ(call("GET", "/api/v1/reports/windows", userToken("vera", {"viewer"})).status, 200);
  EXPECT_EQ(report("windows", "pdf").status, 400);
}

}  // namespace
}  // namespace pk::server::host_tests
