#include "desktop/log.h"

#include <memory>

namespace pk::desktop {

spdlog::logger& logger() {
  static const std::shared_ptr<spdlog::logger> instance = [] {
    if (auto existing = spdlog::get("desktop")) return existing;
    const auto& sinks = spdlog::default_logger()->sinks();
    auto created = std::make_shared<spdlog::logger>("desktop", sinks.begin(), sinks.end());
    created->set_level(spdlog::default_logger()->level());
    spdlog::register_logger(created);
    return created;
  }();
  return *instance;
}

}  // namespace pk::desktop
