/* A service for the restart-latency bench: appends "START EXIT" CLOCK_MONOTONIC nanoseconds to
 * the file in $CRASHLOOP_FILE and exits 1 at once; after $CRASHLOOP_RUNS runs it asks init
 * (its parent) to shut down. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(void) {
  long long start = now_ns();
  const char* path = getenv("CRASHLOOP_FILE");
  int runs = atoi(getenv("CRASHLOOP_RUNS") ? getenv("CRASHLOOP_RUNS") : "200");
  int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);
  char line[64];
  int n = snprintf(line, sizeof line, "%lld %lld\n", start, now_ns());
  if (write(fd, line, (size_t)n) != n) return 2;
  struct stat st;
  fstat(fd, &st);
  close(fd);
  if (st.st_size / n >= runs) {
    kill(getppid(), SIGTERM);
    return 0;
  }
  return 1;
}
