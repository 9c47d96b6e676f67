#include "archive/oci_layout.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "archive/atomic_output.h"
#include "archive/sha256.h"
#include "archive/tar_writer.h"
#include "archive/test_util.h"

namespace barekit::archive {
namespace {

using ::testing::HasSubstr;
using testing::RunCommand;
using testing::TempDir;

FileTree SmallTree() {
  FileTree t;
  EXPECT_TRUE(t.AddData("app/hello", 0755, "#!/bin/sh\necho hi\n", "binary").ok());
  EXPECT_TRUE(
      t.AddData("etc/passwd", 0644, "root:x:0:0:root:/root:/sbin/nologin\n", "always").ok());
  EXPECT_TRUE(t.AddDirectory("tmp", 01777, "always").ok());
  return t;
}

ImageConfig SmallConfig() {
  ImageConfig c;
  c.created = Rfc3339Utc(0);
  c.user = "65532:65532";
  c.env = {"SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt", "PATH=/app"};
  c.entrypoint = {"/app/hello"};
  c.labels["org.opencontainers.image.version"] = "v1.2.3";
  c.history_created_by = "barekit pack";
  return c;
}

// Writes a layout for the given platforms into `dir` and returns the top descriptor.
Descriptor WriteLayout(const std::string& dir, std::vector<std::string> arches, Compression c) {
  OciLayoutWriter w(dir);
  EXPECT_TRUE(w.Init().ok());
  std::vector<Descriptor> manifests;
  for (const auto& a : arches) {
    auto layer = w.WriteLayer(SmallTree(), 0, c, DefaultLevel(c));
    EXPECT_TRUE(layer.ok()) << layer.status().message();
    Platform p;
    p.architecture = a;
    auto m = w.WriteImage(p, SmallConfig(), {*layer}, {});
    EXPECT_TRUE(m.ok());
    manifests.push_back(*m);
  }
  auto top = w.Finish(manifests, "latest");
  EXPECT_TRUE(top.ok());
  return *top;
}

TEST(OciLayout, ConfigJsonIsCompactWithFixedKeyOrderAndSortedEnv) {
  Layer l;
  l.diff_id = "sha256:abc";
  Platform p;
  p.architecture = "arm64";
  std::string j = ConfigJson(p, SmallConfig(), {l});
  EXPECT_EQ(
      j,
      R"({"created":"1970-01-01T00:00:00Z","architecture":"arm64","os":"linux","config":{)"
      R"("User":"65532:65532","Env":["PATH=/app","SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"],)"
      R"("Entrypoint":["/app/hello"],"Labels":{"org.opencontainers.image.version":"v1.2.3"}},)"
      R"("rootfs":{"type":"layers","diff_ids":["sha256:abc"]},)"
      R"("history":[{"created":"1970-01-01T00:00:00Z","created_by":"barekit pack"}]})");
}

TEST(OciLayout, SkopeoUmociAndOciImageToolAcceptTheLayout) {
  TempDir dir;
  std::string layout = dir / "img";
  ASSERT_EQ(::mkdir(layout.c_str(), 0755), 0);
  Descriptor top = WriteLayout(layout, {"amd64"}, Compression::kGzip);
  EXPECT_EQ(top.media_type, kOciManifestType);

  auto r = RunCommand("skopeo inspect oci:" + layout + ":latest");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["Architecture"], "amd64");
  EXPECT_EQ(j["Labels"]["org.opencontainers.image.version"], "v1.2.3");
  EXPECT_EQ(j["Layers"].size(), 1u);

  r = RunCommand("skopeo inspect --config oci:" + layout + ":latest");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(nlohmann::json::parse(r.output)["config"]["User"], "65532:65532");

  r = RunCommand("cd " + dir.path() + " && umoci unpack --rootless --image img:latest bundle");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(testing::ReadFileToString(dir / "bundle/rootfs/app/hello"), "#!/bin/sh\necho hi\n");
  auto rt = nlohmann::json::parse(testing::ReadFileToString(dir / "bundle/config.json"));
  EXPECT_EQ(rt["process"]["args"][0], "/app/hello");
  EXPECT_EQ(rt["process"]["user"]["uid"], 65532);

  r = RunCommand("oci-image-tool validate --type image --ref name=latest " + layout);
  EXPECT_EQ(r.exit_code, 0) << r.output;

  r = RunCommand("skopeo copy oci:" + layout + ":latest docker-archive:" + (dir / "d.tar") +
                 ":barekit/test:1");
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

TEST(OciLayout, EveryBlobMatchesItsName) {
  TempDir dir;
  WriteLayout(dir.path(), {"amd64"}, Compression::kZstd);
  auto r = RunCommand(
      "cd " + dir.path() +
      "/blobs/sha256 && for f in *; do "
      "[ \"$(sha256sum < $f | cut -c1-64)\" = \"$f\" ] || echo BAD $f; done; ls | wc -l");
  EXPECT_EQ(r.output, "3\n");
}

TEST(OciLayout, SeveralPlatformsMakeAnIndexThatSkopeoResolves) {
  TempDir dir;
  Descriptor top = WriteLayout(dir.path(), {"amd64", "arm64"}, Compression::kGzip);
  EXPECT_EQ(top.media_type, kOciIndexType);
  auto r = RunCommand("skopeo inspect --raw oci:" + dir.path() + ":latest");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto idx = nlohmann::json::parse(r.output);
  ASSERT_EQ(idx["manifests"].size(), 2u);
  EXPECT_EQ(idx["manifests"][1]["platform"]["architecture"], "arm64");
  r = RunCommand("skopeo inspect --override-arch arm64 oci:" + dir.path() + ":latest");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(nlohmann::json::parse(r.output)["Architecture"], "arm64");
}

TEST(OciLayout, SameInputsGiveSameDigests) {
  TempDir a, b;
  EXPECT_EQ(WriteLayout(a.path(), {"amd64"}, Compression::kGzip).digest,
            WriteLayout(b.path(), {"amd64"}, Compression::kGzip).digest);
}

TEST(OciArchive, SkopeoReadsOciArchiveAndDockerArchive) {
  TempDir dir;
  std::string layout = dir / "img";
  ASSERT_EQ(::mkdir(layout.c_str(), 0755), 0);
  WriteLayout(layout, {"amd64"}, Compression::kGzip);
  ASSERT_TRUE(WriteOciArchive(layout, 0, dir / "img.tar").ok());
  auto r = RunCommand("skopeo inspect oci-archive:" + (dir / "img.tar") + ":latest");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(nlohmann::json::parse(r.output)["Architecture"], "amd64");

  // docker-archive from an uncompressed layer tar on disk.
  std::string layer_tar = dir / "layer.tar";
  {
    auto f = AtomicFile::Create(layer_tar);
    ASSERT_TRUE(f.ok());
    FdSink fs(f->fd(), layer_tar);
    HashingSink h(&fs);
    ASSERT_TRUE(WriteTreeAsTar(SmallTree(), 0, &h).ok());
    ASSERT_TRUE(h.Finish().ok());
    ASSERT_TRUE(f->Commit().ok());
    Layer l;
    l.diff_id = h.Digest();
    l.blob.digest = l.diff_id;
    l.blob.size = h.size();
    Platform p;
    p.architecture = "amd64";
    std::string cfg;
    ASSERT_TRUE(WriteDockerArchive(p, SmallConfig(), {l}, {layer_tar}, "barekit/hello:1", 0,
                                   dir / "docker.tar", &cfg)
                    .ok());
    EXPECT_EQ(cfg.substr(0, 7), "sha256:");
  }
  r = RunCommand("skopeo inspect docker-archive:" + (dir / "docker.tar"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["Architecture"], "amd64");
  // The tag in manifest.json selects the image.
  r = RunCommand("skopeo inspect docker-archive:" + (dir / "docker.tar") + ":barekit/hello:1");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  r = RunCommand("tar -tvf " + (dir / "docker.tar"));
  EXPECT_THAT(r.output, HasSubstr("manifest.json"));
  EXPECT_THAT(r.output, HasSubstr("repositories"));
  r = RunCommand("skopeo copy docker-archive:" + (dir / "docker.tar") + " oci:" + (dir / "back") +
                 ":x");
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

TEST(AtomicOutput, UncommittedOutputsLeaveNothingBehind) {
  TempDir dir;
  {
    auto f = AtomicFile::Create(dir / "out.img");
    ASSERT_TRUE(f.ok());
    ASSERT_EQ(::write(f->fd(), "x", 1), 1);
  }
  {
    auto d = AtomicDir::Create(dir / "layout");
    ASSERT_TRUE(d.ok());
    testing::WriteStringToFile(d->temp_path() + "/blob", "y");
  }
  EXPECT_EQ(RunCommand("ls -A " + dir.path()).output, "");
  auto f = AtomicFile::Create(dir / "out.img");
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(f->Commit().ok());
  EXPECT_EQ(RunCommand("ls -A " + dir.path()).output, "out.img\n");
  // A non-empty directory that is not a layout is never replaced.
  ASSERT_EQ(::mkdir((dir / "keep").c_str(), 0755), 0);
  testing::WriteStringToFile(dir / "keep/precious", "z");
  EXPECT_THAT(AtomicDir::Create(dir / "keep").status().message(), HasSubstr("not empty"));
}

}  // namespace
}  // namespace barekit::archive
