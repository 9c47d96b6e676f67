#include "gobin/moduledata.h"

#include <algorithm>

#include "base/checked_math.h"
#include "fmt/format.h"

namespace barekit::gobin {
namespace {

constexpr int kWindowWords = 96;  // the struct prefix we read: slices, pcs, text, textsectmap

// Data sections in the order Go puts moduledata there: its own section (1.26+), then
// .noptrdata, then the rest of the non-executable sections with file bytes.
std::vector<const exe::Section*> DataSections(const exe::ObjectFile& obj) {
  std::vector<const exe::Section*> out;
  for (std::string_view n :
       {".go.module", "__go_module", ".noptrdata", "__noptrdata", ".data", "__data"}) {
    if (const exe::Section* s = obj.FindSection(n); s != nullptr && s->file_size > 0) {
      out.push_back(s);
    }
  }
  for (const exe::Section& s : obj.sections) {
    if (s.file_size == 0 || s.executable || !s.alloc) continue;
    if (std::find(out.begin(), out.end(), &s) != out.end()) continue;
    out.push_back(&s);
  }
  return out;
}

struct Words {
  Bytes b;
  int ps;
  Endian e;
  size_t count() const { return b.size() / static_cast<size_t>(ps); }
  uint64_t operator[](size_t i) const {
    return LoadUint(b.data() + i * static_cast<size_t>(ps), static_cast<size_t>(ps), e);
  }
};

// Index of the first word after the pclntab-related slices, where minpc sits in every layout
// from Go 1.2 to 1.26 as far as known; the search below tolerates a few words of drift.
int FirstPcWord(PclntabVersion v) { return v == PclntabVersion::kGo12 ? 10 : 20; }

// Checks the slices that follow the first word against the table they describe.
bool SlicesMatch(const Words& w, uint64_t pclntab_addr, const PclntabHeader& h) {
  if (w.count() < 12) return false;
  if (h.version == PclntabVersion::kGo12) {
    // pclntable []byte, then ftab []functab starting right after the 1.2 header.
    return w[3] == pclntab_addr + h.functab_off && w[1] == w[2];
  }
  // funcnametab []byte starts at pcHeader + funcnameOff.
  return w[1] == pclntab_addr + h.funcname_off && w[2] <= w[3];
}

// Finds (minpc, maxpc, text, etext) near their usual place and checks them against the functab.
bool FindPcWords(const Words& w, const PclntabHeader& h, ModuleData* md) {
  const bool relative = h.version >= PclntabVersion::kGo118;
  const int start = FirstPcWord(h.version);
  for (int k = std::max(1, start - 4); k <= start + 6 && static_cast<size_t>(k) + 4 <= w.count();
       ++k) {
    uint64_t minpc = w[k], maxpc = w[k + 1], text = w[k + 2], etext = w[k + 3];
    if (text == 0 || minpc < text || maxpc < minpc || etext < text) continue;
    if (relative) {
      if (minpc - text != h.first_entry_raw) continue;
      if (maxpc - text < h.end_entry_raw - h.first_entry_raw) continue;
    } else {
      if (minpc != h.first_entry_raw || maxpc != h.end_entry_raw) continue;
    }
    md->minpc = minpc;
    md->maxpc = maxpc;
    md->text = text;
    md->etext = etext;
    md->text_word = k + 2;
    return true;
  }
  return false;
}

// textsectmap []textsect{vaddr, end, baseaddr}: its first entry maps offset 0 to `text`.
void FindTextSections(const exe::ObjectFile& obj, const Words& w, const PclntabHeader& h,
                      ModuleData* md) {
  const size_t ps = static_cast<size_t>(h.ptr_size);
  for (size_t j = static_cast<size_t>(md->text_word) + 2;
       j + 3 <= w.count() && j < static_cast<size_t>(md->text_word) + 30; ++j) {
    uint64_t ptr = w[j], len = w[j + 1], cap = w[j + 2];
    if (len == 0 || len > 256 || cap < len || ptr == 0) continue;
    auto b = obj.ReadAt(ptr, len * 3 * ps);
    if (!b) continue;
    Words t{*b, h.ptr_size, h.endian};
    if (t[0] != 0 || t[2] != md->text || t[1] == 0) continue;
    bool ok = true;
    std::vector<TextSection> sects;
    for (size_t i = 0; i < len && ok; ++i) {
      TextSection s{t[3 * i], t[3 * i + 1], t[3 * i + 2]};
      if (s.end < s.vaddr || (i > 0 && s.vaddr < sects.back().end)) ok = false;
      sects.push_back(s);
    }
    if (!ok) continue;
    md->text_sections = std::move(sects);
    return;
  }
}

std::optional<ModuleData> TryCandidate(const exe::ObjectFile& obj, uint64_t addr,
                                       uint64_t pclntab_addr, const PclntabHeader& h,
                                       std::string where) {
  auto rest = obj.ReadFrom(addr);
  if (!rest) return std::nullopt;
  Bytes b = rest->first(std::min<size_t>(
      rest->size(), static_cast<size_t>(kWindowWords) * static_cast<size_t>(h.ptr_size)));
  Words w{b, h.ptr_size, h.endian};
  if (w.count() < 24 || w[0] != pclntab_addr || !SlicesMatch(w, pclntab_addr, h)) {
    return std::nullopt;
  }
  ModuleData md;
  md.addr = addr;
  md.file_offset = static_cast<uint64_t>(b.data() - obj.data.data()) + obj.slice_offset;
  md.where = std::move(where);
  md.pclntab_addr = pclntab_addr;
  if (!FindPcWords(w, h, &md)) return std::nullopt;
  FindTextSections(obj, w, h, &md);
  return md;
}

// The offset of the first `ps`-byte word at from, from + ps, ... inside `b` that equals `v`, or
// b.size(). The search for the word that points at the table runs over hundreds of KB of data
// (restic's .noptrdata: 340 KB), so it compares with the width and byte order known in the loop.
template <size_t kPs, bool kSwap>
size_t NextWordEqualAs(Bytes b, size_t from, uint64_t v) {
  for (size_t i = from; i + kPs <= b.size(); i += kPs) {
    if (LoadUintAs<kPs, kSwap>(b.data() + i) == v) return i;
  }
  return b.size();
}

size_t NextWordEqual(Bytes b, size_t from, size_t ps, Endian e, uint64_t v) {
  const bool swap = NeedsByteSwap(e);
  if (ps == 8)
    return swap ? NextWordEqualAs<8, true>(b, from, v) : NextWordEqualAs<8, false>(b, from, v);
  if (ps == 4)
    return swap ? NextWordEqualAs<4, true>(b, from, v) : NextWordEqualAs<4, false>(b, from, v);
  for (size_t i = from; i + ps <= b.size(); i += ps) {
    if (LoadUint(b.data() + i, ps, e) == v) return i;
  }
  return b.size();
}

}  // namespace

Result<ModuleData> FindModuleData(const exe::ObjectFile& obj, uint64_t pclntab_addr,
                                  const PclntabHeader& hdr) {
  if (pclntab_addr == 0) return Status::NotFound("moduledata: table address unknown");
  const auto ps = static_cast<size_t>(hdr.ptr_size);
  for (const exe::Section* s : DataSections(obj)) {
    auto d = obj.SectionData(*s);
    if (!d) continue;
    const size_t align_fix = static_cast<size_t>((ps - s->addr % ps) % ps);
    for (size_t i = NextWordEqual(*d, align_fix, ps, hdr.endian, pclntab_addr); i < d->size();
         i = NextWordEqual(*d, i + ps, ps, hdr.endian, pclntab_addr)) {
      auto md = TryCandidate(obj, s->addr + i, pclntab_addr, hdr,
                             fmt::format("{} at {:#x}", s->name, s->addr + i));
      if (md) return std::move(*md);
    }
  }
  return Status::NotFound(
      fmt::format("moduledata pointing at the pclntab at {:#x} not found", pclntab_addr));
}

std::optional<PclntabPointer> FindPclntabThroughModuleData(const exe::ObjectFile& obj) {
  const auto ps = static_cast<size_t>(obj.ptr_size);
  const Endian e = obj.endian;
  static constexpr uint32_t kMagics[] = {0xfffffff1, 0xfffffff0, 0xfffffffa, 0xfffffffb};
  for (const exe::Section* s : DataSections(obj)) {
    auto d = obj.SectionData(*s);
    if (!d) continue;
    const size_t align_fix = static_cast<size_t>((ps - s->addr % ps) % ps);
    for (size_t i = align_fix; i + 4 * ps <= d->size(); i += ps) {
      const uint64_t p0 = LoadUint(d->data() + i, ps, e);
      const uint64_t p1 = LoadUint(d->data() + i + ps, ps, e);
      // Cheap shape filter before touching the target (SlicesMatch checks exactly). 1.16+:
      // pcHeader, then the funcnametab slice, which the linker lays out right after the header
      // (funcnameOffset is the header's size, under 0x100), len <= cap. 1.2-1.15: the
      // pclntable slice (len == cap), then ftab, right after the 8-byte header and nfunc word.
      // Pointer-rich data (vtables, relocated tables) rarely passes either.
      const uint64_t w2 = LoadUint(d->data() + i + 2 * ps, ps, e);
      const uint64_t w3 = LoadUint(d->data() + i + 3 * ps, ps, e);
      const bool go116 = p0 != 0 && p1 > p0 && p1 - p0 <= 0x1000 && w2 != 0 && w2 <= w3;
      const bool go12 = p0 != 0 && p1 == w2 && w3 == p0 + 8 + ps;
      if (!go116 && !go12) continue;
      auto target = obj.ReadFrom(p0);
      if (!target || target->size() < 16) continue;
      const auto q = static_cast<uint8_t>((*target)[6]);
      if ((*target)[4] != std::byte{0} || (*target)[5] != std::byte{0} ||
          static_cast<size_t>((*target)[7]) != ps || (q != 1 && q != 2 && q != 4)) {
        continue;
      }
      for (uint32_t magic : kMagics) {
        auto h = ParsePclntabHeader(*target, "moduledata scan", 0, magic, e);
        if (!h.ok()) continue;
        auto md = TryCandidate(obj, s->addr + i, p0, *h, std::string(s->name));
        if (!md) continue;
        return PclntabPointer{p0, s->addr + i, magic, std::string(s->name)};
      }
    }
  }
  return std::nullopt;
}

}  // namespace barekit::gobin
