// The JSON form of a FileReport (documented in doc/inspect-json.md).
#ifndef INSPECT_JSON_OUTPUT_H_
#define INSPECT_JSON_OUTPUT_H_

#include <nlohmann/json.hpp>

#include "inspect/report.h"

namespace barekit::inspect {

nlohmann::ordered_json SliceToJson(const FileReport& file, const SliceReport& slice);
// One object per file; a fat Mach-O reports its first slice at the top and every slice in
// "slices".
nlohmann::ordered_json FileToJson(const FileReport& file);

}  // namespace barekit::inspect

#endif  // INSPECT_JSON_OUTPUT_H_
