#pragma once

// A stand-in for patchkeeper-server's job routes on a real loopback HTTP
// server: it records every posted job event and applies each event id
// once, as the server does, and a test chooses the status of the next
// responses.

#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "protocol/jobs.h"
#include "protocol/tests/loopback_server.h"

namespace pk::agent::test_fakes {

struct PostedEvent {
  std::string job_id;
  nlohmann::json body;
};

class JobServerState {
 public:
  // Registers the job list and events routes on `server`.
  void addRoutes(httplib::Server& server) {
    server.Get(R"(/api/v1/hosts/(h-[0-9a-f]{16})/jobs)",
               [this](const httplib::Request&, httplib::Response& response) {
                 std::lock_guard lock(mutex_);
                 ++job_list_requests_;
                 response.status = 200;
                 if (orders_) {
                   const protocol::JobList list{.server_time = server_time_, .jobs = *orders_};
                   response.set_content(protocol::toJson(list).dump(), "application/json");
                 } else {
                   response.set_content(job_list_, "application/json");
                 }
               });
    server.Post(R"(/api/v1/hosts/(h-[0-9a-f]{16})/jobs/(j-[0-9a-f]{16})/events)",
                [this](const httplib::Request& request, httplib::Response& response) {
                  handleEvent(request, response);
                });
  }

  // The body of the next job list responses.
  void setJobList(std::string body) {
    std::lock_guard lock(mutex_);
    job_list_ = std::move(body);
  }
  // Serves these jobs, each with the state of its last applied event, as
  // the server does, and without the ones that failed.
  void setJobs(std::vector<protocol::JobOrder> orders, SystemTime server_time) {
    std::lock_guard lock(mutex_);
    orders_ = std::move(orders);
    server_time_ = server_time;
  }
  int jobListRequests() const {
    std::lock_guard lock(mutex_);
    return job_list_requests_;
  }

  // The next posts get these statuses, in order, before the default 200.
  // Error responses carry the code "test".
  void respondWith(std::vector<int> statuses) {
    std::lock_guard lock(mutex_);
    for (int status : statuses) statuses_.push_back({status, "test"});
  }
  // The next post gets an error response with this status and code.
  void respondWithError(int status, std::string code) {
    std::lock_guard lock(mutex_);
    statuses_.push_back({status, std::move(code)});
  }

  // Events the server applied, once per event id, in order.
  std::vector<PostedEvent> applied() const {
    std::lock_guard lock(mutex_);
    return applied_;
  }
  // Every post, repeats and refused ones included.
  int posts() const {
    std::lock_guard lock(mutex_);
    return posts_;
  }
  std::vector<std::string> appliedStates() const {
    std::vector<std::string> states;
    for (const auto& event : applied()) states.push_back(event.body.value("state", ""));
    return states;
  }

 private:
  void handleEvent(const httplib::Request& request, httplib::Response& response) {
    std::lock_guard lock(mutex_);
    ++posts_;
    int status = 200;
    std::string code;
    if (!statuses_.empty()) {
      std::tie(status, code) = statuses_.front();
      statuses_.pop_front();
    }

    if (status != 200) {
      response.status = status;
      response.set_content(
          nlohmann::json{{"error", {{"code", code}, {"message", "test server"}}}}.dump(),
          "application/json");
      return;
    }
    const nlohmann::json body = nlohmann::json::parse(request.body, nullptr, false);
    if (!body.is_object() || !body.contains("event_id")) {
      response.status = 400;
      return;
    }

    bool duplicate = false;
    for (const auto& event : applied_) {
      duplicate = duplicate || event.body["event_id"] == body["event_id"];
    }
    if (!duplicate) {
      applied_.push_back({std::string(request.matches[2]), body});
      updateOrder(applied_.back());
    }
    response.status = 200;
    response.set_content(
        nlohmann::json{{"state", body.value("state", "")}, {"cancelled", false}}.dump(),
        "application/json");
  }

  void updateOrder(const PostedEvent& event) {
    if (!orders_) return;
    auto state = deploy::parseJobState(event.body.value("state", ""));
    if (!state) return;
    for (auto it = orders_->begin(); it != orders_->end(); ++it) {
      if (it->job_id != event.job_id) continue;
      if (deploy::isFinal(*state)) {
        orders_->erase(it);
      } else {
        it->state = *state;
      }
      return;
    }
  }

  mutable std::mutex mutex_;
  std::deque<std::pair<int, std::string>> statuses_;
  std::vector<PostedEvent> applied_;
  int posts_ = 0;
  std::optional<std::vector<protocol::JobOrder>> orders_;
  SystemTime server_time_{};
  std::string job_list_ = R"({"server_time":"2026-12-05T02:00:00Z","jobs":[]})";
  int job_list_requests_ = 0;
};

}  // namespace pk::agent::test_fakes
