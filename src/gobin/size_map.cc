#include "gobin/size_map.h"

#include <algorithm>
#include <cstdint>
#include <unordered_map>

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
    const uint64_t rec = t_.funcs[i].func_offset;
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

SizeNode BuildSizeMap(const exe::ObjectFile& obj, const FunctionTable* table,
                      const PackageIndex& ix) {
  SizeNode root;
  root.name = "file";
  root.kind = SizeNodeKind::kFile;
  const uint64_t file_size = obj.data.size();
  root.file_bytes = file_size;

  // Section file ranges in file order; overlaps are clipped so each byte counts once.
  std::vector<const exe::Section*> secs;
  for (const exe::Section& s : obj.sections) {
    if (s.file_size > 0 && s.offset < file_size) secs.push_back(&s);
  }
  std::stable_sort(secs.begin(), secs.end(), [](const exe::Section* a, const exe::Section* b) {
    return a->offset < b->offset;
  });

  // The section holding the function table (file offsets are relative to obj.data).
  const uint64_t tab_off = table != nullptr ? table->file_offset - obj.slice_offset : 0;

  uint64_t cursor = 0, gap_header = 0, gap_inner = 0;
  std::vector<SizeNode> sections;
  for (const exe::Section* s : secs) {
    const uint64_t start = std::max(s->offset, cursor);
    const uint64_t end = std::min(s->offset + s->file_size, file_size);
    if (start > cursor) (cursor == 0 ? gap_header : gap_inner) += start - cursor;
    if (end <= start) continue;  // entirely inside an earlier section
    cursor = end;
    SizeNode n;
    n.name = SectionLabel(*s);
    n.kind = SizeNodeKind::kSection;
    n.file_bytes = end - start;
    n.vm_bytes = s->alloc ? s->size : 0;

    const bool code_section = s->executable && s->addr != 0;
    const bool table_section = tab_off >= start && tab_off < end;
    if (table != nullptr && !table->funcs.empty() && (code_section || table_section)) {
      std::vector<uint64_t> bytes(ix.package.size()), funcs(ix.package.size());
      std::string shared_label;
      uint64_t shared = 0;
      if (code_section) {
        // Code: each function's [entry, entry+size) mapped to file offsets.
        const auto& fs = table->funcs;
        auto first = std::lower_bound(fs.begin(), fs.end(), s->addr,
                                      [](const Function& f, uint64_t a) { return f.entry < a; });
        auto code = [&](const auto& emit) {
          for (auto it = first; it != fs.end() && it->entry < s->addr + s->file_size; ++it) {
            const uint64_t off = s->offset + (it->entry - s->addr);
            emit(off, off + it->size, ix.of_func[static_cast<size_t>(it - fs.begin())]);
          }
        };
        code([&](uint64_t, uint64_t, uint32_t id) { funcs[id] += 1; });
        AttributeStream(code, start, end, &bytes);
      } else {
        // Function table: each function's name and _func record (with its pcdata/funcdata
        // offsets, up to the next record). Shared sub-tables stay unattributed, named.
        const uint64_t tab_end = std::min(end, tab_off + table->size);
        const size_t nfuncs = table->funcs.size();
        const auto& fs = table->funcs;
        const auto& of = ix.of_func;
        // Names, records, functab slots and pc tables live in disjoint sub-tables (1.16+): each
        // stream is clipped on its own, then the sum is checked against the table's size.
        // The linker lays records out in function order: then the records are the functions
        // themselves, else they are sorted first.
        bool recs_in_order = true;
        for (size_t i = 0; i < nfuncs; ++i) {
          funcs[of[i]] += 1;
          if (i > 0) recs_in_order &= fs[i - 1].func_offset < fs[i].func_offset;
        }
        std::vector<std::pair<uint32_t, uint32_t>> recs;  // (func_offset, function index)
        if (!recs_in_order) {
          recs.reserve(nfuncs);
          for (size_t i = 0; i < nfuncs; ++i) {
            recs.push_back({fs[i].func_offset, static_cast<uint32_t>(i)});
          }
          std::sort(recs.begin(), recs.end());
        }
        auto names = [&](const auto& emit) {
          // Functions may share a name string; each is counted once, for the first.
          uint64_t lo = UINT64_MAX, hi = 0;
          for (size_t i = 0; i < nfuncs; ++i) {
            lo = std::min(lo, table->NameOffset(fs[i]));
            hi = std::max(hi, table->NameOffset(fs[i]) + 1);
          }
          Bits seen(static_cast<size_t>(hi - lo));
          for (size_t i = 0; i < nfuncs; ++i) {
            const uint64_t at = table->NameOffset(fs[i]);
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
              const uint64_t end_rec = i + 1 < nfuncs ? fs[i + 1].func_offset : off + 40;
              emit(tab_off + off, tab_off + end_rec, of[i]);
            }
            return;
          }
          for (size_t i = 0; i < recs.size(); ++i) {
            uint64_t end_rec = i + 1 < recs.size() ? recs[i + 1].first : recs[i].first + 40;
            emit(tab_off + recs[i].first, tab_off + end_rec, of[recs[i].second]);
          }
        };
        const uint64_t field = table->header.functab_field;
        const uint64_t ft = table->header.functab_off;
        auto slots = [&](const auto& emit) {
          if (table->header.version == PclntabVersion::kGo12) return;
          for (size_t i = 0; i < nfuncs; ++i) {
            emit(tab_off + ft + i * 2 * field, tab_off + ft + (i + 1) * 2 * field, of[i]);
          }
        };
        auto pcs = [&](const auto& emit) { EmitPcTables(*table, of, tab_off, emit); };
        const bool disjoint = table->header.version != PclntabVersion::kGo12;
        uint64_t got = 0;
        if (disjoint) {
          got += AttributeDisjoint(names, tab_off, tab_end, &bytes);
          got += AttributeStream(records, tab_off, tab_end, &bytes);
          got += AttributeStream(slots, tab_off, tab_end, &bytes);
          got += *AttributePcTables(*table, of, tab_off, tab_off, tab_end, &bytes);
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
        shared = (tab_end - tab_off) - got;
        shared_label = "[pclntab: header, file and CU tables, padding]";
      }
      uint64_t attributed = shared;
      for (uint64_t b : bytes) attributed += b;
      if (attributed > 0) {
        AddPackageChildren(ix, bytes, funcs, &n);
        if (shared > 0) {
          n.children.push_back(Leaf(shared_label, SizeNodeKind::kUnattributed, shared));
        }
        if (n.file_bytes > attributed) {
          n.children.push_back(
              Leaf("[unattributed]", SizeNodeKind::kUnattributed, n.file_bytes - attributed));
        }
        SortChildren(&n);
      }
    }
    sections.push_back(std::move(n));
  }
  const uint64_t trailer = file_size > cursor ? file_size - cursor : 0;
  root.children = std::move(sections);
  if (gap_header > 0) {
    root.children.push_back(Leaf("[file header]", SizeNodeKind::kGap, gap_header));
  }
  if (gap_inner > 0) {
    root.children.push_back(Leaf("[between sections]", SizeNodeKind::kGap, gap_inner));
  }
  if (trailer > 0) {
    root.children.push_back(Leaf("[after the last section]", SizeNodeKind::kGap, trailer));
  }
  SortChildren(&root);
  return root;
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
