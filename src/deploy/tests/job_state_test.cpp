#include "deploy/job_state.h"

#include <gtest/gtest.h>

namespace pk::deploy {
namespace {

TEST(JobState, NamesRoundTrip) {
  for (JobState state : allJobStates()) {
    auto parsed = parseJobState(jobStateName(state));
    ASSERT_TRUE(parsed.has_value()) << jobStateName(state);
    EXPECT_EQ(*parsed, state);
  }
  EXPECT_EQ(allJobStates().size(), 11u);
}

TEST(JobState, UnknownNameIsRejected) {
  EXPECT_FALSE(parseJobState("done").has_value());
  EXPECT_FALSE(parseJobState("").has_value());
  EXPECT_FALSE(parseJobState("Installing").has_value());
}

TEST(JobState, FinalStates) {
  EXPECT_TRUE(isFinal(JobState::kSucceeded));
  EXPECT_TRUE(isFinal(JobState::kFailed));
  EXPECT_TRUE(isFinal(JobState::kCancelled));
  EXPECT_TRUE(isFinal(JobState::kUnschedulable));
  EXPECT_FALSE(isFinal(JobState::kRestartPending));
  EXPECT_FALSE(isFinal(JobState::kVerifying));
}

TEST(JobState, AgentReportsProgressInOrder) {
  EXPECT_TRUE(agentMayReport(JobState::kPending, JobState::kWaitingForWindow));
  EXPECT_TRUE(agentMayReport(JobState::kWaitingForWindow, JobState::kInstalling));
  EXPECT_TRUE(agentMayReport(JobState::kInstalling, JobState::kInstalled));
  EXPECT_TRUE(agentMayReport(JobState::kInstalled, JobState::kRestarting));
  EXPECT_TRUE(agentMayReport(JobState::kRestarting, JobState::kVerifying));
  EXPECT_TRUE(agentMayReport(JobState::kRestartPending, JobState::kVerifying));
}

TEST(JobState, RepeatedStateIsAccepted) {
  EXPECT_TRUE(agentMayReport(JobState::kWaitingForWindow, JobState::kWaitingForWindow));
  EXPECT_TRUE(agentMayReport(JobState::kInstalling, JobState::kInstalling));
}

TEST(JobState, ProgressNeverGoesBack) {
  EXPECT_FALSE(agentMayReport(JobState::kInstalled, JobState::kInstalling));
  EXPECT_FALSE(agentMayReport(JobState::kVerifying, JobState::kWaitingForWindow));
}

TEST(JobState, FailedIsAcceptedUntilFinal) {
  EXPECT_TRUE(agentMayReport(JobState::kPending, JobState::kFailed));
  EXPECT_TRUE(agentMayReport(JobState::kVerifying, JobState::kFailed));
  EXPECT_FALSE(agentMayReport(JobState::kSucceeded, JobState::kFailed));
}

TEST(JobState, ServerDecisionsAreNotTheAgents) {
  EXPECT_FALSE(agentMayReport(JobState::kVerifying, JobState::kSucceeded));
  EXPECT_FALSE(agentMayReport(JobState::kInstalling, JobState::kCancelled));
  EXPECT_FALSE(agentMayReport(JobState::kPending, JobState::kUnschedulable));
  EXPECT_FALSE(agentMayReport(JobState::kWaitingForWindow, JobState::kPending));
}

TEST(JobState, FinalJobTakesNoReport) {
  EXPECT_FALSE(agentMayReport(JobState::kCancelled, JobState::kInstalling));
  EXPECT_FALSE(agentMayReport(JobState::kUnschedulable, JobState::kWaitingForWindow));
}

}  // namespace
}  // namespace pk::deploy
