#include "gobin/size_map.h"

#include <algorithm>
#include <cstdint>
#include <unordered_map>
#include <unordered_set>

#include "base/page_hints.h"
#include "fmt/format.h"
#include "gobin/packages.h"

namespace barekit::gobin {
namespace {

struct Interval {
  uint64_t start, end;  // file offsets
  uint32_t id;
};

// Clips intervals to [lo, hi) and to each other (earlier start wins), summing bytes per id.
// Returns the bytes attributed in total.
uint64_t Attribute(std::vector<Interval>& iv, uint64_t lo, uint64_t hi,
                   std::vector<uint64_t>* bytes) {
  auto before = [](const Interval& a, const Interval& b) {
    return a.start != b.start ? a.start < b.start : a.end > b.end;
  };
  // Intervals mostly arrive in file order already (functions, records, names, new pc tables).
  if (!std::is_sorted(iv.begin(), iv.end(), before)) std::sort(iv.begin(), iv.end(), before);
  uint64_t cursor = lo, total = 0;
  for (const Interval& i : iv) {
    uint64_t s = std::max(i.start, cursor), e = std::min(i.end, hi);
    if (e <= s) continue;
    (*bytes)[i.id] += e - s;
    total += e - s;
    cursor = e;
  }
  return total;
}

// Attribute without materialising: `gen(emit)` calls emit(start, end, id) for each interval.
// Sorted streams are clipped on the fly; an out-of-order interval makes it run `gen` again
// into a vector and sort. Adds to *bytes and returns the bytes attributed.
template <typename Gen>
uint64_t AttributeStream(const Gen& gen, uint64_t lo, uint64_t hi, std::vector<uint64_t>* bytes) {
  std::vector<uint64_t> local(bytes->size());
  uint64_t cursor = lo, total = 0, last = 0;
  bool sorted = true;
  gen([&](uint64_t s, uint64_t e, uint32_t id) {
    if (!sorted) return;
    if (s < last) {
      sorted = false;
      return;
    }
    last = s;
    const uint64_t a = std::max(s, cursor), b = std::min(e, hi);
    if (b <= a) return;
    local[id] += b - a;
    total += b - a;
    cursor = b;
  });
  if (!sorted) {
    std::vector<Interval> iv;
    gen([&](uint64_t s, uint64_t e, uint32_t id) { iv.push_back({s, e, id}); });
    std::fill(local.begin(), local.end(), 0);
    total = Attribute(iv, lo, hi, &local);
  }
  for (size_t i = 0; i < local.size(); ++i) (*bytes)[i] += local[i];
  return total;
}

// For streams whose intervals never overlap in a well-formed table (deduplicated names and pc
// tables): only clipped to [lo, hi), no ordering needed. A damaged table that breaks this shows
// up as more bytes than the region holds, and the caller falls back to AttributeStream.
template <typename Gen>
uint64_t AttributeDisjoint(const Gen& gen, uint64_t lo, uint64_t hi, std::vector<uint64_t>* bytes) {
  uint64_t total = 0;
  gen([&](uint64_t s, uint64_t e, uint32_t id) {
    const uint64_t a = std::max(s, lo), b = std::min(e, hi);
    if (b <= a) return;
    (*bytes)[id] += b - a;
    total += b - a;
  });
  return total;
}

void SortChildren(SizeNode* n) {
  std::sort(n->children.begin(), n->children.end(), [](const SizeNode& a, const SizeNode& b) {
    if (a.file_bytes != b.file_bytes) return a.file_bytes > b.file_bytes;
    return a.name < b.name;
  });
}

// Section node children: module > package from per-package bytes, plus unattributed leaves.
void AddPackageChildren(const PackageIndex& ix, const std::vector<uint64_t>& bytes,
                        const std::vector<uint64_t>& funcs, SizeNode* sec) {
  std::unordered_map<std::string_view, size_t> mods;
  for (size_t id = 0; id < bytes.size(); ++id) {
    if (bytes[id] == 0) continue;
    auto [it, inserted] = mods.try_emplace(ix.module[id], sec->children.size());
    if (inserted) {
      SizeNode m;
      m.name = ix.module[id];
      m.kind = SizeNodeKind::kModule;
      sec->children.push_back(std::move(m));
    }
    SizeNode& m = sec->children[it->second];
    SizeNode p;
    p.name = ix.package[id];
    p.kind = SizeNodeKind::kPackage;
    p.file_bytes = bytes[id];
    p.functions = funcs[id];
    m.file_bytes += p.file_bytes;
    m.functions += p.functions;
    m.children.push_back(std::move(p));
  }
  for (SizeNode& m : sec->children) SortChildren(&m);
}

// A plain bit set over offsets.
class Bits {
 public:
  // Reserved and prefaulted before the zero fill: one madvise instead of a fault per page.
  explicit Bits(size_t n) : n_(n) {
    const size_t words = (n + 63) / 64;
    w_.reserve(words);
    PrefaultForWrite(w_.data(), words * sizeof(uint64_t));
    w_.resize(words);
  }
  bool Test(size_t i) const { return (w_[i >> 6] >> (i & 63)) & 1; }
  void Set(size_t i) { w_[i >> 6] |= uint64_t{1} << (i & 63); }
  // The first set bit at or after i, or size() when none.
  size_t Next(size_t i) const {
    if (i >= n_) return n_;
    size_t k = i >> 6;
    uint64_t w = w_[k] & (~uint64_t{0} << (i & 63));
    while (w == 0) {
      if (++k == w_.size()) return n_;
      w = w_[k];
    }
    return std::min(n_, (k << 6) + static_cast<size_t>(__builtin_ctzll(w)));
  }
  size_t size() const { return n_; }
  uint64_t* words() { return w_.data(); }  // bit i is bit i % 64 of word i / 64

 private:
  std::vector<uint64_t> w_;
  size_t n_;
};

// The pcsp/pcfile/pcln/pcdata tables a function's _func record references, as offsets into
// pctab (1.16+ tables; none for 1.2).
class PcTableRefs {
 public:
  explicit PcTableRefs(const FunctionTable& t) : t_(t) {
    const PclntabHeader& h = t.header;
    if (h.version == PclntabVersion::kGo12 || h.pctab_off >= h.functab_off) return;
    pctab_size_ = static_cast<size_t>(h.functab_off - h.pctab_off);
    const uint64_t fixed = h.version >= PclntabVersion::kGo118
                               ? 0
                               : static_cast<uint64_t>(h.ptr_size) - 4;  // wider entry field
    pcsp_at_ = 16 + fixed;
    npcdata_at_ = 28 + fixed;
    pcdata_at_ = (h.version == PclntabVersion::kGo120 ? 44 : 40) + fixed;
  }
  size_t pctab_size() const { return pctab_size_; }  // 0: no pc tables to attribute

  // Calls fn(offset) for every table function i references. A field past the table's end is
  // skipped; without the pcdata count, so are the pcdata offsets.
  template <typename Fn>
  void ForEach(size_t i, const Fn& fn) const {
    ForEachAt(t_.funcs[i].func_offset, fn);
  }
  // Where the offsets of the record at table offset `rec` lie, when it lies whole inside the
  // table: three 4-byte fields at *fixed (pcsp, pcfile, pcln) and *n at *pcdata. False when it
  // does not: then ForEachAt reads it field by field.
  template <bool kSwap>
  bool Fields(uint64_t rec, const std::byte** fixed, const std::byte** pcdata, size_t* n) const {
    const uint64_t size = t_.data.size();
    if (rec + pcdata_at_ > size) return false;
    const std::byte* p = t_.data.data() + rec;
    const uint64_t count = LoadUintAs<4, kSwap>(p + npcdata_at_);
    if (count > 64 || rec + pcdata_at_ + 4 * count > size) return false;
    *fixed = p + pcsp_at_;
    *pcdata = p + pcdata_at_;
    *n = static_cast<size_t>(count);
    return true;
  }
  // The same for the record at table offset `rec`.
  template <typename Fn>
  void ForEachAt(uint64_t rec, const Fn& fn) const {
    auto use = [&](uint64_t off) {
      if (off != 0 && off < pctab_size_) fn(static_cast<size_t>(off));
    };
    // The whole record inside the table (nearly always): one bounds check for all its fields.
    const uint64_t size = t_.data.size();
    if (rec + pcdata_at_ <= size) {
      const std::byte* p = t_.data.data() + rec;
      const Endian e = t_.header.endian;
      const uint64_t n = LoadUint(p + npcdata_at_, 4, e);
      if (n <= 64 && rec + pcdata_at_ + 4 * n <= size) {
        for (uint64_t f = 0; f < 3; ++f) use(LoadUint(p + pcsp_at_ + 4 * f, 4, e));
        for (uint64_t k = 0; k < n; ++k) use(LoadUint(p + pcdata_at_ + 4 * k, 4, e));
        return;
      }
    }
    ForEachChecked(rec, fn);
  }

 private:
  // ForEach field by field through the table's cursor, for a record that runs past its end.
  template <typename Fn>
  void ForEachChecked(uint64_t rec, const Fn& fn) const {
    ByteReader r(t_.data, t_.header.endian);
    auto field = [&](uint64_t at) -> std::optional<uint32_t> {
      return r.Seek(rec + at) ? r.U32() : std::nullopt;
    };
    auto use = [&](std::optional<uint32_t> off) {
      if (off && *off != 0 && *off < pctab_size_) fn(static_cast<size_t>(*off));
    };
    for (uint64_t f = 0; f < 3; ++f) use(field(pcsp_at_ + 4 * f));
    const std::optional<uint32_t> n = field(npcdata_at_);
    if (!n || *n > 64) return;
    for (uint64_t k = 0; k < *n; ++k) use(field(pcdata_at_ + 4 * k));
  }

  const FunctionTable& t_;
  size_t pctab_size_ = 0;
  uint64_t pcsp_at_ = 0, npcdata_at_ = 0, pcdata_at_ = 0;
};

// Per function in a 1.16+ table: its pc tables as intervals at `tab_off + offset` of pctab. The
// linker writes pctab as the concatenation of distinct tables and lets functions share identical
// ones: a table runs to the next referenced table (or pctab's end) and belongs to the first
// function (in table order) that references it.
template <typename Emit>
void EmitPcTables(const FunctionTable& t, const std::vector<uint32_t>& of_func, uint64_t tab_off,
                  const Emit& emit) {
  PcTableRefs refs(t);
  const size_t pctab_size = refs.pctab_size();
  if (pctab_size == 0) return;
  const uint64_t at = tab_off + t.header.pctab_off;
  Bits starts(pctab_size), claimed(pctab_size);
  for (size_t i = 0; i < t.funcs.size(); ++i) {
    refs.ForEach(i, [&](size_t off) { starts.Set(off); });
  }
  for (size_t i = 0; i < t.funcs.size(); ++i) {
    refs.ForEach(i, [&](size_t off) {
      if (claimed.Test(off)) return;
      claimed.Set(off);
      emit(at + off, at + starts.Next(off + 1), of_func[i]);
    });
  }
}

// EmitPcTables in one pass, for tables laid out as the linker writes them: the distinct tables
// a function is first to reference follow all tables of the functions before it (in some order
// of their own), so that a table not seen before lies past every table seen before and runs to
// the next such table. Returns false, part-way, when the table breaks that order; what was
// emitted by then must be discarded.
template <typename Emit>
bool EmitPcTablesInOrder(const FunctionTable& t, const std::vector<uint32_t>& of_func,
                         uint64_t tab_off, const Emit& emit) {
  PcTableRefs refs(t);
  const size_t pctab_size = refs.pctab_size();
  if (pctab_size == 0) return true;
  const uint64_t at = tab_off + t.header.pctab_off;
  Bits starts(pctab_size);
  bool pending = false;
  size_t last = 0;
  uint32_t last_id = 0;
  size_t offs[3 + 64];
  for (size_t i = 0; i < t.funcs.size(); ++i) {
    // A table at or before the last new one must be shared with an earlier function; only the
    // rest are new, and only those need sorting (the sorted walk below would test the shared
    // ones first anyway, before `last` moves).
    size_t n = 0;
    bool shared_ok = true;
    refs.ForEach(i, [&](size_t off) {
      if (pending && off <= last) {
        shared_ok &= starts.Test(off);
      } else {
        offs[n++] = off;
      }
    });
    if (!shared_ok) return false;
    for (size_t k = 1; k < n; ++k) {  // a handful each: insertion sort
      const size_t v = offs[k];
      size_t j = k;
      for (; j > 0 && offs[j - 1] > v; --j) offs[j] = offs[j - 1];
      offs[j] = v;
    }
    for (size_t k = 0; k < n; ++k) {
      const size_t off = offs[k];
      if (pending && off <= last) {
        // Shared with an earlier function (or listed twice); else a new table out of order.
        if (!starts.Test(off)) return false;
        continue;
      }
      if (pending) emit(at + last, at + off, last_id);
      starts.Set(off);
      pending = true;
      last = off;
      last_id = of_func[i];
    }
  }
  if (pending) emit(at + last, at + pctab_size, last_id);
  return true;
}

// pctab bytes per package id, clipped to [lo, hi) and added to *bytes; returns the bytes
// attributed. The one-pass split when the table is in the linker's order, else the general one;
// `one_pass_only` reports such a table as nullopt instead (for tests that compare the two).
std::optional<uint64_t> AttributePcTables(const FunctionTable& t, const std::vector<uint32_t>& of,
                                          uint64_t tab_off, uint64_t lo, uint64_t hi,
                                          std::vector<uint64_t>* bytes,
                                          bool one_pass_only = false) {
  // Into a scratch vector first: a table found out of order part-way has emitted some already.
  std::vector<uint64_t> local(bytes->size());
  bool in_order = true;
  uint64_t got = AttributeDisjoint(
      [&](const auto& emit) { in_order = EmitPcTablesInOrder(t, of, tab_off, emit); }, lo, hi,
      &local);
  if (!in_order) {
    if (one_pass_only) return std::nullopt;
    std::fill(local.begin(), local.end(), 0);
    got = AttributeDisjoint([&](const auto& emit) { EmitPcTables(t, of, tab_off, emit); }, lo, hi,
                            &local);
  }
  for (size_t id = 0; id < local.size(); ++id) (*bytes)[id] += local[id];
  return got;
}

SizeNode Leaf(std::string name, SizeNodeKind kind, uint64_t bytes) {
  SizeNode n;
  n.name = std::move(name);
  n.kind = kind;
  n.file_bytes = bytes;
  return n;
}

constexpr uint64_t kLastRecord = 40;  // the last record's bytes: its fixed part
constexpr std::string_view kSharedLabel = "[pclntab: header, file and CU tables, padding]";

std::string SectionLabel(const exe::Section& s) {
  if (s.segment.empty()) return std::string(s.name);
  return fmt::format("{},{}", s.segment, s.name);
}

}  // namespace

std::string_view SizeNodeKindName(SizeNodeKind k) {
  switch (k) {
    case SizeNodeKind::kFile:
      return "file";
    case SizeNodeKind::kSection:
      return "section";
    case SizeNodeKind::kGap:
      return "gap";
    case SizeNodeKind::kModule:
      return "module";
    case SizeNodeKind::kPackage:
      return "package";
    case SizeNodeKind::kUnattributed:
      return "unattributed";
  }
  return "?";
}

SizeNode BuildSizeMap(const exe::ObjectFile& obj, const FunctionTable* table,
                      const BuildInfo* info) {
  if (table == nullptr) return BuildSizeMap(obj, nullptr, PackageIndex{});
  return BuildSizeMap(obj, table, IndexPackages(*table, info));
}

namespace {

// The file's sections with bytes, in file order, each clipped to the bytes no earlier section
// holds, and the file bytes no section holds.
struct Placed {
  const exe::Section* s;
  uint64_t start, end;  // [start, end): this section's bytes, after clipping
};
struct Layout {
  std::vector<Placed> secs;
  uint64_t gap_header = 0, gap_inner = 0, trailer = 0;
};

Layout Place(const exe::ObjectFile& obj) {
  const uint64_t file_size = obj.data.size();
  std::vector<const exe::Section*> secs;
  for (const exe::Section& s : obj.sections) {
    if (s.file_size > 0 && s.offset < file_size) secs.push_back(&s);
  }
  std::stable_sort(secs.begin(), secs.end(), [](const exe::Section* a, const exe::Section* b) {
    return a->offset < b->offset;
  });
  Layout l;
  uint64_t cursor = 0;
  for (const exe::Section* s : secs) {
    const uint64_t start = std::max(s->offset, cursor);
    const uint64_t end = std::min(s->offset + s->file_size, file_size);
    if (start > cursor) (cursor == 0 ? l.gap_header : l.gap_inner) += start - cursor;
    if (end <= start) continue;  // entirely inside an earlier section
    cursor = end;
    l.secs.push_back({s, start, end});
  }
  l.trailer = file_size > cursor ? file_size - cursor : 0;
  return l;
}

bool IsCode(const exe::Section& s) { return s.executable && s.addr != 0; }

// The placed section that holds the function table at object offset `tab_off`, unless that one
// is code (then it is split as code): its index, or -1.
int TableSection(const Layout& l, uint64_t tab_off) {
  for (size_t k = 0; k < l.secs.size(); ++k) {
    const Placed& p = l.secs[k];
    if (tab_off >= p.start && tab_off < p.end) return IsCode(*p.s) ? -1 : static_cast<int>(k);
  }
  return -1;
}

// A section's bytes split among package ids, before the tree is built.
struct Split {
  std::vector<uint64_t> bytes, funcs;  // per package id
  uint64_t shared = 0;                 // the function table's bytes no function owns
  std::string shared_label;
};

// Code: each function's [entry, entry+size) mapped to file offsets.
Split SplitCode(const Placed& p, const FunctionTable& t, const PackageIndex& ix) {
  Split sp;
  sp.bytes.resize(ix.package.size());
  sp.funcs.resize(ix.package.size());
  const exe::Section* s = p.s;
  const auto& fs = t.funcs;
  auto first = std::lower_bound(fs.begin(), fs.end(), s->addr,
                                [](const Function& f, uint64_t a) { return f.entry < a; });
  auto code = [&](const auto& emit) {
    for (auto it = first; it != fs.end() && it->entry < s->addr + s->file_size; ++it) {
      const uint64_t off = s->offset + (it->entry - s->addr);
      emit(off, off + it->size, ix.of_func[static_cast<size_t>(it - fs.begin())]);
    }
  };
  code([&](uint64_t, uint64_t, uint32_t id) { sp.funcs[id] += 1; });
  AttributeStream(code, p.start, p.end, &sp.bytes);
  return sp;
}

// Function table: each function's name and _func record (with its pcdata/funcdata offsets, up
// to the next record). Shared sub-tables stay unattributed, named.
Split SplitTable(const Placed& p, const FunctionTable& t, const PackageIndex& ix,
                 uint64_t tab_off) {
  Split sp;
  sp.bytes.resize(ix.package.size());
  sp.funcs.resize(ix.package.size());
  std::vector<uint64_t>& bytes = sp.bytes;
  const uint64_t tab_end = std::min(p.end, tab_off + t.size);
  const size_t nfuncs = t.funcs.size();
  const auto& fs = t.funcs;
  const auto& of = ix.of_func;
  // Names, records, functab slots and pc tables live in disjoint sub-tables (1.16+): each
  // stream is clipped on its own, then the sum is checked against the table's size.
  // The linker lays records out in function order: then the records are the functions
  // themselves, else they are sorted first.
  bool recs_in_order = true;
  for (size_t i = 0; i < nfuncs; ++i) {
    sp.funcs[of[i]] += 1;
    if (i > 0) recs_in_order &= fs[i - 1].func_offset < fs[i].func_offset;
  }
  std::vector<std::pair<uint32_t, uint32_t>> recs;  // (func_offset, function index)
  if (!recs_in_order) {
    recs.reserve(nfuncs);
    for (size_t i = 0; i < nfuncs; ++i)
      recs.push_back({fs[i].func_offset, static_cast<uint32_t>(i)});
    std::sort(recs.begin(), recs.end());
  }
  auto names = [&](const auto& emit) {
    // Functions may share a name string; each is counted once, for the first.
    uint64_t lo = UINT64_MAX, hi = 0;
    for (size_t i = 0; i < nfuncs; ++i) {
      lo = std::min(lo, t.NameOffset(fs[i]));
      hi = std::max(hi, t.NameOffset(fs[i]) + 1);
    }
    Bits seen(static_cast<size_t>(hi - lo));
    for (size_t i = 0; i < nfuncs; ++i) {
      const uint64_t at = t.NameOffset(fs[i]);
      if (seen.Test(at - lo)) continue;
      seen.Set(at - lo);
      emit(tab_off + at, tab_off + at + fs[i].name.size() + 1, of[i]);
    }
  };
  auto records = [&](const auto& emit) {
    // Each record runs up to the next one; the last: its fixed part only.
    if (recs_in_order) {
      for (size_t i = 0; i < nfuncs; ++i) {
        const uint64_t off = fs[i].func_offset;
        const uint64_t end_rec = i + 1 < nfuncs ? fs[i + 1].func_offset : off + kLastRecord;
        emit(tab_off + off, tab_off + end_rec, of[i]);
      }
      return;
    }
    for (size_t i = 0; i < recs.size(); ++i) {
      uint64_t end_rec = i + 1 < recs.size() ? recs[i + 1].first : recs[i].first + kLastRecord;
      emit(tab_off + recs[i].first, tab_off + end_rec, of[recs[i].second]);
    }
  };
  const uint64_t field = t.header.functab_field;
  const uint64_t ft = t.header.functab_off;
  auto slots = [&](const auto& emit) {
    if (t.header.version == PclntabVersion::kGo12) return;
    for (size_t i = 0; i < nfuncs; ++i) {
      emit(tab_off + ft + i * 2 * field, tab_off + ft + (i + 1) * 2 * field, of[i]);
    }
  };
  auto pcs = [&](const auto& emit) { EmitPcTables(t, of, tab_off, emit); };
  const bool disjoint = t.header.version != PclntabVersion::kGo12;
  uint64_t got = 0;
  if (disjoint) {
    got += AttributeDisjoint(names, tab_off, tab_end, &bytes);
    got += AttributeStream(records, tab_off, tab_end, &bytes);
    got += AttributeStream(slots, tab_off, tab_end, &bytes);
    got += *AttributePcTables(t, of, tab_off, tab_off, tab_end, &bytes);
  }
  if (!disjoint || got > tab_end - tab_off) {
    // Overlapping sub-tables (1.2 layout, or a damaged table): clip everything together.
    std::fill(bytes.begin(), bytes.end(), 0);
    auto all = [&](const auto& emit) {
      names(emit);
      records(emit);
      slots(emit);
      pcs(emit);
    };
    got = AttributeStream(all, tab_off, tab_end, &bytes);
  }
  sp.shared = (tab_end - tab_off) - got;
  sp.shared_label = std::string(kSharedLabel);
  return sp;
}

// The tree from the layout and the splits (one per placed section, null where unsplit).
SizeNode Assemble(const Layout& l, uint64_t file_size, const PackageIndex& ix,
                  const std::vector<const Split*>& splits) {
  SizeNode root;
  root.name = "file";
  root.kind = SizeNodeKind::kFile;
  root.file_bytes = file_size;
  root.children.reserve(l.secs.size() + 3);
  for (size_t k = 0; k < l.secs.size(); ++k) {
    const Placed& p = l.secs[k];
    SizeNode n;
    n.name = SectionLabel(*p.s);
    n.kind = SizeNodeKind::kSection;
    n.file_bytes = p.end - p.start;
    n.vm_bytes = p.s->alloc ? p.s->size : 0;
    if (const Split* sp = splits[k]) {
      uint64_t attributed = sp->shared;
      for (uint64_t b : sp->bytes) attributed += b;
      if (attributed > 0) {
        AddPackageChildren(ix, sp->bytes, sp->funcs, &n);
        if (sp->shared > 0) {
          n.children.push_back(Leaf(sp->shared_label, SizeNodeKind::kUnattributed, sp->shared));
        }
        if (n.file_bytes > attributed) {
          n.children.push_back(
              Leaf("[unattributed]", SizeNodeKind::kUnattributed, n.file_bytes - attributed));
        }
        SortChildren(&n);
      }
    }
    root.children.push_back(std::move(n));
  }
  if (l.gap_header > 0) {
    root.children.push_back(Leaf("[file header]", SizeNodeKind::kGap, l.gap_header));
  }
  if (l.gap_inner > 0) {
    root.children.push_back(Leaf("[between sections]", SizeNodeKind::kGap, l.gap_inner));
  }
  if (l.trailer > 0) {
    root.children.push_back(Leaf("[after the last section]", SizeNodeKind::kGap, l.trailer));
  }
  SortChildren(&root);
  return root;
}

}  // namespace

SizeNode BuildSizeMap(const exe::ObjectFile& obj, const FunctionTable* table,
                      const PackageIndex& ix) {
  const Layout l = Place(obj);
  std::vector<Split> owned(l.secs.size());
  std::vector<const Split*> splits(l.secs.size(), nullptr);
  if (table != nullptr && !table->funcs.empty()) {
    // The section holding the function table (file offsets are relative to obj.data).
    const uint64_t tab_off = table->file_offset - obj.slice_offset;
    const int tab_sec = TableSection(l, tab_off);
    for (size_t k = 0; k < l.secs.size(); ++k) {
      if (IsCode(*l.secs[k].s)) {
        owned[k] = SplitCode(l.secs[k], *table, ix);
      } else if (static_cast<int>(k) == tab_sec) {
        owned[k] = SplitTable(l.secs[k], *table, ix, tab_off);
      } else {
        continue;
      }
      splits[k] = &owned[k];
    }
  }
  return Assemble(l, obj.data.size(), ix, splits);
}

// ---------------------------------------------------------------------------------------------
// SizeTally: the same splits in one pass, as the table is decoded.

// AttributeStream's clipping for a stream known to come sorted, one interval at a time; `sorted`
// turns false at the first interval out of order, and the stream's sum is then void.
struct SortedStream {
  uint64_t cursor = 0, hi = 0, last = 0;
  bool sorted = true;
  void Reset(uint64_t lo, uint64_t h) {
    cursor = lo;
    hi = h;
  }
  void Emit(uint64_t s, uint64_t e, uint64_t* bytes) {
    if (s < last) sorted = false;
    if (!sorted) return;
    last = s;
    const uint64_t a = std::max(s, cursor), b = std::min(e, hi);
    if (b <= a) return;
    *bytes += b - a;
    cursor = b;
  }
};

struct SizeTally::CodeSection {
  size_t placed = 0;  // index into the layout
  uint64_t addr = 0, limit = 0, offset = 0;
  SortedStream stream;
  Split split;
};

struct SizeTally::State {
  const exe::ObjectFile* obj = nullptr;
  Layout layout;
  PackageIndexer indexer;
  std::vector<uint64_t> code_bytes, functions;  // per package id, for SizeByPackage
  std::vector<CodeSection> code;
  size_t cur_code = 0;  // the code section of the last function: the next one's, nearly always
  bool code_disjoint = true;  // no address lies in two code sections
  uint64_t prev_entry = 0;
  uint64_t count = 0;
  bool ok = true;  // every in-order assumption held so far
  bool done = false;

  // The function table's section, when it is split (else table_sec < 0). The table lies whole
  // inside it (else the stored way clips), so nothing here is clipped.
  int table_sec = -1;
  Split table_split;
  FunctionTable table;  // Begin's copy: header, bytes and where; no functions
  uint64_t tab_off = 0;
  const char* table_data = nullptr;
  bool swap = false;
  uint64_t slot_bytes = 0;  // one functab slot: two words
  // Names: the linker writes each distinct name once, in function order, so a name not seen
  // before starts at or past the end of the last new one; one seen before is looked up among
  // the starts. Names of inlined functions are written where they are first inlined, so a
  // function may also start a name behind that point.
  std::vector<uint32_t> name_starts;
  std::unordered_set<uint64_t> names_behind;  // new names that start before names_next
  uint64_t names_next = 0, names_got = 0;
  // Records, in function order: the one before runs up to this one's. They cover
  // [first_rec, the last one's end), and the functab slots count * slot_bytes.
  uint64_t first_rec = 0, prev_rec = 0;
  uint32_t prev_id = 0;
  // pc tables (EmitPcTablesInOrder): a function's new tables follow all tables before them, so
  // the bytes from its first new table up to the next function's first new table are its own.
  std::optional<PcTableRefs> refs;
  std::optional<Bits> pc_starts;
  bool pc_pending = false;
  size_t pc_last = 0;       // the last new table
  size_t pc_first = 0;      // the first table: the runs cover [pc_first, pctab's end)
  size_t pc_run_start = 0;  // the first new table of the function that owns the bytes from it
  uint32_t pc_run_id = 0;

  explicit State(const BuildInfo* info) : indexer(info) {}
  void Grow(size_t n) {
    code_bytes.resize(n);
    functions.resize(n);
    for (CodeSection& c : code) {
      c.split.bytes.resize(n);
      c.split.funcs.resize(n);
    }
    table_split.bytes.resize(n);
    table_split.funcs.resize(n);
  }

  template <bool kSwap>
  void Visit(const Function& f);
  template <bool kSwap>
  void PcTables(uint64_t rec, uint32_t id);
};

SizeTally::SizeTally(const exe::ObjectFile& obj, const BuildInfo* info)
    : st_(std::make_unique<State>(info)) {
  st_->obj = &obj;
  st_->layout = Place(obj);
  for (size_t k = 0; k < st_->layout.secs.size(); ++k) {
    const Placed& p = st_->layout.secs[k];
    if (!IsCode(*p.s)) continue;
    CodeSection c;
    c.placed = k;
    c.addr = p.s->addr;
    c.limit = p.s->addr + p.s->file_size;
    c.offset = p.s->offset;
    c.stream.Reset(p.start, p.end);
    st_->code.push_back(std::move(c));
  }
  for (const CodeSection& a : st_->code) {
    for (const CodeSection& b : st_->code) {
      if (&a != &b && a.addr < b.limit && b.addr < a.limit) st_->code_disjoint = false;
    }
  }
}

SizeTally::~SizeTally() = default;
SizeTally::SizeTally(SizeTally&&) noexcept = default;

void SizeTally::Begin(void* ctx, const FunctionTable& t) {
  State& st = *static_cast<SizeTally*>(ctx)->st_;
  st.table = t;
  const PclntabHeader& h = t.header;
  st.tab_off = t.file_offset - st.obj->slice_offset;
  st.table_sec = TableSection(st.layout, st.tab_off);
  if (st.table_sec < 0) return;
  // The one pass covers the 1.16+ layouts, whose sub-tables are disjoint, lying whole inside
  // their section; the rest goes the stored way.
  const Placed& p = st.layout.secs[static_cast<size_t>(st.table_sec)];
  if (h.version == PclntabVersion::kGo12 || st.tab_off + t.size > p.end ||
      t.size != t.data.size() || t.size > UINT32_MAX) {
    st.ok = false;
    return;
  }
  st.table_data = reinterpret_cast<const char*>(t.data.data());
  st.swap = NeedsByteSwap(h.endian);
  st.slot_bytes = 2 * h.functab_field;
  st.names_next = h.funcname_off;
  st.name_starts.reserve(static_cast<size_t>(std::min<uint64_t>(h.nfunc, 1 << 24)));
  st.refs.emplace(st.table);
  if (st.refs->pctab_size() > 0) st.pc_starts.emplace(st.refs->pctab_size());
}

// EmitPcTablesInOrder's step for one function (its record at table offset `rec`), with the byte
// order fixed. A table past the last one seen is new (and marked as a table start); one at or
// before it must be a start already marked. Only the function's first new table matters for the
// bytes: the tables from it to the next function's first new one are all this function's. So
// nothing is sorted, where EmitPcTablesInOrder sorts each function's new tables.
template <bool kSwap>
[[gnu::always_inline]] inline void SizeTally::State::PcTables(uint64_t rec, uint32_t id) {
  const size_t seen = pc_pending ? pc_last : 0;
  size_t first = SIZE_MAX, last = 0;
  bool shared_ok = true;
  uint64_t* const w = pc_starts->words();  // in a register across the fields, not reloaded
  auto take = [&](size_t off) __attribute__((always_inline)) {
    const uint64_t bit = uint64_t{1} << (off & 63);
    uint64_t& word = w[off >> 6];
    if (off > seen) {
      word |= bit;
      first = std::min(first, off);
      last = std::max(last, off);
    } else {
      shared_ok &= (word & bit) != 0;
    }
  };
  const std::byte *fixed, *pcdata;
  size_t n;
  if (refs->Fields<kSwap>(rec, &fixed, &pcdata, &n)) [[likely]] {
    const size_t size = refs->pctab_size();
    auto field = [&](const std::byte* at) __attribute__((always_inline)) {
      const size_t off = LoadUintAs<4, kSwap>(at);
      if (off - 1 < size - 1) take(off);  // else absent (0) or past pctab, as ForEachAt skips
    };
    field(fixed);
    field(fixed + 4);
    field(fixed + 8);
    for (size_t k = 0; k < n; ++k) field(pcdata + 4 * k);
  } else {
    refs->ForEachAt(rec, take);
  }
  if (!shared_ok) {
    ok = false;
    return;
  }
  if (first == SIZE_MAX) return;  // no new table
  if (pc_pending) {
    table_split.bytes[pc_run_id] += first - pc_run_start;
  } else {
    pc_first = first;
  }
  pc_run_start = first;
  pc_run_id = id;
  pc_pending = true;
  pc_last = last;
}

void SizeTally::Visit(void* ctx, const Function& f) {
  State& st = *static_cast<SizeTally*>(ctx)->st_;
  if (st.swap) {
    st.Visit<true>(f);
  } else {
    st.Visit<false>(f);
  }
}

// One function's share of everything, with the table's byte order fixed.
template <bool kSwap>
void SizeTally::State::Visit(const Function& f) {
  State& st = *this;
  const uint32_t id = st.indexer.Add(f.name);
  if (id >= st.code_bytes.size()) st.Grow(id + 1);
  const uint64_t i = st.count++;
  st.code_bytes[id] += f.size;
  st.functions[id] += 1;
  // Code: entries come sorted (SplitCode's lower_bound walk relies on it too), so the section
  // of the function before is tried first.
  if (f.entry < st.prev_entry) st.ok = false;
  st.prev_entry = f.entry;
  if (!st.code.empty()) {
    CodeSection* c = &st.code[st.cur_code];
    if (f.entry < c->addr || f.entry >= c->limit || !st.code_disjoint) {
      // Sections may overlap in addresses: each one that holds the entry counts it.
      for (size_t k = 0; k < st.code.size(); ++k) {
        CodeSection& o = st.code[k];
        if (f.entry < o.addr || f.entry >= o.limit) continue;
        st.cur_code = k;
        o.split.funcs[id] += 1;
        const uint64_t off = o.offset + (f.entry - o.addr);
        o.stream.Emit(off, off + f.size, &o.split.bytes[id]);
      }
    } else {
      c->split.funcs[id] += 1;
      const uint64_t off = c->offset + (f.entry - c->addr);
      c->stream.Emit(off, off + f.size, &c->split.bytes[id]);
    }
  }
  if (st.table_sec < 0 || !st.ok) return;
  st.table_split.funcs[id] += 1;
  uint64_t* const bytes = st.table_split.bytes.data();
  // Its name, when no function before had it.
  const auto name_at = static_cast<uint64_t>(f.name.data() - st.table_data);
  if (name_at >= st.names_next) {
    st.name_starts.push_back(static_cast<uint32_t>(name_at));
    st.names_next = name_at + f.name.size() + 1;
    st.names_got += f.name.size() + 1;
    bytes[id] += f.name.size() + 1;
  } else if (!std::binary_search(st.name_starts.begin(), st.name_starts.end(),
                                 static_cast<uint32_t>(name_at)) &&
             st.names_behind.insert(name_at).second) {
    // A name the linker wrote earlier for an inlined call (restic: 4 of 21k): new here too.
    st.names_got += f.name.size() + 1;
    bytes[id] += f.name.size() + 1;
  }
  // Its record runs to the next one; the one before runs to it.
  const uint64_t rec = f.func_offset;
  if (i > 0) {
    if (rec <= st.prev_rec) {
      st.ok = false;
      return;
    }
    bytes[st.prev_id] += rec - st.prev_rec;
  } else {
    st.first_rec = rec;
  }
  st.prev_rec = rec;
  st.prev_id = id;
  // Its functab slot.
  bytes[id] += st.slot_bytes;
  // Its pc tables.
  if (st.pc_starts) st.PcTables<kSwap>(rec, id);
}

Result<FunctionTable> SizeTally::Read(const exe::ObjectFile& obj) {
  ReadOptions ro;
  ro.begin = &SizeTally::Begin;
  ro.visit = &SizeTally::Visit;
  ro.visit_ctx = this;
  return ReadFunctionTable(obj, ro);
}

bool SizeTally::Finish() {
  State& st = *st_;
  if (st.done) return st.ok;
  st.done = true;
  for (const CodeSection& c : st.code) st.ok &= c.stream.sorted;
  if (st.table_sec < 0 || !st.ok || st.count == 0) return st.ok;
  // The last record: its fixed part only; the last pc tables: up to pctab's end.
  const uint64_t size = st.table.size;
  const uint64_t recs_end = std::min(st.prev_rec + kLastRecord, size);
  st.table_split.bytes[st.prev_id] += recs_end - st.prev_rec;
  uint64_t pcs = 0;
  if (st.pc_pending) {
    st.table_split.bytes[st.pc_run_id] += st.refs->pctab_size() - st.pc_run_start;
    pcs = st.refs->pctab_size() - st.pc_first;
  }
  // The slots as the stored way clips them: the functab may end past the table.
  const uint64_t slots = st.count * st.slot_bytes;
  if (st.table.header.functab_off + slots > size) st.ok = false;
  const uint64_t got = st.names_got + (recs_end - st.first_rec) + slots + pcs;
  // More than the table holds: overlapping sub-tables, which the stored way clips together.
  if (got > size) st.ok = false;
  st.table_split.shared = size - got;
  st.table_split.shared_label = std::string(kSharedLabel);
  return st.ok;
}

const PackageIndex& SizeTally::index() const { return st_->indexer.index(); }
uint64_t SizeTally::functions() const { return st_->count; }

PackageReport SizeTally::Packages() const {
  return SizeByPackage(st_->indexer.index(), st_->code_bytes, st_->functions);
}

SizeNode SizeTally::SizeMap() const {
  const State& st = *st_;
  std::vector<const Split*> splits(st.layout.secs.size(), nullptr);
  if (st.count > 0) {
    for (const CodeSection& c : st.code) splits[c.placed] = &c.split;
    if (st.table_sec >= 0) splits[static_cast<size_t>(st.table_sec)] = &st.table_split;
  }
  return Assemble(st.layout, st.obj->data.size(), st.indexer.index(), splits);
}

TableSizes ReadTableSizes(const exe::ObjectFile& obj, const BuildInfo* info, bool packages,
                          bool size, bool keep_functions) {
  TableSizes out;
  if ((packages || size) && !keep_functions) {
    SizeTally tally(obj, info);
    auto t = tally.Read(obj);
    if (!t.ok()) {
      // The stored read would fail the same way: the sections alone.
      out.table = t.status();
      if (size) out.size = BuildSizeMap(obj, nullptr, PackageIndex{});
      return out;
    }
    if (tally.Finish()) {
      out.table = std::move(t);
      out.functions = tally.functions();
      if (packages) out.packages = tally.Packages();
      if (size) out.size = tally.SizeMap();
      return out;
    }
    // Not in the linker's layout: the stored way.
  }
  out.table = ReadFunctionTable(obj);
  const FunctionTable* t = out.table.ok() ? &out.table.value() : nullptr;
  if (t != nullptr) out.functions = t->funcs.size();
  if (!packages && !size) return out;
  // The packages are indexed once for both reports (none without a table).
  const PackageIndex ix = t != nullptr ? IndexPackages(*t, info) : PackageIndex{};
  if (packages && t != nullptr) out.packages = SizeByPackage(*t, ix);
  if (size) out.size = BuildSizeMap(obj, t, ix);
  return out;
}

namespace size_map_internal {

std::optional<std::vector<uint64_t>> PcTableBytesOnePass(const FunctionTable& t,
                                                         const PackageIndex& ix) {
  std::vector<uint64_t> bytes(ix.package.size());
  if (!AttributePcTables(t, ix.of_func, 0, 0, UINT64_MAX, &bytes, /*one_pass_only=*/true)) {
    return std::nullopt;
  }
  return bytes;
}

std::vector<uint64_t> PcTableBytesGeneral(const FunctionTable& t, const PackageIndex& ix) {
  std::vector<uint64_t> bytes(ix.package.size());
  AttributeDisjoint([&](const auto& emit) { EmitPcTables(t, ix.of_func, 0, emit); }, 0, UINT64_MAX,
                    &bytes);
  return bytes;
}

}  // namespace size_map_internal

}  // namespace barekit::gobin
