// patchkeeper-agent: reports this host's packages and pending security
// updates to a patchkeeper server, and runs the deployment jobs it sends.
//
//   patchkeeper-agent run [--config FILE] [--once] [overrides]
//   patchkeeper-agent status [--config FILE] [--socket PATH]   (root sees the
//       identity and queue too; other users only the restart status)
//   patchkeeper-agent snooze DURATION | restart-now | restart-at TIME [--socket PATH]
//
// Exit status: 0 success; 1 a runtime failure (state folder, collection),
// or a restart choice that the agent rejected or could not receive; 2 a
// configuration error or invalid arguments; 3 with --once, reports remain
// queued.

#include <pthread.h>
#include <signal.h>
#include <unistd.h>
#include <fstream>
#include <iostream>

#include <atomic>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "agent/agent_state.h"
#include "agent/checkin.h"
#include "agent/collector.h"
#include "agent/config.h"
#include "agent/job_journal.h"
#include "agent/job_runner.h"
#include "agent/job_scheduler.h"
#include "agent/log.h"
#include "agent/random.h"
#include "agent/restart_service.h"
#include "common/clock.h"
#include "desktop/control_socket.h"
#include "desktop/desktop_channel.h"
#include "desktop/sessions.h"
#include "protocol/api_client.h"
#include "schedule/zone.h"

namespace {

// Passes notices to its current target. The agent starts with the logging
// channel and switches to the desktop channel once that exists.
class SwitchableNoticeChannel final : public pk::restart::NoticeChannel {
 public:
  explicit SwitchableNoticeChannel(pk::restart::NoticeChannel& target) : target_(&target) {}
  void setTarget(pk::restart::NoticeChannel& target) { target_.store(&target); }
  void show(const pk::restart::Notice& notice) override { target_.load()->show(notice); }
  void keepShown(const pk::restart::Notice& current) override {
    target_.load()->keepShown(current);
  }
  void clear() override { target_.load()->clear(); }

 private:
  std::atomic<pk::restart::NoticeChannel*> target_;
};

using pk::agent::AgentConfig;

constexpr int kExitFailure = 1;
constexpr int kExitConfiguration = 2;
constexpr int kExitQueued = 3;

constexpr const char* kDefaultConfigPath = "/etc/patchkeeper/agent.toml";

// Values given on the command line; each set one replaces the file's value.
struct Overrides {
  std::optional<std::string> server_url;
  std::optional<std::string> server_pin;
  std::optional<std::string> ca_file;
  std::optional<std::string> enrolment_secret_file;
  std::optional<std::string> state_dir;
  std::optional<std::string> root;
  std::optional<int> interval_minutes;
  bool allow_plain_http = false;
  bool download_changelogs = false;
};

void addOverrideFlags(CLI::App& command, Overrides& overrides) {
  command.add_option("--server-url", overrides.server_url, "Server URL, https://host:port");
  command.add_option("--server-pin", overrides.server_pin,
                     "Pinned server key, sha256: followed by 64 hex digits");
  command.add_option("--ca-file", overrides.ca_file, "PEM file of CAs that sign the server");
  command.add_option("--enrolment-secret-file", overrides.enrolment_secret_file,
                     "File holding the enrolment secret");
  command.add_option("--state-dir", overrides.state_dir, "Folder for the identity and outbox");
  command.add_option("--root", overrides.root, "Root folder of the host to report on");
  command.add_option("--interval-minutes", overrides.interval_minutes,
                     "Minutes between check-ins, before jitter");
  command.add_flag("--allow-plain-http", overrides.allow_plain_http,
                   "Accept an http:// server URL (loopback tests only)");
  command.add_flag("--download-changelogs", overrides.download_changelogs,
                   "Fetch missing .debs with apt-get to read CVE ids from their changelogs");
}

void applyOverrides(const Overrides& overrides, AgentConfig& config) {
  if (overrides.server_url) config.server_url = *overrides.server_url;
  if (overrides.server_pin) config.server_pin = *overrides.server_pin;
  if (overrides.ca_file) config.ca_file = *overrides.ca_file;
  if (overrides.enrolment_secret_file) {
    config.enrolment_secret_file = *overrides.enrolment_secret_file;
    config.enrolment_secret.clear();
  }
  if (overrides.state_dir) config.state_dir = *overrides.state_dir;
  if (overrides.root) config.root = *overrides.root;
  if (overrides.interval_minutes) config.interval_minutes = *overrides.interval_minutes;
  if (overrides.allow_plain_http) config.allow_plain_http = true;
  if (overrides.download_changelogs) config.download_changelogs = true;
}

// Loads, overrides and validates the configuration, printing the error.
std::optional<AgentConfig> loadConfig(const std::string& path, const Overrides& overrides) {
  auto config = pk::agent::loadAgentConfig(path);
  if (!config) {
    std::fprintf(stderr, "patchkeeper-agent: %s\n", config.error().message.c_str());
    return std::nullopt;
  }
  applyOverrides(overrides, *config);
  if (auto valid = pk::agent::validateAgentConfig(*config); !valid) {
    std::fprintf(stderr, "patchkeeper-agent: %s: %s\n", path.c_str(),
                 valid.error().message.c_str());
    return std::nullopt;
  }
  return std::move(*config);
}

pk::agent::JobRunnerOptions jobRunnerOptions(const AgentConfig& config) {
  pk::agent::JobRunnerOptions options;
  options.root = config.root;
  options.installer.work_directory = config.state_dir / "installer";
  options.installer.timeout = std::chrono::minutes(config.install_timeout_minutes);
  options.hooks.folder = config.hooks_dir;
  options.hooks.timeout = std::chrono::seconds(config.hook_timeout_seconds);
  options.restart.fallback_command = config.restart_command;
  options.restart.boot_id_path = config.boot_id_path;
  return options;
}

int runAgent(const AgentConfig& config, bool once) {
  // A thread receives SIGTERM and SIGINT with sigwait, because a signal
  // handler could not safely wake the sleeping loop. Every thread started
  // after this inherits the blocked mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto state = pk::agent::AgentState::open(config.state_dir);
  if (!state) {
    pk::agent::logger().error("{}", state.error().message);
    return kExitFailure;
  }
  auto client = pk::protocol::ApiClient::create({.base_url = config.server_url,
                                                 .server_pin = config.server_pin,
                                                 .ca_file = config.ca_file,
                                                 .allow_plain_http = config.allow_plain_http});
  if (!client) {
    pk::agent::logger().error("{}", client.error().message);
    return kExitConfiguration;
  }

  pk::SystemClock system_clock;
  pk::ShiftedClock clock(system_clock);
#ifdef PK_TEST_CLOCK
  // The end-to-end tests' hook, as in the server: with
  // PK_TEST_CLOCK_SHIFT_FILE set, the agent starts with its clock shifted
  // forward by the whole seconds in that file. Only test builds have it.
  if (const char* path = std::getenv("PK_TEST_CLOCK_SHIFT_FILE"); path && *path) {
    std::ifstream file(path);
    long long seconds = 0;
    if (file >> seconds && clock.setShift(std::chrono::seconds(seconds))) {
      pk::agent::logger().warn("test clock: time is shifted forward by {} s", seconds);
    }
  }
#endif
  pk::agent::SodiumRandom random;
  pk::agent::Collector collector(
      {.root = config.root, .download_changelogs = config.download_changelogs}, clock, random);
  pk::agent::InterruptibleSleeper sleeper;
  pk::agent::CheckinAgent agent(config, *state, collector, *client, random, sleeper);

  auto journal = pk::agent::JobJournal::open(config.state_dir);
  if (!journal) {
    pk::agent::logger().error("{}", journal.error().message);
    return kExitFailure;
  }
  pk::agent::JobRunner runner(
      jobRunnerOptions(config), *journal, *client, [&agent] { return agent.deliverFreshReport(); },
      clock, random, pk::installer::sleepingWaiter());
  pk::agent::JobScheduler scheduler(runner, *journal, *client, clock);
  agent.setJobScheduler(&scheduler);

  // Endpoint restarts. Notices are logged until the desktop channel starts,
  // which needs the restart service as the sink of users' choices.
  pk::agent::LoggingNoticeChannel logged_notices;
  SwitchableNoticeChannel notices(logged_notices);
  pk::agent::RestartService restarts({.state_file = config.state_dir / "restart.json",
                                      .restart = jobRunnerOptions(config).restart},
                                     clock, notices, random);
  if (auto loaded = restarts.load(); !loaded) {
    pk::agent::logger().error("{}", loaded.error().message);
    return kExitFailure;
  }
  runner.setRestartService(&restarts);

  if (once) {
    restarts.step();
    const auto result = agent.runCycle();
    restarts.step();
    pk::agent::logger().info("check-in {}: {} delivered, {} rejected, {} queued",
                             pk::agent::cycleOutcomeName(result.outcome), result.delivered,
                             result.rejected, result.queued);
    if (result.outcome == pk::agent::CycleOutcome::kDelivered) return 0;
    if (result.outcome == pk::agent::CycleOutcome::kCollectFailed) return kExitFailure;
    return kExitQueued;
  }

  pk::desktop::LogindSessionSource sessions;
  std::unique_ptr<pk::desktop::DesktopNoticeChannel> desktop;
  std::unique_ptr<pk::desktop::ControlServer> control;
  if (config.desktop_notices) {
    auto created = pk::desktop::DesktopNoticeChannel::create(
        {.countdown_program = config.countdown_program, .wall_command = config.wall_command},
        sessions, restarts, clock);
    if (created) {
      desktop = std::move(*created);
      notices.setTarget(*desktop);
    } else {
      pk::agent::logger().warn("restart notices are only logged: {}", created.error().message);
    }
  }
  if (auto started =
          pk::desktop::ControlServer::start(config.control_socket, restarts, sessions, clock)) {
    control = std::move(*started);
  } else {
    pk::agent::logger().warn("the restart commands are unavailable: {}", started.error().message);
  }

  pk::agent::InterruptibleSleeper restart_sleeper;
  std::thread signal_waiter([&] {
    int received = 0;
    sigwait(&stop_signals, &received);
    pk::agent::logger().info("received signal {}, stopping after the current check-in", received);
    sleeper.stop();
    restart_sleeper.stop();
  });
  std::thread restart_loop([&] { restarts.run(restart_sleeper); });
  pk::agent::logger().info("agent started: server {}, state {}, interval {} min", client->baseUrl(),
                           config.state_dir.string(), config.interval_minutes);
  agent.run();
  signal_waiter.join();
  restart_loop.join();
  control.reset();
  notices.setTarget(logged_notices);
  desktop.reset();
  pk::agent::logger().info("agent stopped");
  return 0;
}

// Loads the machine's time zone for showing restart times, falling back to
// UTC when the machine has none configured.
pk::schedule::Zone localZone() {
  try {
    if (auto zone = pk::schedule::Zone::find(date::current_zone()->name())) return *zone;
  } catch (const std::exception&) {
  }
  return *pk::schedule::Zone::find("UTC");
}

// Runs `status`, `snooze`, `restart-now` or `restart-at` against the
// running agent's control socket.
int runRestartCommand(std::string_view command, std::optional<std::string_view> argument,
                      const std::string& socket_path) {
  pk::SystemClock clock;
  return pk::desktop::runControlCommand(command, argument, socket_path, localZone(), clock,
                                        std::cout, std::cerr);
}

int showStatus(const AgentConfig& config) {
  auto state = pk::agent::AgentState::open(config.state_dir);
  if (!state) {
    std::fprintf(stderr, "patchkeeper-agent: %s\n", state.error().message.c_str());
    return kExitFailure;
  }
  auto identity = state->loadIdentity();
  auto pending = state->pending();
  auto acknowledged = state->loadAcknowledgedHash();
  if (!identity || !pending || !acknowledged) {
    const auto& error = !identity  ? identity.error()
                        : !pending ? pending.error()
                                   : acknowledged.error();
    std::fprintf(stderr, "patchkeeper-agent: %s\n", error.message.c_str());
    return kExitFailure;
  }

  if (*identity) {
    fmt::print("enrolled:        yes, host {}\n", (*identity)->host_id);
    fmt::print("enrolled with:   {}\n", (*identity)->server_url);
  } else {
    fmt::print("enrolled:        no\n");
  }
  fmt::print("server_url:      {}\n", config.server_url);
  fmt::print("state folder:    {}\n", state->folder().string());
  fmt::print("queued reports:  {}\n", pending->size());
  fmt::print("acknowledged:    {}\n", acknowledged->empty() ? "no inventory yet" : *acknowledged);
  std::fflush(stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"patchkeeper-agent: reports this host's packages and pending security updates"};
  app.require_subcommand(1);

  std::string config_path = kDefaultConfigPath;
  std::string log_level = "info";
  Overrides overrides;
  bool once = false;

  CLI::App* run = app.add_subcommand("run", "Check in now and then on an interval");
  run->add_option("--config", config_path, "Configuration file (TOML)")->capture_default_str();
  run->add_flag("--once", once, "Run one check-in and exit: 0 when delivered, 3 when queued");
  run->add_option("--log-level", log_level, "trace, debug, info, warn or error")
      ->capture_default_str();
  addOverrideFlags(*run, overrides);

  CLI::App* status = app.add_subcommand("status", "Show the identity and the queued reports");
  status->add_option("--config", config_path, "Configuration file (TOML)")->capture_default_str();
  addOverrideFlags(*status, overrides);

  std::string socket_path(pk::desktop::kDefaultControlSocket);
  status->add_option("--socket", socket_path, "The agent's control socket")->capture_default_str();

  std::string snooze_duration;
  CLI::App* snooze =
      app.add_subcommand("snooze", "Put off the restart reminder; the deadline stays");
  snooze->add_option("DURATION", snooze_duration, "1h, 4h or until-countdown")->required();
  snooze->add_option("--socket", socket_path, "The agent's control socket")->capture_default_str();
  CLI::App* restart_now = app.add_subcommand("restart-now", "Restart this machine now");
  restart_now->add_option("--socket", socket_path, "The agent's control socket")
      ->capture_default_str();
  std::string restart_time;
  CLI::App* restart_at =
      app.add_subcommand("restart-at", "Restart at an earlier time than the deadline");
  restart_at
      ->add_option("TIME", restart_time,
                   "HH:MM (next such local time), YYYY-MM-DDTHH:MM local, or ...Z for UTC")
      ->required();
  restart_at->add_option("--socket", socket_path, "The agent's control socket")
      ->capture_default_str();

  CLI11_PARSE(app, argc, argv);

  // The restart commands talk to the running agent and need no configuration.
  if (snooze->parsed()) return runRestartCommand("snooze", snooze_duration, socket_path);
  if (restart_now->parsed()) return runRestartCommand("restart-now", std::nullopt, socket_path);
  if (restart_at->parsed()) return runRestartCommand("restart-at", restart_time, socket_path);

  // Any user may ask the running agent for the restart status; only root
  // may read the agent's configuration and state folder for the identity
  // and the queue, so other users get the control socket's part alone.
  if (status->parsed() && ::geteuid() != 0) {
    std::printf("identity and queue: shown to root only\n");
    std::fflush(stdout);
    return runRestartCommand("status", std::nullopt, socket_path);
  }

  // Log lines go to standard error, which systemd's journal records, and
  // leave standard output to `status`. This must precede the first use of
  // the agent logger, which copies the default logger's sinks.
  spdlog::set_default_logger(spdlog::stderr_color_mt("main"));

  const auto level = spdlog::level::from_str(log_level);
  if (level == spdlog::level::off && log_level != "off") {
    std::fprintf(stderr, "patchkeeper-agent: --log-level %s is not a level\n", log_level.c_str());
    return kExitConfiguration;
  }
  spdlog::set_level(level);
  pk::agent::logger().set_level(level);

  auto config = loadConfig(config_path, overrides);
  if (!config) return kExitConfiguration;
  if (status->parsed()) {
    const int status_exit = showStatus(*config);
    // The restart state comes from the running agent. When the agent cannot
    // be reached, an error line reports it and the exit status is unchanged.
    runRestartCommand("status", std::nullopt, socket_path);
    return status_exit;
  }
  return runAgent(*config, once);
}
