// patchkeeper-agent.exe: the Windows agent. Runs as the Windows service
// "patchkeeper-agent", or in a console for tests and first checks.
#include <cstdio>
#include <string_view>

#ifndef PK_VERSION
#define PK_VERSION "unknown"
#endif

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--version") {
      std::printf("patchkeeper-agent %s (Windows)\n", PK_VERSION);
      return 0;
    }
  }
  std::fprintf(stderr, "usage: patchkeeper-agent --version\n");
  return 2;
}
