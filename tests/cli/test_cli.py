#!/usr/bin/env python3
"""The barekit command line as a user meets it: --help and --version, exit codes, directory
walks in a stable order, special files, and `barekit inspect` on barekit itself (static)."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from common import BIN, barekit  # noqa: E402

VERBS = ["inspect", "check"]


class Basics(unittest.TestCase):
    def test_version(self):
        r = barekit("--version")
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout.decode(), r"^barekit \d+\.\d+\.\d+\n$")

    def test_help_on_every_verb(self):
        for verb in VERBS:
            r = barekit(verb, "--help")
            self.assertEqual(r.returncode, 0, verb)
            self.assertIn(b"Usage", r.stdout, verb)

    def test_top_level_help_lists_every_verb(self):
        # main.cc sets up only the verb being run; without one, all of them.
        out = barekit("--help").stdout.decode()
        for verb in VERBS + ["diff"]:
            self.assertRegex(out, rf"(?m)^  {verb} ", verb)

    def test_unknown_verb_is_usage_error(self):
        r = barekit("frobnicate")
        self.assertEqual(r.returncode, 2)

    @unittest.skipIf(os.environ.get("BAREKIT_SANITIZED") == "1",
                     "an ASan build is dynamic by nature; the release build is checked")
    def test_self_is_static(self):
        r = barekit("inspect", "--json", BIN)
        self.assertEqual(r.returncode, 0, r.stderr)
        j = json.loads(r.stdout)[0]
        self.assertEqual(j["format"], "elf")
        self.assertIn(j["linkage"]["kind"], ("static", "static-pie"))
        self.assertIsNone(j["linkage"]["interpreter"])
        self.assertEqual(j["linkage"]["needed"], [])
        text = barekit("inspect", BIN).stdout.decode()
        self.assertRegex(text, r"linkage +static")
        r = barekit("check", "--require", "static", BIN)
        self.assertEqual(r.returncode, 0, r.stdout)

    @unittest.skipIf(os.environ.get("BAREKIT_HOT_ORDER") != "1",
                     "this build links without cmake/barekit.order (no lld, or ASan/fuzz build)")
    def test_hot_code_is_together(self):
        # The functions inspect runs (cmake/barekit.order) sit in one run at the start of .text,
        # not spread over the whole text as the default layout leaves them (over 4 MB apart):
        # peak memory of `inspect --functions` depends on it (bench/pclntab/run).
        src = os.environ["BAREKIT_SOURCE_DIR"]
        with open(os.path.join(src, "cmake", "barekit.order")) as f:
            hot = {l.strip() for l in f if l.strip() and not l.startswith("#")}
        nm = subprocess.run(["nm", "-S", BIN], capture_output=True, text=True, check=True)
        spans = []
        for line in nm.stdout.splitlines():
            p = line.split()
            if len(p) == 4 and p[2] in "tTwW" and p[3] in hot:
                spans.append((int(p[0], 16), int(p[0], 16) + int(p[1], 16)))
        self.assertGreater(len(spans), 300, "the order file names few functions of this binary")
        low = min(a for a, _ in spans)
        high = max(b for _, b in spans)
        self.assertLess(high - low, 1 << 20, f"hot code spans {high - low} bytes")


class BadFiles(unittest.TestCase):
    def test_special_and_missing_files_each_get_one_line(self):
        with tempfile.TemporaryDirectory() as d:
            empty = os.path.join(d, "empty")
            open(empty, "w").close()
            loop = os.path.join(d, "loop")
            os.symlink(loop, loop)
            unreadable = os.path.join(d, "unreadable")
            with open(unreadable, "wb") as f:
                f.write(b"\x7fELF" + b"\0" * 60)
            os.chmod(unreadable, 0)
            r = barekit("inspect", "--json", "/dev/zero", "/nonexistent", empty, loop, d, BIN,
                        timeout=30)
            self.assertEqual(r.returncode, 1)
            objs = json.loads(r.stdout)
            byfile = {o["file"]: o for o in objs}
            self.assertEqual(byfile["/dev/zero"]["error"], "not a regular file")
            self.assertIn("No such file", byfile["/nonexistent"]["error"])
            self.assertEqual(byfile[empty]["error"], "empty file")
            self.assertIn("symbolic links", byfile[loop]["error"])
            # The good file is still reported after the bad ones.
            self.assertEqual(byfile[BIN]["format"], "elf")

    def test_text_error_line_names_file(self):
        r = barekit("inspect", "/dev/null")
        self.assertEqual(r.returncode, 1)
        self.assertIn("/dev/null", r.stdout.decode())
        self.assertIn("not a regular file", r.stdout.decode())


class DirectoryWalk(unittest.TestCase):
    def test_walk_is_recursive_sorted_and_skips_non_executables(self):
        with tempfile.TemporaryDirectory() as d:
            os.makedirs(os.path.join(d, "b", "c"))
            for rel in ("b/c/z", "a", "b/y"):
                p = os.path.join(d, rel)
                with open(BIN, "rb") as src, open(p, "wb") as dst:
                    dst.write(src.read())
                os.chmod(p, 0o755)
            with open(os.path.join(d, "notes.txt"), "w") as f:
                f.write("hello")
            os.chmod(os.path.join(d, "notes.txt"), 0o755)  # executable but not a binary
            with open(os.path.join(d, "data"), "w") as f:
                f.write("x")  # not executable: skipped without a word
            os.symlink(d, os.path.join(d, "b", "self"))  # a directory symlink loop, not followed
            r = barekit("inspect", "--json", d, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            files = [o["file"] for o in json.loads(r.stdout)]
            self.assertEqual(files, [os.path.join(d, x) for x in ("a", "b/c/z", "b/y")])
            v = barekit("inspect", "--json", "-v", d, timeout=60)
            vfiles = [o["file"] for o in json.loads(v.stdout)]
            self.assertIn(os.path.join(d, "notes.txt"), vfiles)

    def test_parallel_output_equals_serial(self):
        a = barekit("inspect", "--json", "-j", "1", "/usr/bin", timeout=300)
        b = barekit("inspect", "--json", "-j", "4", "/usr/bin", timeout=300)
        self.assertEqual(a.stdout, b.stdout)


class Check(unittest.TestCase):
    def test_violations_exit_1_with_one_line_each(self):
        r = barekit("check", "--require", "static,stripped,arch=arm64,os=linux", "/bin/ls")
        self.assertEqual(r.returncode, 1)
        lines = r.stdout.decode().splitlines()
        self.assertTrue(all(l.startswith("/bin/ls: ") for l in lines), lines)
        self.assertTrue(any("not static" in l for l in lines), lines)
        self.assertTrue(any("arch is amd64, want arm64" in l for l in lines), lines)

    def test_bad_requirement_is_usage_error_with_column(self):
        r = barekit("check", "--require", "static,go>=", "/bin/ls")
        self.assertEqual(r.returncode, 2)
        self.assertIn("column 8", r.stderr.decode())


if __name__ == "__main__":
    unittest.main(verbosity=1)
