#include "gobin/size_map.h"

#include <algorithm>
#include <unordered_map>

#include "fmt/format.h"
#include "gobin/packages.h"

namespace barekit::gobin {
namespace {

// Packages of the function table, each with its module, indexed per function.
struct PackageIndex {
  std::vector<std::string> package;  // label per id
  std::vector<std::string> module;
  std::vector<ModuleKind> kind;
  std::vector<uint32_t> of_func;  // id per function
};

PackageIndex IndexPackages(const FunctionTable& t, const BuildInfo* info) {
  PackageIndex ix;
  ModuleMapper mapper(info);
  std::unordered_map<std::string_view, uint32_t> raw_ids;
  std::unordered_map<std::string, uint32_t> label_ids;
  ix.of_func.reserve(t.funcs.size());
  for (const Function& f : t.funcs) {
    auto [it, inserted] = raw_ids.try_emplace(f.package(), 0);
    if (inserted) {
      std::string label = PackageLabel(f.package());
      auto [lit, linserted] = label_ids.try_emplace(label, static_cast<uint32_t>(ix.package.size()));
      if (linserted) {
        std::string mod;
        ModuleKind k = mapper.Classify(label, &mod);
        ix.package.push_back(label);
        ix.module.push_back(std::move(mod));
        ix.kind.push_back(k);
      }
      it->second = lit->second;
    }
    ix.of_func.push_back(it->second);
  }
  return ix;
}

struct Interval {
  uint64_t start, end;  // file offsets
  uint32_t id;
};

// Clips intervals to [lo, hi) and to each other (earlier start wins), summing bytes per id.
// Returns the bytes attributed in total.
uint64_t Attribute(std::vector<Interval>& iv, uint64_t lo, uint64_t hi,
                   std::vector<uint64_t>* bytes) {
  std::sort(iv.begin(), iv.end(), [](const Interval& a, const Interval& b) {
    return a.start != b.start ? a.start < b.start : a.end > b.end;
  });
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

// Length of a pcvalue table (pairs of value-delta and pc-delta varints, ended by a zero
// value-delta after the first pair) starting at `off` in `pctab`; 0 when it runs off the end.
uint64_t PcTableLen(Bytes pctab, uint64_t off) {
  ByteReader r(pctab, Endian::kLittle);
  if (!r.Seek(off)) return 0;
  for (bool first = true;; first = false) {
    auto v = r.Uvarint();
    if (!v) return 0;
    if (*v == 0 && !first) return r.pos() - off;
    if (!r.Uvarint()) return 0;
  }
}

// Per function in a 1.16+ table: its functab slot and its pcsp/pcfile/pcln/pcdata tables in
// pctab (tables shared by several functions go to the first, by offset order).
void AddFunctionTables(const FunctionTable& t, const std::vector<uint32_t>& of_func,
                       uint64_t tab_off, std::vector<Interval>* iv) {
  const PclntabHeader& h = t.header;
  if (h.version == PclntabVersion::kGo12 || h.pctab_off >= h.functab_off) return;
  const Bytes pctab = t.data.subspan(static_cast<size_t>(h.pctab_off),
                                     static_cast<size_t>(h.functab_off - h.pctab_off));
  const bool rel = h.version >= PclntabVersion::kGo118;
  const uint64_t fixed = rel ? 0 : static_cast<uint64_t>(h.ptr_size) - 4;  // wider entry field
  const uint64_t pcsp_at = 16 + fixed;
  const uint64_t npcdata_at = 28 + fixed;
  const uint64_t pcdata_at = (h.version == PclntabVersion::kGo120 ? 44 : 40) + fixed;
  for (size_t i = 0; i < t.funcs.size(); ++i) {
    const uint32_t id = of_func[i];
    const uint64_t slot = h.functab_off + i * 2 * h.functab_field;
    iv->push_back({tab_off + slot, tab_off + slot + 2 * h.functab_field, id});
    ByteReader r(t.data, h.endian);
    const uint64_t rec = t.funcs[i].func_offset;
    auto add = [&](uint64_t field_at) {
      if (!r.Seek(rec + field_at)) return;
      auto off = r.U32();
      if (!off || *off == 0) return;
      uint64_t len = PcTableLen(pctab, *off);
      if (len > 0) iv->push_back({tab_off + h.pctab_off + *off, tab_off + h.pctab_off + *off + len, id});
    };
    for (uint64_t f = 0; f < 3; ++f) add(pcsp_at + 4 * f);
    if (!r.Seek(rec + npcdata_at)) continue;
    auto n = r.U32();
    if (!n || *n > 64) continue;
    for (uint64_t k = 0; k < *n; ++k) add(pcdata_at + 4 * k);
  }
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
    case SizeNodeKind::kFile: return "file";
    case SizeNodeKind::kSection: return "section";
    case SizeNodeKind::kGap: return "gap";
    case SizeNodeKind::kModule: return "module";
    case SizeNodeKind::kPackage: return "package";
    case SizeNodeKind::kUnattributed: return "unattributed";
  }
  return "?";
}

SizeNode BuildSizeMap(const exe::ObjectFile& obj, const FunctionTable* table,
                      const BuildInfo* info) {
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

  PackageIndex ix;
  if (table != nullptr) ix = IndexPackages(*table, info);
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

    if (table != nullptr && !table->funcs.empty()) {
      std::vector<uint64_t> bytes(ix.package.size()), funcs(ix.package.size());
      std::vector<Interval> iv;
      std::string shared_label;
      uint64_t shared = 0;
      if (s->executable && s->addr != 0) {
        // Code: each function's [entry, entry+size) mapped to file offsets.
        const auto& fs = table->funcs;
        auto first = std::lower_bound(fs.begin(), fs.end(), s->addr,
                                      [](const Function& f, uint64_t a) { return f.entry < a; });
        for (auto it = first; it != fs.end() && it->entry < s->addr + s->file_size; ++it) {
          const uint64_t off = s->offset + (it->entry - s->addr);
          const uint32_t id = ix.of_func[static_cast<size_t>(it - fs.begin())];
          iv.push_back({off, off + it->size, id});
          funcs[id] += 1;
        }
      } else if (tab_off >= start && tab_off < end) {
        // Function table: each function's name and _func record (with its pcdata/funcdata
        // offsets, up to the next record). Shared sub-tables stay unattributed, named.
        const uint64_t tab_end = std::min(end, tab_off + table->size);
        std::vector<std::pair<uint32_t, uint32_t>> recs;  // (func_offset, function index)
        recs.reserve(table->funcs.size());
        for (size_t i = 0; i < table->funcs.size(); ++i) {
          const Function& f = table->funcs[i];
          const uint32_t id = ix.of_func[i];
          iv.push_back({tab_off + f.name_offset, tab_off + f.name_offset + f.name.size() + 1, id});
          recs.push_back({f.func_offset, static_cast<uint32_t>(i)});
          funcs[id] += 1;
        }
        AddFunctionTables(*table, ix.of_func, tab_off, &iv);
        std::sort(recs.begin(), recs.end());
        for (size_t i = 0; i + 1 < recs.size(); ++i) {
          iv.push_back({tab_off + recs[i].first, tab_off + recs[i + 1].first,
                        ix.of_func[recs[i].second]});
        }
        if (!recs.empty()) {  // the last record: its fixed part only
          iv.push_back({tab_off + recs.back().first, tab_off + recs.back().first + 40,
                        ix.of_func[recs.back().second]});
        }
        const uint64_t got = Attribute(iv, tab_off, tab_end, &bytes);
        iv.clear();
        shared = (tab_end - tab_off) - got;
        shared_label = "[pclntab: header, file and CU tables, padding]";
      }
      if (!iv.empty()) Attribute(iv, start, end, &bytes);
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

}  // namespace barekit::gobin
