#include "vm/boot_overlay.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include "archive/atomic_output.h"
#include "archive/cpio_writer.h"
#include "base/mapped_file.h"

namespace barekit::vm {
namespace {

// Names (canonical: '_' for '-') of the loadable modules under `dir`, and of the built-in ones
// listed in its modules.builtin ("kernel/drivers/virtio/virtio.ko" per line).
struct KernelModules {
  std::set<std::string> loadable, builtin;
};

std::string ModuleNameOf(std::string_view file) {
  size_t slash = file.rfind('/');
  if (slash != std::string_view::npos) file = file.substr(slash + 1);
  if (file.ends_with(".ko")) file.remove_suffix(3);
  return pack::CanonicalModuleName(file);
}

Result<KernelModules> ListKernelModules(const std::string& dir) {
  namespace fs = std::filesystem;
  KernelModules km;
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return Status::NotFound("modules directory " + dir + " not found");
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.ends_with(".ko") && it->is_regular_file(ec)) km.loadable.insert(ModuleNameOf(name));
  }
  if (ec) return Status::IoError("modules directory " + dir + ": " + ec.message());
  std::ifstream builtin(dir + "/modules.builtin");
  for (std::string line; std::getline(builtin, line);) {
    if (!line.empty()) km.builtin.insert(ModuleNameOf(line));
  }
  return km;
}

// The modules to resolve: defaults minus `remove`, plus `add`; the skipped ones noted.
Result<std::vector<std::string>> ChooseModules(const OverlayOptions& o, const KernelModules& km,
                                               std::vector<std::string>* notes) {
  std::set<std::string> removed;
  for (const auto& r : o.remove) removed.insert(pack::CanonicalModuleName(r));
  std::set<std::string> explicit_add;
  for (const auto& a : o.add) explicit_add.insert(pack::CanonicalModuleName(a));
  std::vector<std::string> chosen;
  std::set<std::string> seen;
  auto consider = [&](const std::string& name, bool asked) -> Status {
    if (!seen.insert(name).second) return Status::Ok();
    if (km.loadable.count(name)) {
      chosen.push_back(name);
    } else if (km.builtin.count(name)) {
      notes->push_back(name + ": built into the kernel");
    } else if (asked) {
      return Status::NotFound("kernel module " + name + " not found under " + o.modules_dir +
                              " (nor built into the kernel)");
    } else {
      notes->push_back(name + ": not in this kernel, skipped");
    }
    return Status::Ok();
  };
  for (const auto& a : explicit_add) BK_RETURN_IF_ERROR(consider(a, true));
  if (!o.no_defaults) {
    for (const auto& d : o.modules.empty() ? DefaultBootModules(o.arch, o.machine) : o.modules) {
      std::string name = pack::CanonicalModuleName(d);
      if (removed.count(name)) continue;
      BK_RETURN_IF_ERROR(consider(name, false));
    }
  }
  return chosen;
}

// Adds every missing parent directory of `path` (relative, no leading '/').
Status AddParents(std::string_view path, std::set<std::string>* made, archive::CpioWriter* w) {
  for (size_t i = path.find('/'); i != std::string_view::npos; i = path.find('/', i + 1)) {
    std::string dir(path.substr(0, i));
    if (made->insert(dir).second) BK_RETURN_IF_ERROR(w->AddDirectory(dir, 0755));
  }
  return Status::Ok();
}

}  // namespace

std::vector<std::string> DefaultBootModules(std::string_view arch, std::string_view machine) {
  if (arch == "amd64" && (machine.empty() || machine == "q35")) {
    // No virtio_console: the control channel is ttyS1 there.
    return {"virtio_pci", "virtio_net", "virtio_blk", "button", "evdev"};
  }
  if (arch == "amd64" && machine == "microvm") {
    return {"virtio_mmio", "virtio_net", "virtio_blk", "virtio_console", "button", "evdev"};
  }
  if (arch == "arm64" && (machine.empty() || machine == "virt")) {
    return {"virtio_mmio", "virtio_net", "virtio_blk", "virtio_console", "gpio_keys", "evdev"};
  }
  return {};
}

Result<OverlayInfo> WriteBootOverlay(const OverlayOptions& o, archive::ByteSink* out) {
  if (!o.no_defaults && o.modules.empty() && DefaultBootModules(o.arch, o.machine).empty()) {
    return Status::InvalidArgument("boot overlay: no module list for " + o.arch +
                                   (o.machine.empty() ? "" : " machine " + o.machine) +
                                   " (expected amd64 q35/microvm or arm64 virt)");
  }
  BK_ASSIGN_OR_RETURN(KernelModules km, ListKernelModules(o.modules_dir));
  OverlayInfo info;
  BK_ASSIGN_OR_RETURN(std::vector<std::string> wanted, ChooseModules(o, km, &info.notes));
  if (!wanted.empty()) {
    BK_ASSIGN_OR_RETURN(info.modules, pack::ResolveModules(wanted, o.modules_dir));
  }

  std::string order_text = "# written by barekit boot: modules for the " + o.arch +
                           " VM, each after what it depends on\n";
  for (const auto& m : info.modules) {
    info.order.push_back(std::string(kOverlayModulesDir) + "/" + m.name + ".ko");
    order_text += info.order.back() + "\n";
  }

  // Entries in path order; only the directories on the way (an existing "lib" -> "usr/lib"
  // link in the user's archive would be replaced by a directory entry of the same name).
  struct Item {
    std::string path;  // relative
    std::string host;  // empty: order_text
  };
  std::vector<Item> items;
  items.push_back({std::string(kModulesOrderPath.substr(1)), ""});
  for (size_t i = 0; i < info.modules.size(); ++i) {
    items.push_back({info.order[i].substr(1), info.modules[i].path});
  }
  std::sort(items.begin(), items.end(),
            [](const Item& a, const Item& b) { return a.path < b.path; });

  archive::CountingSink count;
  struct Tee : archive::ByteSink {
    archive::ByteSink* a;
    archive::ByteSink* b;
    Tee(archive::ByteSink* x, archive::ByteSink* y) : a(x), b(y) {}
    using ByteSink::Write;
    Status Write(Bytes data) override {
      BK_RETURN_IF_ERROR(a->Write(data));
      return b->Write(data);
    }
  } tee(out, &count);
  archive::CpioWriter w(&tee, /*mtime=*/0);
  std::set<std::string> made;
  for (const auto& it : items) {
    BK_RETURN_IF_ERROR(AddParents(it.path, &made, &w));
    if (it.host.empty()) {
      BK_RETURN_IF_ERROR(w.AddFile(it.path, 0644, AsBytes(order_text)));
    } else {
      BK_ASSIGN_OR_RETURN(MappedFile ko, MappedFile::Open(it.host));
      BK_RETURN_IF_ERROR(w.AddFile(it.path, 0644, ko.bytes()));
    }
  }
  BK_RETURN_IF_ERROR(w.Finish());
  BK_RETURN_IF_ERROR(out->Finish());
  info.overlay_bytes = count.count();
  return info;
}

Result<OverlayInfo> WriteBootOverlayFile(const OverlayOptions& o, const std::string& path) {
  BK_ASSIGN_OR_RETURN(archive::AtomicFile f, archive::AtomicFile::Create(path));
  archive::FdSink sink(f.fd(), path);
  BK_ASSIGN_OR_RETURN(OverlayInfo info, WriteBootOverlay(o, &sink));
  BK_RETURN_IF_ERROR(f.Commit());
  return info;
}

Result<OverlayInfo> WriteBootInitrd(const std::string& user_initramfs, const OverlayOptions& o,
                                    const std::string& out_path) {
  auto user = MappedFile::Open(user_initramfs);
  if (!user.ok()) return user.status().WithContext("initramfs");
  BK_ASSIGN_OR_RETURN(archive::AtomicFile f, archive::AtomicFile::Create(out_path));
  archive::FdSink sink(f.fd(), out_path);
  BK_RETURN_IF_ERROR(sink.Write(user->bytes()));
  uint64_t pad = (4 - user->size() % 4) % 4;
  BK_RETURN_IF_ERROR(sink.WriteZeros(pad));
  BK_ASSIGN_OR_RETURN(OverlayInfo info, WriteBootOverlay(o, &sink));
  info.overlay_offset = user->size() + pad;
  BK_RETURN_IF_ERROR(f.Commit());
  return info;
}

}  // namespace barekit::vm
