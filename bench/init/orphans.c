/* Reaping bench, run as the main child of an init that is PID 1 of a PID namespace: a helper
 * forks N children that exit at once and then exits itself, so N zombies are re-parented to
 * PID 1 together. Prints the milliseconds from that moment until PID 1 has no child but us. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int init_children(void) {
  static char buf[1 << 20];
  int fd = open("/proc/1/task/1/children", O_RDONLY);
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  int count = 0;
  for (ssize_t i = 0; i < n; ++i)
    if (buf[i] == ' ') ++count;
  return count;
}

int main(int argc, char** argv) {
  int n = argc > 1 ? atoi(argv[1]) : 10000;
  pid_t mid = fork();
  if (mid == 0) {
    for (int i = 0; i < n; ++i) {
      pid_t p = fork();
      if (p == 0) _exit(0);
      if (p < 0) {
        usleep(1000);
        --i;
      }
    }
    _exit(0);
  }
  waitpid(mid, NULL, 0);
  double t0 = now_ms();
  while (init_children() > 1) usleep(100);
  printf("%.3f\n", now_ms() - t0);
  return 0;
}
