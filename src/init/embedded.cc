#include "init/embedded.h"

// Symbols from the generated embedded_data.cc (.incbin of each binary); begin == end when the
// build has no binary for that architecture.
extern "C" {
extern const unsigned char barekit_init_amd64_begin[], barekit_init_amd64_end[];
extern const unsigned char barekit_init_arm64_begin[], barekit_init_arm64_end[];
extern const unsigned char barekit_init_riscv64_begin[], barekit_init_riscv64_end[];
}

namespace barekit::init {
namespace {

struct Blob {
  std::string_view goarch;
  const unsigned char* begin;
  const unsigned char* end;
};

const Blob kBlobs[] = {
    {"amd64", barekit_init_amd64_begin, barekit_init_amd64_end},
    {"arm64", barekit_init_arm64_begin, barekit_init_arm64_end},
    {"riscv64", barekit_init_riscv64_begin, barekit_init_riscv64_end},
};

}  // namespace

std::span<const std::byte> EmbeddedInit(std::string_view goarch) {
  for (const Blob& b : kBlobs)
    if (b.goarch == goarch)
      return {reinterpret_cast<const std::byte*>(b.begin), static_cast<size_t>(b.end - b.begin)};
  return {};
}

std::vector<std::string_view> EmbeddedInitArches() {
  std::vector<std::string_view> out;
  for (const Blob& b : kBlobs)
    if (b.end != b.begin) out.push_back(b.goarch);
  return out;
}

}  // namespace barekit::init
