#include "pack/pack.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "init/config.h"
#include "pack/base_files.h"
#include "pack/pack_test_util.h"

namespace barekit::pack {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using testing::ReadFileToString;
using testing::RunCommand;
using testing::TempDir;

std::string Fx(const std::string& name) { return testing::PackFixtures() + "/" + name; }

PackOptions Base(const TempDir& dir, OutputKind kind, const std::string& out) {
  PackOptions o;
  o.binaries = {Fx("https_client.amd64")};
  testing::WriteStringToFile(dir / "init", "#!placeholder barekit-init\n");
  o.init_binary = dir / "init";
  o.kind = kind;
  o.output = dir / out;
  o.compression =
      kind == OutputKind::kInitramfs ? archive::Compression::kZstd : archive::Compression::kGzip;
  o.tz_zones = {"Europe/Paris", "UTC"};
  return o;
}

const ReportFile* FindFile(const PackReport& r, const std::string& path) {
  for (const auto& f : r.files) {
    if (f.path == path) return &f;
  }
  return nullptr;
}

TEST(BaseFiles, GeneratedInitConfigParsesWithBarekitInit) {
  std::string toml =
      InitConfigToml({{"https client", {"/app/https client", "-v"}}, {"b", {"/app/b"}}},
                     {"/lib/modules/a.ko", "/lib/modules/b \"q\".ko"});
  auto c = init::ParseConfig(toml, "init.toml");
  ASSERT_TRUE(c.ok()) << c.status().message() << "\n" << toml;
  ASSERT_EQ(c->services.size(), 2u);
  EXPECT_EQ(c->services[0].name, "https_client");
  EXPECT_EQ(c->services[0].argv[0], "/app/https client");
  EXPECT_TRUE(c->services[0].critical);
  EXPECT_EQ(c->modules[1], "/lib/modules/b \"q\".ko");
}

TEST(Needs, RulesFollowPackagesAndFunctions) {
  GoFacts f;
  f.known = true;
  f.packages = {"crypto/x509", "time", "net", "os/user"};
  f.functions = {"time.LoadLocation"};
  Needs n = DecideNeeds(f);
  EXPECT_TRUE(n.ca_bundle && n.zoneinfo && n.net && n.user_db);
  EXPECT_FALSE(n.mime);
  f.packages.insert("time/tzdata");
  EXPECT_FALSE(DecideNeeds(f).zoneinfo);
  GoFacts plain;
  plain.known = true;
  plain.packages = {"os", "runtime"};
  Needs p = DecideNeeds(plain);
  EXPECT_FALSE(p.ca_bundle || p.zoneinfo || p.net || p.mime);
}

TEST(Pack, InitramfsOfAnHttpsClientHasWhatItNeedsAndCpioListsIt) {
  TempDir dir;
  PackOptions o = Base(dir, OutputKind::kInitramfs, "initrd.zst");
  auto r = Pack(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  // Needs come from the binary's own function table.
  ASSERT_NE(FindFile(*r, "/etc/ssl/certs/ca-certificates.crt"), nullptr);
  EXPECT_THAT(FindFile(*r, "/etc/ssl/certs/ca-certificates.crt")->reason, HasSubstr("crypto/x509"));
  EXPECT_THAT(FindFile(*r, "/usr/share/zoneinfo/Europe/Paris")->reason,
              HasSubstr("time.LoadLocation"));
  EXPECT_NE(FindFile(*r, "/etc/resolv.conf"), nullptr);
  EXPECT_NE(FindFile(*r, "/etc/nsswitch.conf"), nullptr);
  EXPECT_EQ(FindFile(*r, "/usr/share/zoneinfo/America/New_York"), nullptr);
  EXPECT_EQ(FindFile(*r, "/dev/console")->type, "char");
  EXPECT_EQ(r->binary_bytes, ReadFileToString(Fx("https_client.amd64")).size());

  ASSERT_EQ(RunCommand("zstd -q -t " + o.output).exit_code, 0);
  auto l = RunCommand("zstd -q -dc " + o.output + " | cpio -itv --quiet");
  ASSERT_EQ(l.exit_code, 0) << l.output;
  EXPECT_THAT(l.output, ContainsRegex("crw------- .* 5, +1 .*dev/console"));
  EXPECT_THAT(l.output, ContainsRegex("crw-rw-rw- .* 1, +3 .*dev/null"));
  EXPECT_THAT(l.output, ContainsRegex("-rwxr-xr-x .* init\n"));
  EXPECT_THAT(l.output, ContainsRegex("drwxrwxrwt .* tmp\n"));
  EXPECT_THAT(l.output, HasSubstr("app/https_client.amd64"));
  l = RunCommand("zstd -q -dc " + o.output + " | bsdtar -tvf -");
  EXPECT_THAT(l.output, ContainsRegex("crw------- .* 5,1 .*dev/console"));

  // Extract and compare with the inputs.
  ASSERT_EQ(RunCommand("mkdir " + (dir / "x") + " && cd " + (dir / "x") + " && zstd -q -dc " +
                       o.output + " | cpio -idm --quiet")
                .exit_code,
            0);
  EXPECT_EQ(ReadFileToString(dir / "x/app/https_client.amd64"),
            ReadFileToString(Fx("https_client.amd64")));
  EXPECT_EQ(ReadFileToString(dir / "x/init"), "#!placeholder barekit-init\n");
  EXPECT_EQ(ReadFileToString(dir / "x/etc/ssl/certs/ca-certificates.crt"),
            ReadFileToString("/etc/ssl/certs/ca-certificates.crt"));
  auto cfg = init::ParseConfig(ReadFileToString(dir / "x/etc/barekit/init.toml"), "init.toml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_EQ(cfg->services[0].argv[0], "/app/https_client.amd64");

  auto j = nlohmann::json::parse(ReportJson(*r));
  EXPECT_EQ(j["kind"], "initramfs");
  EXPECT_EQ(j["totals"]["binary_bytes"], r->binary_bytes);
  EXPECT_EQ(j["digest"], "sha256:" + RunCommand("sha256sum < " + o.output).output.substr(0, 64));
}

TEST(Pack, PlainStaticBinaryGetsOnlyTheAlwaysFiles) {
  TempDir dir;
  PackOptions o = Base(dir, OutputKind::kInitramfs, "i.cpio");
  o.binaries = {Fx("plain")};
  o.compression = archive::Compression::kNone;
  auto r = Pack(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(FindFile(*r, "/etc/ssl/certs/ca-certificates.crt"), nullptr);
  EXPECT_EQ(FindFile(*r, "/etc/resolv.conf"), nullptr);
  EXPECT_NE(FindFile(*r, "/etc/passwd"), nullptr);
  EXPECT_NE(FindFile(*r, "/etc/os-release"), nullptr);
  EXPECT_EQ(RunCommand("cpio -it --quiet < " + o.output + " | grep -c zoneinfo").output, "0\n");
}

// Same inputs, different umask, TZ, locale, working directory and directory creation order.
TEST(Pack, ByteIdenticalUnderDifferentConditions) {
  for (OutputKind kind :
       {OutputKind::kInitramfs, OutputKind::kOciArchive, OutputKind::kDockerArchive}) {
    TempDir dir;
    std::string outs[2];
    for (int run = 0; run < 2; ++run) {
      std::string extra = dir / ("extra" + std::to_string(run));
      ::mkdir(extra.c_str(), 0755);
      std::vector<std::string> names = {"b.txt", "a.txt", "c/d.txt"};
      if (run == 1) std::reverse(names.begin(), names.end());
      ::mkdir((extra + "/c").c_str(), run ? 0700 : 0755);
      for (const auto& n : names) testing::WriteStringToFile(extra + "/" + n, "same " + n);
      mode_t old = ::umask(run ? 077 : 022);
      ::setenv("TZ", run ? "Asia/Tokyo" : "UTC", 1);
      ::setenv("LC_ALL", run ? "C.UTF-8" : "C", 1);
      char cwd[4096];
      ASSERT_NE(::getcwd(cwd, sizeof(cwd)), nullptr);
      ASSERT_EQ(::chdir(run ? "/" : dir.path().c_str()), 0);
      PackOptions o = Base(dir, kind, "out" + std::to_string(run));
      o.adds = {{extra, "srv/data"}};
      auto r = Pack(o);
      ASSERT_EQ(::chdir(cwd), 0);
      ::umask(old);
      ASSERT_TRUE(r.ok()) << r.status().message();
      outs[run] = ReadFileToString(o.output);
    }
    ::unsetenv("LC_ALL");
    ::unsetenv("TZ");
    EXPECT_FALSE(outs[0].empty());
    EXPECT_TRUE(outs[0] == outs[1]) << OutputKindName(kind) << " differs between runs";
  }
}

TEST(Pack, SourceDateEpochSetsTimes) {
  TempDir dir;
  PackOptions o = Base(dir, OutputKind::kInitramfs, "i.cpio");
  o.compression = archive::Compression::kNone;
  o.source_date_epoch = 1700000000;
  ASSERT_TRUE(Pack(o).ok());
  EXPECT_THAT(RunCommand("cpio -itv --quiet < " + o.output + " | head -1").output,
              HasSubstr("2023"));
}

TEST(Pack, MultiPlatformOciIndexIsAcceptedBySkopeoUmociAndOciImageTool) {
  TempDir dir;
  PackOptions o = Base(dir, OutputKind::kOciLayout, "img");
  o.binaries = {Fx("https_client.arm64"), Fx("https_client.amd64")};
  o.tag = "barekit/client:v1";
  auto r = Pack(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_THAT(r->arches, ::testing::ElementsAre("amd64", "arm64"));
  for (std::string arch : {"amd64", "arm64"}) {
    auto i = RunCommand("skopeo inspect --override-arch " + arch + " oci:" + o.output + ":v1");
    ASSERT_EQ(i.exit_code, 0) << i.output;
    auto j = nlohmann::json::parse(i.output);
    EXPECT_EQ(j["Architecture"], arch);
    EXPECT_EQ(j["Labels"]["org.opencontainers.image.title"], "https_client." + arch);
    auto c = nlohmann::json::parse(
        RunCommand("skopeo inspect --config --override-arch " + arch + " oci:" + o.output + ":v1")
            .output);
    EXPECT_EQ(c["config"]["User"], "65532:65532");
    EXPECT_EQ(c["config"]["Entrypoint"][0], "/sbin/barekit-init");
    EXPECT_EQ(c["config"]["Entrypoint"][2], "/app/https_client." + arch);
    EXPECT_THAT(c["config"]["Env"].dump(),
                HasSubstr("SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"));
  }
  auto v = RunCommand("oci-image-tool validate --type image --ref name=v1 " + o.output);
  EXPECT_EQ(v.exit_code, 0) << v.output;
  auto c = RunCommand("skopeo copy --override-arch arm64 oci:" + o.output +
                      ":v1 docker-archive:" + (dir / "d.tar") + ":x:y");
  EXPECT_EQ(c.exit_code, 0) << c.output;
}

TEST(Pack, SinglePlatformOciUnpacksWithUmoci) {
  TempDir dir;
  PackOptions o = Base(dir, OutputKind::kOciLayout, "img");
  o.no_init = true;
  o.init_binary.clear();
  auto r = Pack(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->digest.substr(0, 7), "sha256:");
  auto u = RunCommand("cd " + dir.path() + " && umoci unpack --rootless --image img:latest bundle");
  ASSERT_EQ(u.exit_code, 0) << u.output;
  auto rt = nlohmann::json::parse(ReadFileToString(dir / "bundle/config.json"));
  EXPECT_EQ(rt["process"]["args"][0], "/app/https_client.amd64");
  EXPECT_EQ(rt["process"]["user"]["uid"], 65532);
  struct stat st;
  ASSERT_EQ(::stat((dir / "bundle/rootfs/tmp").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 01777u);
  EXPECT_EQ(::stat((dir / "bundle/rootfs/sbin/barekit-init").c_str(), &st), -1);
  auto v = RunCommand("oci-image-tool validate --type image --ref name=latest " + o.output);
  EXPECT_EQ(v.exit_code, 0) << v.output;
}

TEST(Pack, DockerArchiveIsReadBySkopeo) {
  TempDir dir;
  PackOptions o = Base(dir, OutputKind::kDockerArchive, "d.tar");
  o.tag = "barekit/client:v2";
  auto r = Pack(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  auto i = RunCommand("skopeo inspect docker-archive:" + o.output + ":barekit/client:v2");
  ASSERT_EQ(i.exit_code, 0) << i.output;
  EXPECT_EQ(nlohmann::json::parse(i.output)["Architecture"], "amd64");
}

TEST(Pack, DynamicBinaryCarriesItsLibraryClosure) {
  TempDir dir;
  PackOptions o = Base(dir, OutputKind::kOciLayout, "img");
  o.binaries = {Fx("bin/dyn")};
  auto r = Pack(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_THAT(FindFile(*r, "/usr/lib/libfoo.so.1")->reason,
              HasSubstr("libfoo.so.1, needed by /app/dyn"));
  EXPECT_NE(FindFile(*r, "/usr/lib/x86_64-linux-gnu/libc.so.6"), nullptr);
  EXPECT_EQ(FindFile(*r, "/lib64")->type, "symlink");
}

// Bad input: one clear error naming the problem, and nothing at (or next to) the output.
void ExpectCleanFailure(const TempDir& dir, const PackOptions& o, const std::string& msg) {
  auto r = Pack(o);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr(msg));
  struct stat st;
  EXPECT_NE(::lstat(o.output.c_str(), &st), 0) << "output left behind";
  EXPECT_EQ(RunCommand("ls -A " + dir.path() + " | grep -c tmp").output, "0\n")
      << "temp left behind";
}

TEST(Pack, BadInputsFailCleanly) {
  TempDir dir;
  PackOptions o = Base(dir, OutputKind::kInitramfs, "i.cpio");
  o.binaries = {dir / "missing"};
  ExpectCleanFailure(dir, o, dir / "missing");

  o = Base(dir, OutputKind::kInitramfs, "i.cpio");
  testing::WriteStringToFile(dir / "passwd", "x");
  o.adds = {{dir / "passwd", "app/https_client.amd64"}};
  ExpectCleanFailure(dir, o, "two inputs for /app/https_client.amd64");

  o = Base(dir, OutputKind::kOciArchive, "o.tar");
  ::mkdir((dir / "tree").c_str(), 0755);
  ASSERT_EQ(::symlink("../../../etc/shadow", (dir / "tree/evil").c_str()), 0);
  o.adds = {{dir / "tree", "srv"}};
  ExpectCleanFailure(dir, o,
                     "symlink /srv/evil -> ../../../etc/shadow climbs above the image root");

  o = Base(dir, OutputKind::kOciLayout, "img");
  ::unlink((dir / "tree/evil").c_str());
  ASSERT_EQ(::symlink("/etc/shadow", (dir / "tree/abs").c_str()), 0);
  o.adds = {{dir / "tree", "srv"}};
  ExpectCleanFailure(dir, o, "absolute symlink /srv/abs -> /etc/shadow points outside the image");
  ::unlink((dir / "tree/abs").c_str());

  o = Base(dir, OutputKind::kDockerArchive, "d.tar");
  o.binaries = {Fx("bin/dyn")};
  o.sysroot = dir / "tree";
  ExpectCleanFailure(dir, o, "not found in sysroot " + (dir / "tree"));

  o = Base(dir, OutputKind::kDockerArchive, "d.tar");
  o.binaries = {Fx("https_client.amd64"), Fx("https_client.arm64")};
  ExpectCleanFailure(dir, o, "holds one architecture, but the binaries are amd64, arm64");

  o = Base(dir, OutputKind::kInitramfs, "i.cpio");
  o.init_binary.clear();
  ExpectCleanFailure(dir, o, "no barekit-init is embedded for amd64");

  o = Base(dir, OutputKind::kInitramfs, "i.cpio");
  o.modules = {"virtio_net"};
  o.modules_dir = dir / "tree";
  ExpectCleanFailure(dir, o, "kernel module virtio_net not found under");

  o = Base(dir, OutputKind::kInitramfs, "i.cpio");
  o.tz_zones = {"Mars/Olympus"};
  ExpectCleanFailure(dir, o, "--tz Mars/Olympus");

  EXPECT_FALSE(ParseAddSpec("relative:dst").ok() && false);
  EXPECT_THAT(ParseAddSpec("a:relative").status().message(), HasSubstr("absolute"));
  EXPECT_THAT(ParseAddSpec("a:/x/../y").status().message(), HasSubstr(".."));
}

TEST(Pack, ModulesGoInLoadOrderIntoTheInitConfig) {
  TempDir dir;
  PackOptions o = Base(dir, OutputKind::kInitramfs, "i.cpio");
  o.compression = archive::Compression::kNone;
  o.modules = {"virtio_net"};
  o.modules_dir = Fx("modules");
  auto r = Pack(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_THAT(r->modules, ::testing::ElementsAre("failover", "net_failover", "virtio",
                                                 "virtio_ring", "virtio_net"));
  ASSERT_EQ(RunCommand("mkdir " + (dir / "x") + " && cd " + (dir / "x") +
                       " && cpio -idm --quiet < " + o.output)
                .exit_code,
            0);
  auto cfg = init::ParseConfig(ReadFileToString(dir / "x/etc/barekit/init.toml"), "init.toml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  ASSERT_EQ(cfg->modules.size(), 5u);
  EXPECT_EQ(cfg->modules[0], "/lib/modules/kernel/drivers/failover.ko");
  EXPECT_EQ(cfg->modules[4], "/lib/modules/kernel/drivers/virtio_net.ko");
}

}  // namespace
}  // namespace barekit::pack
