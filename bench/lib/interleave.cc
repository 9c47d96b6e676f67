// interleave RUNS -- CMD1 ARGS... -- CMD2 ARGS... [-- ...]: runs the commands in turn, one run of
// each per round, for RUNS rounds (after two warm-up rounds) and prints one line per command:
//   <median wall s> <median cpu s> <median peak RSS KB> <command>
// Standard output and error go to /dev/null.
//
// The machines these benches run on are noisy, and the noise comes in bursts. Timing one command
// for N runs and then the other (as hyperfine does) lets a burst land on one side only; taking
// turns spreads it over both, so the ratio of the medians holds still.
//
// Every run follows a different command: caches, page allocator and CPU are as the previous
// program left them ("cold"), as for a user's single run.
//
// The child is started with posix_spawn and reaped with wait4, so the wall time is the child's
// exec-to-exit and the peak RSS (ru_maxrss) is its own.
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

extern char** environ;

namespace {

struct Sample {
  double wall = 0, cpu = 0;
  long peak_kb = 0;
};

bool RunOnce(char* const* argv, const posix_spawn_file_actions_t* fa, Sample* s) {
  const auto t0 = std::chrono::steady_clock::now();
  pid_t pid;
  if (int e = posix_spawn(&pid, argv[0], fa, nullptr, argv, environ); e != 0) {
    std::fprintf(stderr, "interleave: cannot start %s: %s\n", argv[0], std::strerror(e));
    return false;
  }
  int status = 0;
  rusage ru{};
  while (wait4(pid, &status, 0, &ru) < 0) {
    if (errno != EINTR) return false;
  }
  const auto t1 = std::chrono::steady_clock::now();
  s->wall = std::chrono::duration<double>(t1 - t0).count();
  s->cpu = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  s->peak_kb = ru.ru_maxrss;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "interleave: %s failed (status %#x)\n", argv[0], status);
    return false;
  }
  return true;
}

template <typename T>
T Median(std::vector<T> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4 || std::strcmp(argv[2], "--") != 0) {
    std::fprintf(stderr, "usage: interleave RUNS -- CMD ARGS... [-- CMD ARGS...]\n");
    return 2;
  }
  const int runs = std::atoi(argv[1]);
  if (runs < 1) return 2;
  std::vector<char**> cmds;
  for (int i = 2; i < argc; ++i) {
    if (std::strcmp(argv[i], "--") == 0) {
      argv[i] = nullptr;  // ends the previous command's argv
      if (i + 1 < argc) cmds.push_back(argv + i + 1);
    }
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  std::vector<std::vector<Sample>> samples(cmds.size());
  for (int round = -2; round < runs; ++round) {
    for (size_t k = 0; k < cmds.size(); ++k) {
      Sample s;
      if (!RunOnce(cmds[k], &fa, &s)) return 1;
      if (round >= 0) samples[k].push_back(s);
    }
  }
  for (size_t k = 0; k < cmds.size(); ++k) {
    std::vector<double> wall, cpu;
    std::vector<long> peak;
    for (const Sample& s : samples[k]) {
      wall.push_back(s.wall);
      cpu.push_back(s.cpu);
      peak.push_back(s.peak_kb);
    }
    std::string line;
    for (char** a = cmds[k]; *a != nullptr; ++a) line += std::string(a == cmds[k] ? "" : " ") + *a;
    std::printf("%.6f %.6f %ld %s\n", Median(wall), Median(cpu), Median(peak), line.c_str());
  }
  return 0;
}
