// Fixtures for the pack tests: built once by testdata/build.sh into a cache directory.
#ifndef PACK_PACK_TEST_UTIL_H_
#define PACK_PACK_TEST_UTIL_H_

#include <sys/stat.h>

#include <cstdlib>
#include <string>

#include "archive/test_util.h"

namespace barekit::testing {

// The fixture directory, building it the first time (Go builds take a while on a busy machine).
inline const std::string& PackFixtures() {
  static const std::string dir = [] {
    const char* env = std::getenv("BAREKIT_PACK_FIXTURES");
    std::string d = env ? env : "/tmp/barekit-pack-fixtures";
    struct stat st;
    if (::stat((d + "/.complete").c_str(), &st) != 0) {
      auto r =
          RunCommand(std::string("sh ") + BAREKIT_SOURCE_DIR + "/src/pack/testdata/build.sh " + d);
      if (r.exit_code != 0) std::fprintf(stderr, "fixture build failed:\n%s\n", r.output.c_str());
    }
    return d;
  }();
  return dir;
}

}  // namespace barekit::testing

#endif  // PACK_PACK_TEST_UTIL_H_
