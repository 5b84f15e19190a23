/*
 * hvkit-spawn: starts provider scripts for hvkit apply with posix_spawn.
 *
 * Node's child_process.spawn forks the whole Node process and blocks its event
 * loop while doing so (about 7 ms a call on the reference machine); glibc's
 * posix_spawn uses vfork semantics and costs a fraction of that, in another
 * process. hvkit falls back to Node's spawn when this helper is not built.
 *
 * Protocol (one line per message; fields separated by \x1f, which hvkit never
 * lets into a value):
 *   request:  id cwd stdin-file stdout-file stderr-file N env1..envN argv0 argv1 ...
 *   replies:  "S id pid"          started, in a process group of its own
 *             "E id errno"        could not start
 *             "X id code signal"  exited (code -1 when killed by a signal)
 * The helper exits when its stdin closes and every child has been reaped.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

struct child { pid_t pid; long id; struct child *next; };
static struct child *children;
static int running;

static void reply(const char *fmt, long a, long b, long c) {
  printf(fmt, a, b, c);
  fflush(stdout);
}

static void start(char *line) {
  char *fields[4096];
  int n = 0;
  for (char *p = line; n < 4096;) {
    fields[n++] = p;
    char *sep = strchr(p, '\x1f');
    if (!sep) break;
    *sep = '\0';
    p = sep + 1;
  }
  if (n < 7) return;
  long id = atol(fields[0]);
  int nenv = atoi(fields[5]);
  if (nenv < 0 || 6 + nenv >= n) { reply("E %ld %ld\n", id, EINVAL, 0); return; }
  size_t envc = 0;
  while (environ[envc]) envc++;
  char **envp = calloc(envc + nenv + 1, sizeof(char *));
  /* The step's own variables first: getenv returns the first match. */
  for (int i = 0; i < nenv; i++) envp[i] = fields[6 + i];
  for (size_t i = 0; i < envc; i++) envp[nenv + i] = environ[i];
  char **argv = &fields[6 + nenv];
  fields[n] = NULL;

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addchdir_np(&fa, fields[1]);
  posix_spawn_file_actions_addopen(&fa, 0, fields[2], O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, fields[3], O_WRONLY | O_CREAT | O_TRUNC, 0600);
  /* stderr appends: hvkit points it at the step's log file, so logs are live. */
  posix_spawn_file_actions_addopen(&fa, 2, fields[4], O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid;
  int err = posix_spawn(&pid, argv[0], &fa, &attr, argv, envp);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  free(envp);
  if (err) { reply("E %ld %ld\n", id, err, 0); return; }
  struct child *c = malloc(sizeof *c);
  c->pid = pid; c->id = id; c->next = children; children = c;
  running++;
  reply("S %ld %ld\n", id, (long)pid, 0);
}

static void reap(void) {
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    for (struct child **pp = &children; *pp; pp = &(*pp)->next) {
      if ((*pp)->pid != pid) continue;
      struct child *c = *pp;
      *pp = c->next;
      running--;
      if (WIFEXITED(status)) reply("X %ld %ld %ld\n", c->id, WEXITSTATUS(status), 0);
      else reply("X %ld %ld %ld\n", c->id, -1, WIFSIGNALED(status) ? WTERMSIG(status) : 0);
      free(c);
      break;
    }
  }
}

int main(void) {
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  int sfd = signalfd(-1, &chld, SFD_CLOEXEC);
  static char buf[1 << 20];
  size_t len = 0;
  int open_in = 1;
  while (open_in || running > 0) {
    struct pollfd fds[2] = { { sfd, POLLIN, 0 }, { 0, POLLIN, 0 } };
    if (poll(fds, open_in ? 2 : 1, -1) < 0) { if (errno == EINTR) continue; return 1; }
    if (fds[0].revents & POLLIN) {
      struct signalfd_siginfo si;
      if (read(sfd, &si, sizeof si) < 0 && errno != EINTR) return 1;
      reap();
    }
    if (open_in && (fds[1].revents & (POLLIN | POLLHUP))) {
      ssize_t r = read(0, buf + len, sizeof buf - len - 1);
      if (r <= 0) { open_in = 0; continue; }
      len += (size_t)r;
      char *start_of = buf, *nl;
      while ((nl = memchr(start_of, '\n', (size_t)(buf + len - start_of)))) {
        *nl = '\0';
        start(start_of);
        start_of = nl + 1;
      }
      len = (size_t)(buf + len - start_of);
      memmove(buf, start_of, len);
    }
    reap();
  }
  return 0;
}
