#!/usr/bin/env bash
# Installs every Debian 12 package that patchkeeper needs to build, test,
# fuzz and benchmark. Safe to run again; apt-get skips what is present.
set -euo pipefail

packages=(
  # Toolchain
  build-essential cmake ninja-build ccache clang clang-format clang-tidy
  libclang-rt-14-dev pkg-config git
  # Libraries
  libexpected-dev nlohmann-json3-dev libsimdjson-dev libspdlog-dev libfmt-dev
  libcli11-dev libtomlplusplus-dev libzip-dev zlib1g-dev liblzma-dev liblz4-dev libarchive-dev
  libssl-dev libsodium-dev libsqlite3-dev libcpp-httplib-dev libbrotli-dev libpq-dev
  libical-dev libhowardhinnant-date-dev tzdata libboost-dev libboost-system-dev libexpat1-dev
  libsystemd-dev libgtk-3-dev
  # Reference implementations used by differential tests and benchmarks
  libdpkg-dev libapt-pkg-dev librpm-dev rpm dpkg-dev
  # Tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev python3 xz-utils curl postgresql
  python3-dateutil python3-icalendar
  # The desktop stack that the restart notice tests start: X server, session
  # bus, notification server, window manager, X tools and screenshots
  xvfb dbus-daemon dunst openbox xdotool wmctrl x11-utils imagemagick fonts-dejavu-core
  # The web console's browser tests: Playwright (Node 20 from the image) drives chromium
  chromium
  # Package managers that the installer's tests run on sandbox roots
  apt-utils dnf createrepo-c
  # The Windows agent: the mingw-w64 cross compiler (posix threads), the
  # GoogleTest sources it compiles, and Wine to run its tests
  mingw-w64 g++-mingw-w64-x86-64-posix googletest wine64
)

if [[ $(id -u) -ne 0 ]]; then
  SUDO=sudo
else
  SUDO=
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${packages[@]}"
