// `barekit boot IMAGE`: boots an initramfs under QEMU, checks that its services come up, applies
// faults and prints a verdict. See doc/boot.md.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "vm/boot_runner.h"
#include "vm/http_probe.h"
#include "vm/initramfs_probe.h"
#include "vm/kernel_fetch.h"
#include "vm/kernel_image.h"
#include "vm/scenario.h"

namespace barekit::cli {
namespace {

struct BootArgs {
  std::string image, arch, kernel, modules_dir, flavor, machine, mem, accel = "tcg", cpu;
  bool uboot = false;
  int smp = 1;
  std::string disk, disk_size, probe, timeout, scenario, workdir, log, append;
  std::vector<std::string> forwards, faults;
  bool json = false, quiet = false, no_overlay = false;
};

int Fail(const std::string& msg) {
  std::fprintf(stderr, "barekit boot: %s\n", msg.c_str());
  return 2;
}

int RunBootCmd(BootArgs a) {
  vm::Scenario sc;
  if (!a.scenario.empty()) {
    std::ifstream in(a.scenario, std::ios::binary);
    if (!in) return Fail(a.scenario + ": cannot read");
    std::stringstream ss;
    ss << in.rdbuf();
    if (ss.str().size() > (1 << 20)) return Fail(a.scenario + ": larger than 1 MiB");
    Result<vm::Scenario> parsed = vm::ParseScenario(ss.str(), a.scenario);
    if (!parsed.ok()) return Fail(parsed.status().message());
    sc = std::move(parsed).value();
  }
  // The command line wins over the scenario's [boot] table.
  const vm::BootSettings& b = sc.boot;
  auto pick = [](std::string& v, const std::optional<std::string>& f) {
    if (v.empty() && f) v = *f;
  };
  pick(a.image, b.image);
  pick(a.arch, b.arch);
  pick(a.machine, b.machine);
  pick(a.kernel, b.kernel);
  pick(a.modules_dir, b.modules_dir);
  pick(a.mem, b.mem);
  pick(a.probe, b.probe);
  pick(a.disk, b.disk);
  if (a.forwards.empty()) a.forwards = b.forwards;
  if (!a.uboot && b.uboot) a.uboot = *b.uboot;
  if (!a.probe.empty()) {
    // Checked before the VM starts: a bad URL is a usage error, not a failed boot step.
    if (Result<vm::HttpUrl> u = vm::ParseHttpUrl(a.probe); !u.ok())
      return Fail(u.status().message());
  }
  if (a.image.empty()) return Fail("no IMAGE (an initramfs made by `barekit pack --initramfs`)");
  if (access(a.image.c_str(), R_OK) != 0) return Fail(a.image + ": " + std::strerror(errno));

  vm::BootOptions o;
  o.image = a.image;
  o.probe = a.probe;
  o.workdir = a.workdir;
  o.log_path = a.log;
  o.live = a.quiet ? nullptr : (a.json ? stderr : stdout);
  if (!a.timeout.empty()) {
    auto t = vm::ParseDuration(a.timeout);
    if (!t || *t <= 0) return Fail("--timeout " + a.timeout + ": expected a duration like 60s");
    o.timeout = *t;
  } else if (b.timeout) {
    o.timeout = *b.timeout;
  }
  if (!a.disk_size.empty()) {
    auto s = vm::ParseSize(a.disk_size);
    if (!s || *s == 0 || *s % 512)
      return Fail("--disk-size " + a.disk_size + ": expected a size like 16M");
    o.disk_size = *s;
  } else if (b.disk_size) {
    o.disk_size = *b.disk_size;
  }
  for (const std::string& f : a.faults) {
    Result<vm::Step> s = vm::ParseFaultSpec(f);
    if (!s.ok()) return Fail("--fault " + f + ": " + s.status().message());
    o.steps.push_back(std::move(s).value());
  }
  for (const vm::Step& s : sc.steps) o.steps.push_back(s);

  vm::MachineSpec& m = o.machine;
  m.arch = a.arch;
  if (m.arch == "x86_64") m.arch = "amd64";
  if (m.arch == "aarch64") m.arch = "arm64";
  // The image says what it is built for: its /init's ELF header.
  Result<vm::InitramfsInfo> img = vm::ProbeInitramfsFile(a.image);
  if (!img.ok()) return Fail(img.status().message());
  if (img.value().init_path.empty())
    return Fail(a.image + ": the archive has no /init, so the kernel would have nothing to run");
  const std::string& img_arch = img.value().arch;
  if (!img_arch.empty() && img_arch != "amd64" && img_arch != "arm64")
    return Fail(a.image + ": /" + img.value().init_path + " is built for " + img_arch +
                "; barekit boot runs amd64 and arm64");
  if (m.arch.empty()) m.arch = img_arch.empty() ? "amd64" : img_arch;
  if (!img_arch.empty() && img_arch != m.arch)
    return Fail(a.image + ": /" + img.value().init_path + " is built for " + img_arch +
                ", but --arch is " + m.arch);
  m.machine = a.machine;
  m.accel = a.accel;
  m.cpu = a.cpu;
  if (!a.mem.empty()) m.mem = a.mem;
  m.smp = a.smp;
  m.disk = a.disk;
  m.append_extra = a.append;
  for (const std::string& f : a.forwards) {
    Result<vm::Forward> fw = vm::ParseForward(f);
    if (!fw.ok()) return Fail(fw.status().message());
    m.forwards.push_back(fw.value());
  }
  if (a.uboot) {
    if (m.arch != "arm64") return Fail("--uboot: U-Boot's chain is for --arch arm64");
    m.bios = "/usr/lib/u-boot/qemu_arm64/u-boot.bin";
    if (access(m.bios.c_str(), R_OK) != 0)
      return Fail(m.bios + " is missing (install Debian's u-boot-qemu)");
  }

  // The kernel: the user's, or a Debian one fetched into the cache.
  if (a.kernel.empty()) {
    vm::FetchOptions fo;
    fo.arch = m.arch;
    fo.flavor = a.flavor;
    fo.note = [&](const std::string& n) {
      if (!a.quiet) std::fprintf(stderr, "barekit boot: %s\n", n.c_str());
    };
    Result<vm::KernelFiles> k = vm::FetchKernel(fo);
    if (!k.ok()) return Fail("kernel: " + k.status().message());
    a.kernel = k.value().kernel;
    if (a.modules_dir.empty()) a.modules_dir = k.value().modules_dir;
  }
  Result<std::string> karch = vm::KernelArch(a.kernel);
  if (!karch.ok()) return Fail(karch.status().message());
  if (karch.value() != m.arch)
    return Fail(a.kernel + " is an " + karch.value() + " kernel, but " + a.image + " is for " +
                m.arch + ": they cannot boot together");
  m.kernel = a.kernel;
  o.overlay = !a.no_overlay;
  o.overlay_options.arch = m.arch;
  o.overlay_options.modules_dir = a.modules_dir;
  o.overlay_options.machine = a.machine;  // microvm: virtio over MMIO, control on virtio-serial
  if (o.overlay && a.modules_dir.empty() && !a.quiet) {
    std::fprintf(stderr,
                 "barekit boot: no --modules-dir for %s: the guest gets no virtio, network "
                 "or power-key modules from barekit\n",
                 a.kernel.c_str());
  }

  Result<vm::BootReport> r = vm::RunBoot(o);
  if (!r.ok()) return Fail(r.status().message());
  if (a.json)
    std::fputs(vm::ReportJson(r.value()).c_str(), stdout);
  else
    std::fputs(vm::FormatReport(r.value()).c_str(), stdout);
  if (r.value().interrupted) return 130;
  return r.value().ok ? 0 : 1;
}

}  // namespace

void RegisterBoot(CLI::App& app, int* exit_code) {
  auto a = std::make_shared<BootArgs>();
  CLI::App* c =
      app.add_subcommand("boot", "Boot an initramfs under QEMU, check it comes up, inject faults");
  c->add_option("image", a->image, "initramfs made by `barekit pack --initramfs`");
  c->add_option("--arch", a->arch, "amd64 (default) or arm64");
  c->add_option("--kernel", a->kernel, "kernel image (default: a Debian kernel, fetched)");
  c->add_option("--modules-dir", a->modules_dir, "the kernel's lib/modules/<release> directory");
  c->add_option("--flavor", a->flavor, "Debian kernel flavor: cloud or generic");
  c->add_option("--machine", a->machine, "q35 or microvm (amd64), virt (arm64)");
  c->add_flag("--uboot", a->uboot, "arm64: boot through U-Boot (u-boot-qemu)");
  c->add_option("--mem", a->mem, "guest memory (default 256M)");
  c->add_option("--smp", a->smp, "guest CPUs (default 1)");
  c->add_option("--accel", a->accel, "tcg (default) or kvm; never chosen automatically");
  c->add_option("--cpu", a->cpu, "arm64 CPU model (default cortex-a57)");
  c->add_option("--disk", a->disk, "raw disk image for virtio-blk (/dev/vda)");
  c->add_option("--disk-size", a->disk_size, "create a fresh zeroed disk of this size");
  c->add_option("--forward", a->forwards, "[127.0.0.1:]HOSTPORT:GUESTPORT (user networking)");
  c->add_option("--probe", a->probe,
                "http://127.0.0.1:PORT/PATH that must answer after each ready");
  c->add_option("--timeout", a->timeout, "first boot to ready (default 60s)");
  c->add_option("--fault", a->faults,
                "pause:D, reset, powerdown, ctrl-alt-del, power-cut, kill:SVC[:SIG]");
  c->add_option("--scenario", a->scenario, "scenario file (TOML, doc/boot.md)");
  c->add_option("--append", a->append, "more kernel command line words");
  c->add_option("--workdir", a->workdir, "keep sockets, console log and disk here");
  c->add_option("--log", a->log, "console log file");
  c->add_flag("--json", a->json, "JSON report on stdout (the console goes to stderr)");
  c->add_flag("-q,--quiet", a->quiet, "do not show the console");
  c->add_flag("--no-overlay", a->no_overlay, "do not add the VM's kernel modules to the image");
  c->callback([a, exit_code] { *exit_code = RunBootCmd(*a); });
}

}  // namespace barekit::cli
