// `inspect --html FILE`: one self-contained page (no network) with a treemap of the size map
// (sections > modules > packages), a search box and hover details.
#ifndef INSPECT_HTML_REPORT_H_
#define INSPECT_HTML_REPORT_H_

#include <nlohmann/json.hpp>
#include <string>

namespace barekit::inspect {

// `report` is the file's JSON object with "size_map" (and optionally "packages"); the page
// embeds it and renders it in the browser.
std::string RenderHtmlReport(const nlohmann::ordered_json& report);

}  // namespace barekit::inspect

#endif  // INSPECT_HTML_REPORT_H_
