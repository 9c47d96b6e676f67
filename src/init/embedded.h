// The barekit-init binaries built into barekit, one per GOARCH, for packing images
// (`barekit init-binary --arch arm64 > init`). A build embeds the three cross-built binaries
// when configured with BAREKIT_INIT_EMBED_DIR (scripts/build-init makes them), else only the
// natively built one.
#ifndef INIT_EMBEDDED_H_
#define INIT_EMBEDDED_H_

#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

namespace barekit::init {

// The static barekit-init for `goarch` ("amd64", "arm64", "riscv64"); empty if this build has
// none for it.
std::span<const std::byte> EmbeddedInit(std::string_view goarch);

// The GOARCH names this build carries a binary for.
std::vector<std::string_view> EmbeddedInitArches();

}  // namespace barekit::init

#endif  // INIT_EMBEDDED_H_
