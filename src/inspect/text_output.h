// The human-readable form of a FileReport: grouped, aligned, readable at a glance.
#ifndef INSPECT_TEXT_OUTPUT_H_
#define INSPECT_TEXT_OUTPUT_H_

#include <string>

#include "inspect/report.h"

namespace barekit::inspect {

struct TextOptions {
  bool verbose = false;  // list every dependency and setting
};

std::string FileToText(const FileReport& file, const TextOptions& opts);

}  // namespace barekit::inspect

#endif  // INSPECT_TEXT_OUTPUT_H_
