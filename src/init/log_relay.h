// Turns a service's output stream into whole console lines with a `name | ` prefix. Bytes come
// in arbitrary chunks from a pipe; only complete lines go out, so lines of different services
// never interleave mid-line. Over-long lines are cut at kMaxLine and continued on a new line.
#ifndef INIT_LOG_RELAY_H_
#define INIT_LOG_RELAY_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace barekit::init {

class LineRelay {
 public:
  static constexpr size_t kMaxLine = 16384;
  explicit LineRelay(std::string_view name);

  // Appends the prefixed complete lines found in `chunk` to *out; keeps the partial tail.
  void Feed(std::string_view chunk, std::string* out);
  // At end of stream: emits a pending partial line, newline-terminated.
  void Flush(std::string* out);
  bool has_partial() const { return !partial_.empty(); }

 private:
  void Emit(std::string_view line, std::string* out);
  std::string prefix_;
  std::string partial_;
};

}  // namespace barekit::init

#endif  // INIT_LOG_RELAY_H_
