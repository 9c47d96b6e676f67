#include "inspect/html_report.h"

#include <string_view>

namespace barekit::inspect {
namespace {

// The page's script lays out a squarified treemap (Bruls, Huizing, van Wijk) of the embedded
// size map. Every box is an absolutely positioned div carrying data-path and data-bytes, so a
// test can compare the rendered boxes with the JSON.
constexpr std::string_view kHead = R"HTML(<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>barekit size report</title>
<style>
body{font:13px system-ui,sans-serif;margin:0;background:#f4f4f2;color:#222}
header{padding:8px 12px;background:#223;color:#eee;display:flex;gap:16px;align-items:center}
header h1{font-size:15px;margin:0;font-weight:600}
header input{padding:4px 6px;width:260px;border-radius:3px;border:0}
#summary{font-size:12px;opacity:.85}
#map{position:relative;overflow:hidden;margin:8px;height:calc(100vh - 70px);min-height:480px;background:#fff}
.box{position:absolute;box-sizing:border-box;border:1px solid rgba(0,0,0,.35);overflow:hidden;
     font-size:11px;line-height:13px;padding:1px 3px;white-space:nowrap;text-overflow:ellipsis}
.box.section{border:2px solid #000}
.box.hit{outline:3px solid #e11;z-index:5}
.box.dim{opacity:.25}
#tip{position:fixed;pointer-events:none;background:#111;color:#fff;padding:6px 8px;border-radius:4px;
     font-size:12px;display:none;z-index:10;max-width:420px;white-space:pre-line}
</style></head><body>
<header><h1 id="title">barekit</h1><input id="q" placeholder="search package, module or section">
<span id="summary"></span></header>
<div id="map"></div><div id="tip"></div>
<script id="data" type="application/json">)HTML";

constexpr std::string_view kTail = R"HTML(</script>
<script>
"use strict";
const report = JSON.parse(document.getElementById("data").textContent);
const root = report.size_map;
const map = document.getElementById("map"), tip = document.getElementById("tip");
document.getElementById("title").textContent = "barekit: " + report.file;
const fmt = n => n >= 1048576 ? (n / 1048576).toFixed(2) + " MiB" : n >= 1024 ? (n / 1024).toFixed(1) + " KiB" : n + " B";
document.getElementById("summary").textContent =
  [report.format, report.os + "/" + report.arch, report.go && report.go.version, fmt(root.file_bytes)]
    .filter(Boolean).join(" · ");
const palette = {section:"#9db4c0", gap:"#ddd", module:"#c2d8b9", package:"#f1d7a8", unattributed:"#e8c1c1", file:"#fff"};

function worst(row, side, total, area) {
  let max = 0, min = Infinity, sum = 0;
  for (const n of row) { const a = n.file_bytes * area / total; sum += a; max = Math.max(max, a); min = Math.min(min, a); }
  const s2 = side * side, sum2 = sum * sum;
  return Math.max(s2 * max / sum2, sum2 / (s2 * min));
}
function squarify(nodes, x, y, w, h, total) {
  const out = [];
  let items = nodes.filter(n => n.file_bytes > 0);
  while (items.length) {
    const side = Math.min(w, h), area = w * h;
    let row = [items[0]], i = 1;
    while (i < items.length && worst(row.concat([items[i]]), side, total, area) <= worst(row, side, total, area)) { row.push(items[i]); i++; }
    const rowBytes = row.reduce((s, n) => s + n.file_bytes, 0);
    const frac = rowBytes / total;
    let off = 0;
    if (w >= h) {
      const rw = w * frac;
      for (const n of row) { const nh = h * n.file_bytes / rowBytes; out.push([n, x, y + off, rw, nh]); off += nh; }
      x += rw; w -= rw;
    } else {
      const rh = h * frac;
      for (const n of row) { const nw = w * n.file_bytes / rowBytes; out.push([n, x + off, y, nw, rh]); off += nw; }
      y += rh; h -= rh;
    }
    total -= rowBytes;
    items = items.slice(i);
  }
  return out;
}
function draw(node, path, x, y, w, h, depth) {
  const d = document.createElement("div");
  d.className = "box " + node.kind;
  d.style.left = x + "px"; d.style.top = y + "px"; d.style.width = w + "px"; d.style.height = h + "px";
  d.style.background = palette[node.kind] || "#eee";
  d.dataset.path = path; d.dataset.bytes = node.file_bytes; d.dataset.kind = node.kind; d.dataset.name = node.name;
  if (w > 30 && h > 12) d.textContent = node.name;
  map.appendChild(d);
  const kids = node.children || [];
  const pad = depth === 0 ? 0 : 2, top = depth === 0 || h < 30 ? 0 : 14;
  // Children are drawn even when too small to see, so every node of the JSON has its box.
  if (kids.length)
    for (const [c, cx, cy, cw, ch] of squarify(kids, x + pad, y + top + pad, Math.max(0, w - 2 * pad), Math.max(0, h - top - 2 * pad), node.file_bytes))
      draw(c, path + "/" + c.name, cx, cy, cw, ch, depth + 1);
}
function render() {
  map.innerHTML = "";
  const r = map.getBoundingClientRect();
  for (const [c, x, y, w, h] of squarify(root.children || [], 0, 0, r.width, r.height, root.file_bytes))
    draw(c, c.name, x, y, w, h, 1);
  map.dataset.rendered = String(map.children.length);
}
map.addEventListener("mousemove", e => {
  const b = e.target.closest(".box");
  if (!b) { tip.style.display = "none"; return; }
  const pct = (100 * b.dataset.bytes / root.file_bytes).toFixed(2);
  tip.textContent = b.dataset.path.split("/").join(" › ") + "\n" + b.dataset.kind + ": " + fmt(+b.dataset.bytes) + " (" + pct + "% of file)";
  tip.style.display = "block"; tip.style.left = (e.clientX + 14) + "px"; tip.style.top = (e.clientY + 14) + "px";
});
map.addEventListener("mouseleave", () => { tip.style.display = "none"; });
document.getElementById("q").addEventListener("input", e => {
  const q = e.target.value.trim().toLowerCase();
  for (const b of map.children) {
    const hit = q && b.dataset.path.toLowerCase().includes(q);
    b.classList.toggle("hit", !!hit); b.classList.toggle("dim", !!q && !hit);
  }
});
window.addEventListener("resize", render);
render();
</script></body></html>
)HTML";

}  // namespace

std::string RenderHtmlReport(const nlohmann::ordered_json& report) {
  std::string json = report.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  // Keep the embedded JSON from closing the script element early.
  std::string safe;
  safe.reserve(json.size());
  for (size_t i = 0; i < json.size(); ++i) {
    if (json[i] == '<')
      safe += "\\u003c";
    else
      safe += json[i];
  }
  std::string out;
  out.reserve(kHead.size() + safe.size() + kTail.size());
  out.append(kHead).append(safe).append(kTail);
  return out;
}

}  // namespace barekit::inspect
