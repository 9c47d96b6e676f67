// Test helpers for gobin's real-binary tests: where the fixtures (tests/fixtures/make_fixtures.sh)
// and the corpus (corpus/fetch) are. Each can be moved with an environment variable.
#ifndef GOBIN_CORPUS_TESTING_H_
#define GOBIN_CORPUS_TESTING_H_

#include <cstdlib>
#include <string>

namespace barekit::gobin {

// The variable's value, or `fallback` when it is unset or empty.
inline std::string EnvOr(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : fallback;
}

// $BAREKIT_CORPUS, else ~/.cache/barekit-corpus.
inline std::string CorpusDir() {
  return EnvOr("BAREKIT_CORPUS", EnvOr("HOME", "/root") + "/.cache/barekit-corpus");
}

// $BAREKIT_FIXTURES, else build/fixtures in the source tree.
inline std::string FixturesDir() {
  return EnvOr("BAREKIT_FIXTURES", std::string(BAREKIT_SOURCE_DIR) + "/build/fixtures");
}

}  // namespace barekit::gobin

#endif  // GOBIN_CORPUS_TESTING_H_
