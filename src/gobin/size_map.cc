#include "gobin/size_map.h"

namespace barekit::gobin {

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
  (void)table;
  (void)info;
  SizeNode root;
  root.name = "file";
  root.file_bytes = obj.data.size();
  return root;
}

}  // namespace barekit::gobin
