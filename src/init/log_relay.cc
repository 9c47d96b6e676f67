#include "init/log_relay.h"

namespace barekit::init {

LineRelay::LineRelay(std::string_view name) : prefix_(name) { prefix_ += " | "; }

void LineRelay::Emit(std::string_view line, std::string* out) {
  out->append(prefix_);
  out->append(line);
  out->push_back('\n');
}

void LineRelay::Feed(std::string_view chunk, std::string* out) {
  while (!chunk.empty()) {
    size_t nl = chunk.find('\n');
    if (nl == std::string_view::npos) {
      partial_.append(chunk);
      while (partial_.size() >= kMaxLine) {
        Emit(std::string_view(partial_).substr(0, kMaxLine), out);
        partial_.erase(0, kMaxLine);
      }
      return;
    }
    std::string_view piece = chunk.substr(0, nl);
    if (partial_.empty()) {
      Emit(piece, out);
    } else {
      partial_.append(piece);
      Emit(partial_, out);
      partial_.clear();
    }
    chunk.remove_prefix(nl + 1);
  }
}

void LineRelay::Flush(std::string* out) {
  if (partial_.empty()) return;
  Emit(partial_, out);
  partial_.clear();
}

}  // namespace barekit::init
