// patchkeeper-server's entry point.

#include <cstdio>

int main() {
  // TODO: the serve and version commands land with the application object;
  // until then the binary only exists so that the build links.
  std::fputs("patchkeeper-server: not implemented yet\n", stderr);
  return 3;
}
