/* The floor for the restart-latency bench: the plainest supervisor there is, a
 * fork/exec/waitpid loop that restarts argv[1] as soon as it exits. Whatever the machine needs
 * for that is the part of barekit-init's crash-to-restart latency no supervisor can remove. */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char** argv) {
  (void)argc;
  for (;;) {
    pid_t pid = fork();
    if (pid == 0) {
      execv(argv[1], argv + 1);
      _exit(127);
    }
    int status;
    if (waitpid(pid, &status, 0) < 0 || (WIFEXITED(status) && WEXITSTATUS(status) == 0)) return 0;
  }
}
