// A fleet load generator: simulates agents checking in with a real
// patchkeeper-server, the way patchkeeper-agent does.
//
// Each simulated agent enrols once with an enrolment secret, uploads its
// full inventory, and then checks in again and again. Every request opens
// a new TLS connection, because real agents reconnect only hourly and so
// hold no session ticket. The server pays for the handshake, the token
// check, the inventory hash comparison and the database write. A share of
// check-ins (--changed-share) carries a changed inventory, as when a host
// installed updates; the rest send only the hash.
//
// Inventories come from a real dpkg status file. Each agent drifts from it
// on a share of its packages (--drift), so the fleet has many distinct
// inventories. A drifted package gets a version of the agent's own, or with
// --version-pool N one of N other versions shared across the fleet, as hosts
// patched at different times share the versions that were published.
//
// Four phases are measured apart: enrolment, the first full inventory
// upload of every agent, a baseline of --baseline-seconds of GET /healthz
// (the same new TLS connection per request, with no credential and no
// database), and --seconds of steady check-ins. For each it
// prints requests per second, latency percentiles and errors, the server's
// CPU use and memory (from /proc, given --server-pid), and the generator's
// own CPU use, since both share this machine's cores.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "inventory/dpkg_status.h"
#include "protocol/api_client.h"
#include "protocol/messages.h"

namespace {

using SteadyClock = std::chrono::steady_clock;
using pk::protocol::ApiClient;

struct Options {
  std::string url;
  std::string pin;
  std::string secret;
  std::string status_file =
      std::string(PK_SHARED_DATA_DIR) + "/inventories/this-host-debian12/dpkg-status";
  int agents = 100;
  int seconds = 30;
  int threads = 16;
  double changed_share = 0.0;
  double drift = 0.05;
  int version_pool = 0;  // 0: each agent drifts to versions of its own
  int server_pid = 0;
  std::uint64_t seed = 20261205;
  std::string json_file;
  int sample_seconds = 10;
  int idle_connections = 0;
  int trickle_connections = 0;
  int trickle_seconds = 2;
  int baseline_seconds = 10;
};

struct Agent {
  std::size_t index = 0;
  std::string host_id;
  std::string token;
  // The agent's packages differ from the shared base inventory only in
  // these versions, by package index. A full copy per agent would need
  // about 300 KiB, so 100,000 agents would not fit in memory.
  std::map<std::size_t, std::string> own_versions;
  std::string inventory_hash;
  bool send_inventory = true;  // true for the first check-in and when the server requests it
  std::uint64_t reports = 0;
  std::mt19937_64 random;
};

// The counts and latencies one thread measured in one phase.
struct Tally {
  std::vector<double> latencies_ms;
  std::uint64_t transport_errors = 0;
  std::uint64_t status_errors = 0;
  std::uint64_t full_uploads = 0;
  std::string first_error;

  void add(const Tally& other) {
    latencies_ms.insert(latencies_ms.end(), other.latencies_ms.begin(), other.latencies_ms.end());
    transport_errors += other.transport_errors;
    status_errors += other.status_errors;
    full_uploads += other.full_uploads;
    if (first_error.empty()) first_error = other.first_error;
  }
};

// CPU seconds (user + system) and resident memory of a process.
struct ProcessSample {
  double cpu_seconds = 0;
  std::uint64_t rss_kib = 0;
  std::uint64_t peak_rss_kib = 0;
};

std::optional<ProcessSample> sampleProcess(int pid) {
  std::ifstream stat(fmt::format("/proc/{}/stat", pid));
  std::string text((std::istreambuf_iterator<char>(stat)), {});
  // Fields after the command name, which is in parentheses and may hold
  // spaces: utime and stime are the 12th and 13th of them.
  const auto close = text.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(text.substr(close + 2));
  std::vector<std::string> values;
  for (std::string value; fields >> value;) values.push_back(value);
  if (values.size() < 13) return std::nullopt;
  ProcessSample sample;
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  sample.cpu_seconds = (std::stod(values[11]) + std::stod(values[12])) / ticks;

  std::ifstream status(fmt::format("/proc/{}/status", pid));
  for (std::string line; std::getline(status, line);) {
    std::istringstream words(line);
    std::string key;
    std::uint64_t kib = 0;
    words >> key >> kib;
    if (key == "VmRSS:") sample.rss_kib = kib;
    if (key == "VmHWM:") sample.peak_rss_kib = kib;
  }
  return sample;
}

double ownCpuSeconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& time) {
    return static_cast<double>(time.tv_sec) + static_cast<double>(time.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

double percentile(const std::vector<double>& sorted, double share) {
  if (sorted.empty()) return 0;
  const auto rank = static_cast<std::size_t>(share * static_cast<double>(sorted.size() - 1));
  return sorted[rank];
}

// Gives the agent's copy of the base inventory its own versions on a share
// of the packages, as hosts patched at different times have.
void drift(Agent& agent, const pk::protocol::InventoryPayload& base, double share, int pool) {
  std::bernoulli_distribution pick(share);
  std::uniform_int_distribution<int> pooled(0, std::max(pool, 1) - 1);
  for (std::size_t i = 0; i < base.packages.size(); ++i) {
    if (!pick(agent.random)) continue;
    const std::string suffix =
        pool > 0 ? fmt::format("+pool{}", pooled(agent.random)) : fmt::format("+pk{}", agent.index);
    agent.own_versions[i] = base.packages[i].version + suffix;
  }
}

// Simulates an installed update: a random package moves to a new version.
void installUpdate(Agent& agent, const pk::protocol::InventoryPayload& base) {
  std::uniform_int_distribution<std::size_t> which(0, base.packages.size() - 1);
  const std::size_t index = which(agent.random);
  const auto own = agent.own_versions.find(index);
  const std::string& current =
      own != agent.own_versions.end() ? own->second : base.packages[index].version;
  agent.own_versions[index] = current + fmt::format("+u{}", agent.reports);
}

// The agent's full inventory: the base with its own versions.
pk::protocol::InventoryPayload inventoryOf(const Agent& agent,
                                           const pk::protocol::InventoryPayload& base) {
  pk::protocol::InventoryPayload inventory = base;
  for (const auto& [index, version] : agent.own_versions) {
    inventory.packages[index].version = version;
  }
  return inventory;
}

pk::protocol::Report makeReport(Agent& agent, const pk::protocol::InventoryPayload& base) {
  pk::protocol::Report report;
  report.report_id = fmt::format("{:016x}{:016x}", agent.index, ++agent.reports);
  report.collected_at = pk::SystemClock().now();
  report.hostname = fmt::format("load-{}", agent.index);
  report.os.id = "debian";
  report.os.version_id = "12";
  report.os.ecosystem = "Debian:12";
  report.kernel = "6.1.0-28-amd64";
  report.inventory_hash = agent.inventory_hash;
  if (agent.send_inventory) report.inventory = inventoryOf(agent, base);
  return report;
}

// Returns the port of an https://host:port URL, or 443.
int portOf(const std::string& url) {
  const auto colon = url.rfind(':');
  if (colon == std::string::npos || colon < url.find("//")) return 443;
  return std::stoi(url.substr(colon + 1));
}

// Connections that hold the server's attention without finishing a
// request, opened for the length of the check-in phase: idle ones send
// nothing, trickling ones send the start of a TLS record one byte every
// --trickle-seconds, as a slow or hostile client does. Records when the
// server closes each one.
class SlowClients {
 public:
  SlowClients(const Options& options, int port) : options_(options), port_(port) {}
  SlowClients(const SlowClients&) = delete;
  SlowClients& operator=(const SlowClients&) = delete;
  ~SlowClients() { finish(); }

  // Opens the connections and starts trickling. Returns false with a
  // message when they cannot all be opened.
  bool start(std::string& problem) {
    const int total = options_.idle_connections + options_.trickle_connections;
    for (int i = 0; i < total; ++i) {
      const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_port = htons(static_cast<std::uint16_t>(port_));
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (fd < 0 ||
          ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
        problem = fmt::format("slow client {} of {} could not connect: {}", i + 1, total,
                              std::strerror(errno));
        if (fd >= 0) ::close(fd);
        return false;
      }
      ::fcntl(fd, F_SETFL, O_NONBLOCK);
      connections_.push_back({fd, i >= options_.idle_connections, SteadyClock::now(), {}, 0});
    }
    thread_ = std::thread([this] { run(); });
    return true;
  }

  // Stops trickling, closes what is still open, and returns the figures.
  nlohmann::json finish() {
    if (!thread_.joinable()) return {};
    stop_ = true;
    thread_.join();
    std::vector<double> idle_closed_s;
    std::vector<double> trickle_closed_s;
    std::uint64_t still_open = 0;
    for (auto& connection : connections_) {
      if (connection.closed_at) {
        const std::chrono::duration<double> open_for = *connection.closed_at - connection.opened;
        (connection.trickles ? trickle_closed_s : idle_closed_s).push_back(open_for.count());
      } else {
        ++still_open;
      }
      ::close(connection.fd);
    }
    const auto summary = [](std::vector<double>& seconds) {
      std::sort(seconds.begin(), seconds.end());
      return nlohmann::json{{"closed_by_server", seconds.size()},
                            {"median_s", percentile(seconds, 0.5)},
                            {"max_s", seconds.empty() ? 0.0 : seconds.back()}};
    };
    nlohmann::json figures = {{"idle", summary(idle_closed_s)},
                              {"trickling", summary(trickle_closed_s)},
                              {"still_open", still_open}};
    std::cout << fmt::format(
        "slow clients       idle {}: {} closed by the server (median after {:.1f} s, last "
        "{:.1f} s); trickling {}: {} closed (median {:.1f} s, last {:.1f} s); {} still open\n",
        options_.idle_connections, figures["idle"]["closed_by_server"].get<std::size_t>(),
        figures["idle"]["median_s"].get<double>(), figures["idle"]["max_s"].get<double>(),
        options_.trickle_connections, figures["trickling"]["closed_by_server"].get<std::size_t>(),
        figures["trickling"]["median_s"].get<double>(), figures["trickling"]["max_s"].get<double>(),
        still_open);
    return figures;
  }

 private:
  struct Connection {
    int fd = -1;
    bool trickles = false;
    SteadyClock::time_point opened;
    std::optional<SteadyClock::time_point> closed_at;
    std::size_t sent = 0;
  };

  void run() {
    // A TLS handshake record header announcing 512 bytes, then filler:
    // the server cannot tell it from a slow ClientHello until it is whole.
    static constexpr unsigned char kRecord[] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01};
    auto next_trickle = SteadyClock::now();
    std::vector<pollfd> polls;
    while (!stop_.load()) {
      const bool trickle_now = SteadyClock::now() >= next_trickle;
      if (trickle_now) next_trickle += std::chrono::seconds(options_.trickle_seconds);
      polls.clear();
      for (auto& connection : connections_) {
        if (connection.closed_at) continue;
        if (trickle_now && connection.trickles) {
          const unsigned char byte =
              connection.sent < sizeof kRecord ? kRecord[connection.sent] : 0x2a;
          if (::send(connection.fd, &byte, 1, MSG_NOSIGNAL) == 1) ++connection.sent;
        }
        polls.push_back({connection.fd, POLLIN, 0});
      }
      ::poll(polls.data(), polls.size(), 100);
      std::size_t at = 0;
      for (auto& connection : connections_) {
        if (connection.closed_at) continue;
        const pollfd& polled = polls[at++];
        if ((polled.revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
        char buffer[256];
        const auto got = ::recv(connection.fd, buffer, sizeof buffer, 0);
        // An alert or an HTTP error before the close counts as closing too;
        // only the end of the stream or a reset is recorded.
        if (got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
          connection.closed_at = SteadyClock::now();
        }
      }
    }
  }

  const Options& options_;
  const int port_;
  std::vector<Connection> connections_;
  std::atomic<bool> stop_ = false;
  std::thread thread_;
};

class LoadRun {
 public:
  LoadRun(const Options& options, pk::protocol::InventoryPayload base)
      : options_(options), base_(std::move(base)) {}

  int run() {
    agents_.resize(static_cast<std::size_t>(options_.agents));
    for (std::size_t i = 0; i < agents_.size(); ++i) {
      Agent& agent = agents_[i];
      agent.index = i;
      agent.random.seed(options_.seed + i);
      drift(agent, base_, options_.drift, options_.version_pool);
      agent.inventory_hash = pk::protocol::inventoryHash(inventoryOf(agent, base_));
    }

    nlohmann::json results = nlohmann::json::object();
    results["agents"] = options_.agents;
    results["threads"] = options_.threads;
    results["packages_per_inventory"] = base_.packages.size();

    results["enrol"] = measure(
        "enrol", [this](Agent& agent, Tally& tally) { return enrol(agent, tally); }, std::nullopt);
    results["first_upload"] = measure(
        "first full upload", [this](Agent& agent, Tally& tally) { return checkIn(agent, tally); },
        std::nullopt);
    // The baseline: the same new TLS connection per request, to a route
    // that does nothing (GET /healthz, no credential, no database).
    if (options_.baseline_seconds > 0) {
      results["baseline_healthz"] = measure(
          "baseline /healthz",
          [this](Agent&, Tally& tally) {
            auto api = client("");
            if (!api) return false;
            const auto started = SteadyClock::now();
            auto response = api->get("/healthz");
            const std::chrono::duration<double, std::milli> took = SteadyClock::now() - started;
            tally.latencies_ms.push_back(took.count());
            if (!response || response->status != 200) {
              ++tally.status_errors;
              return false;
            }
            return true;
          },
          std::chrono::seconds(options_.baseline_seconds));
    }

    std::optional<SlowClients> slow_clients;
    if (options_.idle_connections + options_.trickle_connections > 0) {
      slow_clients.emplace(options_, portOf(options_.url));
      std::string problem;
      if (!slow_clients->start(problem)) {
        std::cerr << "fleet_load: " << problem << '\n';
        return 1;
      }
    }
    results["checkins"] = measure(
        "check-ins",
        [this](Agent& agent, Tally& tally) {
          std::bernoulli_distribution changed(options_.changed_share);
          if (changed(agent.random)) {
            installUpdate(agent, base_);
            agent.inventory_hash = pk::protocol::inventoryHash(inventoryOf(agent, base_));
            agent.send_inventory = true;
          }
          return checkIn(agent, tally);
        },
        std::chrono::seconds(options_.seconds));
    if (slow_clients) results["slow_clients"] = slow_clients->finish();

    if (!options_.json_file.empty()) {
      std::ofstream out(options_.json_file);
      out << results.dump(2) << '\n';
    }
    const bool clean = results["enrol"]["errors"] == 0 && results["first_upload"]["errors"] == 0 &&
                       results["checkins"]["errors"] == 0;
    return clean ? 0 : 1;
  }

 private:
  using Step = std::function<bool(Agent&, Tally&)>;

  std::optional<ApiClient> client(const std::string& token) const {
    auto created = ApiClient::create(
        {.base_url = options_.url, .server_pin = options_.pin, .bearer_token = token});
    if (!created) {
      std::cerr << "fleet_load: " << created.error().message << '\n';
      return std::nullopt;
    }
    return std::move(*created);
  }

  // Sends `body` to `path` and records the latency. Returns the response when
  // its status is 2xx.
  std::optional<pk::protocol::ApiResponse> timedPost(ApiClient& api, const std::string& path,
                                                     const std::string& body, Tally& tally) const {
    const auto started = SteadyClock::now();
    auto response = api.post(path, body);
    const std::chrono::duration<double, std::milli> took = SteadyClock::now() - started;
    tally.latencies_ms.push_back(took.count());
    if (!response) {
      ++tally.transport_errors;
      if (tally.first_error.empty()) tally.first_error = response.error().message;
      return std::nullopt;
    }
    if (response->status / 100 != 2) {
      ++tally.status_errors;
      if (tally.first_error.empty()) {
        tally.first_error = fmt::format("{} {}", response->status, response->body.substr(0, 200));
      }
      return std::nullopt;
    }
    return std::move(*response);
  }

  bool enrol(Agent& agent, Tally& tally) const {
    auto api = client("");
    if (!api) return false;
    pk::protocol::EnrolRequest request{.secret = options_.secret,
                                       .hostname = fmt::format("load-{}", agent.index),
                                       .machine_id = fmt::format("{:032x}", agent.index + 1)};
    auto response = timedPost(*api, "/api/v1/enrol", pk::protocol::toJson(request).dump(), tally);
    if (!response) return false;
    auto enrolled = pk::protocol::parseEnrolResponse(response->body);
    if (!enrolled) {
      ++tally.status_errors;
      return false;
    }
    agent.host_id = enrolled->host_id;
    agent.token = enrolled->token;
    return true;
  }

  bool checkIn(Agent& agent, Tally& tally) const {
    if (agent.token.empty()) return false;
    auto api = client(agent.token);
    if (!api) return false;
    const bool full = agent.send_inventory;
    auto response = timedPost(*api, "/api/v1/hosts/" + agent.host_id + "/reports",
                              pk::protocol::toJson(makeReport(agent, base_)).dump(), tally);
    if (!response) return false;
    if (full) ++tally.full_uploads;
    auto answer = pk::protocol::parseReportResponse(response->body);
    agent.send_inventory = answer && answer->inventory_needed;
    return true;
  }

  // Runs `step` for every agent once (no duration) or round after round
  // until `duration` passes, on options_.threads threads that each own a
  // slice of the agents. Prints and returns the phase's figures.
  nlohmann::json measure(const std::string& name, const Step& step,
                         std::optional<SteadyClock::duration> duration) {
    const auto server_before =
        options_.server_pid > 0 ? sampleProcess(options_.server_pid) : std::nullopt;
    const double own_before = ownCpuSeconds();
    const auto started = SteadyClock::now();
    const auto deadline = duration ? started + *duration : SteadyClock::time_point::max();

    // The server's memory through a timed phase, every --sample-seconds,
    // to show whether it grows under steady load.
    std::vector<double> rss_series_mib;
    std::atomic<bool> phase_over = false;
    std::thread sampler;
    if (duration && options_.server_pid > 0) {
      sampler = std::thread([&] {
        auto next = SteadyClock::now();
        while (!phase_over.load()) {
          if (SteadyClock::now() >= next) {
            if (auto sample = sampleProcess(options_.server_pid)) {
              rss_series_mib.push_back(static_cast<double>(sample->rss_kib) / 1024.0);
            }
            next += std::chrono::seconds(options_.sample_seconds);
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
      });
    }

    const auto thread_count = static_cast<std::size_t>(options_.threads);
    std::vector<Tally> tallies(thread_count);
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < thread_count; ++t) {
      threads.emplace_back([&, t] {
        do {
          for (std::size_t i = t; i < agents_.size(); i += thread_count) {
            if (SteadyClock::now() >= deadline) return;
            step(agents_[i], tallies[t]);
          }
        } while (duration);
      });
    }
    for (auto& thread : threads) thread.join();
    const std::chrono::duration<double> elapsed = SteadyClock::now() - started;
    phase_over = true;
    if (sampler.joinable()) sampler.join();

    Tally total;
    for (const auto& tally : tallies) total.add(tally);
    std::sort(total.latencies_ms.begin(), total.latencies_ms.end());
    const double requests = static_cast<double>(total.latencies_ms.size());
    const std::uint64_t errors = total.transport_errors + total.status_errors;

    nlohmann::json figures = {
        {"requests", total.latencies_ms.size()},
        {"seconds", elapsed.count()},
        {"per_second", requests / elapsed.count()},
        {"full_uploads", total.full_uploads},
        {"errors", errors},
        {"transport_errors", total.transport_errors},
        {"status_errors", total.status_errors},
        {"p50_ms", percentile(total.latencies_ms, 0.50)},
        {"p90_ms", percentile(total.latencies_ms, 0.90)},
        {"p99_ms", percentile(total.latencies_ms, 0.99)},
        {"max_ms", total.latencies_ms.empty() ? 0.0 : total.latencies_ms.back()},
        {"generator_cpu_cores", (ownCpuSeconds() - own_before) / elapsed.count()},
    };
    if (!total.first_error.empty()) figures["first_error"] = total.first_error;
    if (!rss_series_mib.empty()) figures["server_rss_series_mib"] = rss_series_mib;
    if (server_before) {
      if (auto after = sampleProcess(options_.server_pid)) {
        figures["server_cpu_cores"] =
            (after->cpu_seconds - server_before->cpu_seconds) / elapsed.count();
        figures["server_rss_mib"] = static_cast<double>(after->rss_kib) / 1024.0;
        figures["server_peak_rss_mib"] = static_cast<double>(after->peak_rss_kib) / 1024.0;
      }
    }

    std::cout << fmt::format(
        "{:<18} {:>8} req in {:6.1f} s = {:8.1f}/s  p50 {:6.1f} ms  p90 {:6.1f} ms  "
        "p99 {:6.1f} ms  max {:7.1f} ms  errors {}",
        name, total.latencies_ms.size(), elapsed.count(), requests / elapsed.count(),
        figures["p50_ms"].get<double>(), figures["p90_ms"].get<double>(),
        figures["p99_ms"].get<double>(), figures["max_ms"].get<double>(), errors);
    std::cout << fmt::format("  generator {:.2f} cores",
                             figures["generator_cpu_cores"].get<double>());
    if (figures.contains("server_cpu_cores")) {
      std::cout << fmt::format("  server {:.2f} cores, RSS {:.0f} MiB (peak {:.0f})",
                               figures["server_cpu_cores"].get<double>(),
                               figures["server_rss_mib"].get<double>(),
                               figures["server_peak_rss_mib"].get<double>());
    }
    std::cout << '\n';
    if (rss_series_mib.size() >= 2) {
      // Growth from the end of the first quarter of the phase (caches and
      // pools warmed up) to its end.
      const double warm = rss_series_mib[rss_series_mib.size() / 4];
      const auto [low, high] = std::minmax_element(rss_series_mib.begin(), rss_series_mib.end());
      std::cout << fmt::format(
          "  server RSS every {} s: first {:.0f} MiB, after a quarter {:.0f}, last {:.0f}, "
          "min {:.0f}, max {:.0f}\n",
          options_.sample_seconds, rss_series_mib.front(), warm, rss_series_mib.back(), *low,
          *high);
    }
    if (!total.first_error.empty()) std::cout << "  first error: " << total.first_error << '\n';
    // Shown at once, also when the output goes to a file during a long run.
    std::cout << std::flush;
    return figures;
  }

  const Options& options_;
  pk::protocol::InventoryPayload base_;
  std::vector<Agent> agents_;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Simulates patchkeeper agents checking in with a real server"};
  Options options;
  app.add_option("--url", options.url, "Server URL, https://host:port")->required();
  app.add_option("--pin", options.pin, "The server's public key pin, sha256:...")->required();
  app.add_option("--secret", options.secret, "An enrolment secret for the agents")->required();
  app.add_option("--agents", options.agents, "Simulated agents")->check(CLI::Range(1, 10'000'000));
  app.add_option("--seconds", options.seconds, "Length of the check-in phase")
      ->check(CLI::Range(1, 86'400));
  app.add_option("--threads", options.threads, "Concurrent requests")->check(CLI::Range(1, 4096));
  app.add_option("--changed-share", options.changed_share,
                 "Share of check-ins that carry a changed inventory")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--drift", options.drift, "Share of packages each agent has at its own version")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--status-file", options.status_file,
                 "dpkg status file the inventories start from");
  app.add_option("--server-pid", options.server_pid, "The server's process id, for CPU and memory");
  app.add_option("--version-pool", options.version_pool,
                 "Versions shared across the fleet that a drifted package takes; 0 gives each "
                 "agent versions of its own")
      ->check(CLI::Range(0, 1000));
  app.add_option("--seed", options.seed, "Seed for the drift and the changed check-ins");
  app.add_option("--json", options.json_file, "Also write the figures as JSON to this file");
  app.add_option("--baseline-seconds", options.baseline_seconds,
                 "Length of the baseline phase (GET /healthz on new connections); 0 skips it")
      ->check(CLI::Range(0, 86'400));
  app.add_option("--idle-connections", options.idle_connections,
                 "Connections that send nothing during the check-in phase")
      ->check(CLI::Range(0, 100'000));
  app.add_option("--trickle-connections", options.trickle_connections,
                 "Connections that send one byte every --trickle-seconds during the check-in phase")
      ->check(CLI::Range(0, 100'000));
  app.add_option("--trickle-seconds", options.trickle_seconds, "Seconds between trickled bytes")
      ->check(CLI::Range(1, 600));
  app.add_option("--sample-seconds", options.sample_seconds,
                 "Seconds between samples of the server's memory during the check-in phase")
      ->check(CLI::Range(1, 3600));
  CLI11_PARSE(app, argc, argv);

  std::ifstream status(options.status_file);
  if (!status) {
    std::cerr << "fleet_load: cannot read " << options.status_file << '\n';
    return 2;
  }
  const std::string text((std::istreambuf_iterator<char>(status)), {});
  auto parsed = pk::inventory::parseDpkgStatus(text, options.status_file);
  if (parsed.packages.empty()) {
    std::cerr << "fleet_load: no packages in " << options.status_file << '\n';
    return 2;
  }
  pk::protocol::InventoryPayload base{.scheme = pk::version::Scheme::kDpkg,
                                      .packages = std::move(parsed.packages)};
  LoadRun run(options, std::move(base));
  return run.run();
}
