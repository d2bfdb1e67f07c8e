/*
 * strata-nsrun: the built-in runner's one process (see namespace-runner.ts).
 *
 *   strata-nsrun SPEC      (fd 3: strata's lifeline; its end of file means strata is gone)
 *
 * SPEC is a file of NUL-terminated words (namespace-spec.ts writes it): records
 * that start with a keyword and take a fixed number of words. In order:
 *
 * 1. new mount, UTS, IPC (and with `net none`, network) namespaces; `/` made
 *    private; the root file system bound onto itself (pivot_root needs a mount);
 *    the host name; the loopback up in a new network namespace;
 * 2. the mounts (`mount`), devices (`device`) and links (`link`) under it,
 *    by host path, in order;
 * 3. with `tty`, a pseudo-terminal from the container's own devpts instance;
 * 4. a fork into a new PID namespace: PID 1 joins the freezer cgroup, sets
 *    RLIMIT_NOFILE, mounts /proc, pivots into the root (the old root detached),
 *    changes directory, sets groups and gid, drops every capability not kept
 *    from the bounding set, sets the uid, takes the container's environment
 *    and execs the command (searched in that environment's PATH);
 * 5. this process waits for PID 1 and exits with its status (128+N for a
 *    signal N), relaying the terminal with `tty`. When the lifeline closes
 *    (strata was killed) it thaws the cgroup and kills PID 1, so the PID
 *    namespace and everything in it dies.
 *
 * A failed setup step exits 125 with `strata: <step>: <error>` on stderr; a
 * command that cannot be executed exits 127 (not found) or 126.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define SETUP_FAILED 125
#define LIFELINE 3
#define MAX_LIST 4096

extern char **environ;

static void die(const char *fmt, ...) {
  int saved = errno;
  va_list ap;
  fputs("strata: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  if (saved != 0) fprintf(stderr, ": %s", strerror(saved));
  fputc('\n', stderr);
  _exit(SETUP_FAILED);
}

/* ---- the spec ---- */

struct mount_rec { const char *source, *target, *type, *options, *data; };
struct device_rec { const char *path; unsigned major, minor; };
struct link_rec { const char *path, *target; };

static struct {
  const char *rootfs, *hostname, *cgroup, *proc, *devpts, *cwd;
  int net_none, tty;
  unsigned short rows, cols;
  unsigned long nofile;
  uid_t uid;
  gid_t gid;
  gid_t groups[64];
  size_t ngroups;
  int keep_cap[64];
  struct mount_rec mounts[64];
  size_t nmounts;
  struct device_rec devices[32];
  size_t ndevices;
  struct link_rec links[32];
  size_t nlinks;
  char *env[MAX_LIST];
  size_t nenv;
  char *args[MAX_LIST];
  size_t nargs;
} spec;

static char *words[4 * MAX_LIST + 1024];
static size_t nwords, at;

static const char *word(const char *record) {
  if (at >= nwords) { errno = 0; die("spec: record %s is cut short", record); }
  return words[at++];
}

static unsigned long number(const char *record) {
  const char *text = word(record);
  char *end;
  errno = 0;
  unsigned long value = strtoul(text, &end, 10);
  if (errno != 0 || *end != '\0' || end == text) { errno = 0; die("spec: %s: not a number: %s", record, text); }
  return value;
}

static void read_spec(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) die("spec %s", path);
  struct stat st;
  if (fstat(fd, &st) != 0) die("spec %s", path);
  char *text = malloc((size_t)st.st_size + 1);
  if (text == NULL) die("spec");
  size_t got = 0;
  while (got < (size_t)st.st_size) {
    ssize_t n = read(fd, text + got, (size_t)st.st_size - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) die("spec %s", path);
    got += (size_t)n;
  }
  close(fd);
  text[got] = '\0';
  for (size_t i = 0; i < got; i += strlen(text + i) + 1) {
    if (nwords == sizeof words / sizeof *words) { errno = 0; die("spec: too many words"); }
    words[nwords++] = text + i;
  }
  while (at < nwords) {
    const char *key = words[at++];
    if (!strcmp(key, "rootfs")) spec.rootfs = word(key);
    else if (!strcmp(key, "hostname")) spec.hostname = word(key);
    else if (!strcmp(key, "net-none")) spec.net_none = 1;
    else if (!strcmp(key, "cgroup")) spec.cgroup = word(key);
    else if (!strcmp(key, "nofile")) spec.nofile = number(key);
    else if (!strcmp(key, "proc")) spec.proc = word(key);
    else if (!strcmp(key, "cwd")) spec.cwd = word(key);
    else if (!strcmp(key, "uid")) spec.uid = (uid_t)number(key);
    else if (!strcmp(key, "gid")) spec.gid = (gid_t)number(key);
    else if (!strcmp(key, "group")) {
      if (spec.ngroups == sizeof spec.groups / sizeof *spec.groups) { errno = 0; die("spec: too many groups"); }
      spec.groups[spec.ngroups++] = (gid_t)number(key);
    } else if (!strcmp(key, "cap")) {
      unsigned long cap = number(key);
      if (cap >= 64) { errno = 0; die("spec: capability %lu", cap); }
      spec.keep_cap[cap] = 1;
    } else if (!strcmp(key, "tty")) {
      spec.tty = 1;
      spec.devpts = word(key);
      spec.rows = (unsigned short)number(key);
      spec.cols = (unsigned short)number(key);
    } else if (!strcmp(key, "mount")) {
      if (spec.nmounts == sizeof spec.mounts / sizeof *spec.mounts) { errno = 0; die("spec: too many mounts"); }
      struct mount_rec *m = &spec.mounts[spec.nmounts++];
      m->source = word(key); m->target = word(key); m->type = word(key); m->options = word(key); m->data = word(key);
    } else if (!strcmp(key, "device")) {
      if (spec.ndevices == sizeof spec.devices / sizeof *spec.devices) { errno = 0; die("spec: too many devices"); }
      struct device_rec *d = &spec.devices[spec.ndevices++];
      d->path = word(key); d->major = (unsigned)number(key); d->minor = (unsigned)number(key);
    } else if (!strcmp(key, "link")) {
      if (spec.nlinks == sizeof spec.links / sizeof *spec.links) { errno = 0; die("spec: too many links"); }
      struct link_rec *l = &spec.links[spec.nlinks++];
      l->path = word(key); l->target = word(key);
    } else if (!strcmp(key, "env")) {
      if (spec.nenv == MAX_LIST - 1) { errno = 0; die("spec: too many variables"); }
      spec.env[spec.nenv++] = (char *)word(key);
    } else if (!strcmp(key, "arg")) {
      if (spec.nargs == MAX_LIST - 1) { errno = 0; die("spec: too many arguments"); }
      spec.args[spec.nargs++] = (char *)word(key);
    } else {
      errno = 0;
      die("spec: unknown record %s", key);
    }
  }
  if (spec.rootfs == NULL || spec.proc == NULL || spec.cwd == NULL || spec.nargs == 0) { errno = 0; die("spec: rootfs, proc, cwd and arg are required"); }
}

/* ---- stage 1 and 2: namespaces and mounts ---- */

static void write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) die("open %s", path);
  size_t length = strlen(text);
  if (write(fd, text, length) != (ssize_t)length) die("write %s", path);
  close(fd);
}

/** `options` is a comma-separated list of mount(8) flag words; anything else is an error (data goes in its own word). */
static unsigned long mount_flags(const char *options, int *recursive_bind, int *readonly_bind, int *make_dir) {
  unsigned long flags = 0;
  char copy[256];
  if (strlen(options) >= sizeof copy) { errno = 0; die("mount options too long: %s", options); }
  strcpy(copy, options);
  for (char *save = NULL, *w = strtok_r(copy, ",", &save); w != NULL; w = strtok_r(NULL, ",", &save)) {
    if (!strcmp(w, "ro")) flags |= MS_RDONLY;
    else if (!strcmp(w, "nosuid")) flags |= MS_NOSUID;
    else if (!strcmp(w, "nodev")) flags |= MS_NODEV;
    else if (!strcmp(w, "noexec")) flags |= MS_NOEXEC;
    else if (!strcmp(w, "strictatime")) flags |= MS_STRICTATIME;
    else if (!strcmp(w, "bind")) flags |= MS_BIND;
    else if (!strcmp(w, "rbind")) { flags |= MS_BIND | MS_REC; *recursive_bind = 1; }
    else if (!strcmp(w, "mkdir")) *make_dir = 1;
    else { errno = 0; die("unknown mount option %s", w); }
  }
  if ((flags & MS_BIND) && (flags & MS_RDONLY)) { *readonly_bind = 1; flags &= ~MS_RDONLY; }
  return flags;
}

static void do_mount(const struct mount_rec *m) {
  int recursive = 0, readonly_bind = 0, make_dir = 0;
  unsigned long flags = mount_flags(m->options, &recursive, &readonly_bind, &make_dir);
  if (make_dir && mkdir(m->target, 0755) != 0 && errno != EEXIST) die("mkdir %s", m->target);
  const char *type = !strcmp(m->type, "none") ? NULL : m->type;
  if (mount(m->source, m->target, type, flags, m->data[0] ? m->data : NULL) != 0) die("mount %s on %s", m->source, m->target);
  // A bind ignores MS_RDONLY: read-only is a remount of the bind.
  if (readonly_bind && mount(NULL, m->target, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | (flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC)), NULL) != 0) {
    die("remount %s read-only", m->target);
  }
  (void)recursive;
}

static void loopback_up(void) {
  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) die("socket");
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strcpy(ifr.ifr_name, "lo");
  if (ioctl(sock, SIOCGIFFLAGS, &ifr) != 0) die("loopback flags");
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl(sock, SIOCSIFFLAGS, &ifr) != 0) die("loopback up");
  close(sock);
}

static void set_up(void) {
  int namespaces = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | (spec.net_none ? CLONE_NEWNET : 0);
  if (unshare(namespaces) != 0) die("unshare");
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) die("make / private");
  if (mount(spec.rootfs, spec.rootfs, NULL, MS_BIND | MS_REC, NULL) != 0) die("bind %s", spec.rootfs);
  if (spec.hostname != NULL && sethostname(spec.hostname, strlen(spec.hostname)) != 0) die("sethostname");
  if (spec.net_none) loopback_up();
  for (size_t i = 0; i < spec.nmounts; i++) do_mount(&spec.mounts[i]);
  for (size_t i = 0; i < spec.ndevices; i++) {
    const struct device_rec *d = &spec.devices[i];
    if (mknod(d->path, S_IFCHR | 0666, makedev(d->major, d->minor)) != 0) die("mknod %s", d->path);
    if (chmod(d->path, 0666) != 0) die("chmod %s", d->path);
  }
  for (size_t i = 0; i < spec.nlinks; i++) {
    if (symlink(spec.links[i].target, spec.links[i].path) != 0) die("symlink %s", spec.links[i].path);
  }
}

/* ---- stage 3: the terminal ---- */

/** Opens a pseudo-terminal from the container's devpts instance; answers the master and writes the slave's path. */
static int open_terminal(char *slave, size_t size) {
  char ptmx[4096];
  snprintf(ptmx, sizeof ptmx, "%s/ptmx", spec.devpts);
  int master = open(ptmx, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) die("open %s", ptmx);
  int unlock = 0;
  unsigned int n;
  if (ioctl(master, TIOCSPTLCK, &unlock) != 0 || ioctl(master, TIOCGPTN, &n) != 0) die("pseudo-terminal");
  snprintf(slave, size, "%s/%u", spec.devpts, n);
  struct winsize ws = { .ws_row = spec.rows, .ws_col = spec.cols };
  ioctl(master, TIOCSWINSZ, &ws);
  return master;
}

/* ---- stage 4: PID 1 ---- */

static void drop_bounding_set(void) {
  int last = 40;
  FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
  if (f != NULL) {
    if (fscanf(f, "%d", &last) != 1) last = 40;
    fclose(f);
  }
  for (int cap = 0; cap <= last && cap < 64; cap++) {
    if (!spec.keep_cap[cap] && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) die("drop capability %d", cap);
  }
}

static void become_pid1(const char *slave) {
  if (spec.cgroup != NULL) {
    char procs[4096];
    snprintf(procs, sizeof procs, "%s/cgroup.procs", spec.cgroup);
    write_file(procs, "0");
  }
  if (spec.nofile > 0) {
    struct rlimit limit = { spec.nofile, spec.nofile };
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) die("RLIMIT_NOFILE");
  }
  if (mount("proc", spec.proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0) die("mount proc on %s", spec.proc);
  if (slave != NULL) {
    if (setsid() < 0) die("setsid");
    int fd = open(slave, O_RDWR);
    if (fd < 0) die("open %s", slave);
    if (ioctl(fd, TIOCSCTTY, 0) != 0) die("controlling terminal");
    for (int i = 0; i < 3; i++) if (dup2(fd, i) < 0) die("dup2");
    if (fd > 2) close(fd);
  }
  // pivot_root(".", "."): the old root ends up stacked under the new one, then detached.
  if (chdir(spec.rootfs) != 0) die("chdir %s", spec.rootfs);
  if (syscall(SYS_pivot_root, ".", ".") != 0) die("pivot_root");
  if (umount2(".", MNT_DETACH) != 0) die("detach the old root");
  if (chdir("/") != 0 || chdir(spec.cwd) != 0) die("chdir %s", spec.cwd);
  if (spec.ngroups > 0 ? setgroups(spec.ngroups, spec.groups) != 0 : setgroups(0, NULL) != 0) die("setgroups");
  if (setresgid(spec.gid, spec.gid, spec.gid) != 0) die("setgid %u", (unsigned)spec.gid);
  drop_bounding_set();
  if (setresuid(spec.uid, spec.uid, spec.uid) != 0) die("setuid %u", (unsigned)spec.uid);
  // If this runner dies (say, SIGKILL from the OOM killer), PID 1 and so the
  // whole namespace die with it. Set after the uid change, which clears it.
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) die("parent death signal");
  // Docker's PID 1 starts with default dispositions and nothing blocked.
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  for (int sig = 1; sig < NSIG; sig++) signal(sig, SIG_DFL);
  spec.env[spec.nenv] = NULL;
  spec.args[spec.nargs] = NULL;
  environ = spec.env;
  execvp(spec.args[0], spec.args);
  int failure = errno;
  fprintf(stderr, "strata: exec: \"%s\": %s\n", spec.args[0], strerror(failure));
  _exit(failure == ENOENT || failure == ENOTDIR ? 127 : 126);
}

/* ---- stage 5: waiting, the terminal relay, the lifeline ---- */

static void thaw_and_kill(pid_t child) {
  if (spec.cgroup != NULL) {
    char path[4096];
    snprintf(path, sizeof path, "%s/freezer.state", spec.cgroup);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
      (void)!write(fd, "THAWED", 6);
      close(fd);
    } else {
      snprintf(path, sizeof path, "%s/cgroup.freeze", spec.cgroup);
      fd = open(path, O_WRONLY | O_CLOEXEC);
      if (fd >= 0) {
        (void)!write(fd, "0", 1);
        close(fd);
      }
    }
  }
  kill(child, SIGKILL);
}

static void write_all(int fd, const char *buf, ssize_t n) {
  while (n > 0) {
    ssize_t w = write(fd, buf, (size_t)n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    buf += w;
    n -= w;
  }
}

static volatile sig_atomic_t resized;
static void on_winch(int sig) { (void)sig; resized = 1; }

static int wait_for(pid_t child, int master) {
  int pidfd = (int)syscall(SYS_pidfd_open, child, 0);
  if (pidfd < 0) die("pidfd_open");
  struct termios saved;
  int raw = master >= 0 && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
  if (raw) {
    struct termios t = saved;
    cfmakeraw(&t);
    tcsetattr(STDIN_FILENO, TCSANOW, &t);
  }
  int stdin_open = master >= 0;
  int lifeline_open = fcntl(LIFELINE, F_GETFD) >= 0;
  int status = 0, done = 0;
  char buf[16384];
  while (!done) {
    struct pollfd fds[4];
    int nfds = 0, i_pid = nfds++, i_life = -1, i_in = -1, i_master = -1;
    fds[i_pid] = (struct pollfd){ .fd = pidfd, .events = POLLIN };
    if (lifeline_open) { i_life = nfds++; fds[i_life] = (struct pollfd){ .fd = LIFELINE, .events = POLLIN }; }
    if (master >= 0) { i_master = nfds++; fds[i_master] = (struct pollfd){ .fd = master, .events = POLLIN }; }
    if (stdin_open) { i_in = nfds++; fds[i_in] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN }; }
    if (poll(fds, (nfds_t)nfds, -1) < 0) {
      if (errno == EINTR) {
        if (resized && master >= 0) {
          resized = 0;
          struct winsize ws;
          if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0) ioctl(master, TIOCSWINSZ, &ws);
        }
        continue;
      }
      die("poll");
    }
    if (i_life >= 0 && fds[i_life].revents) {
      ssize_t n = read(LIFELINE, buf, sizeof buf);
      if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
        lifeline_open = 0;
        thaw_and_kill(child);
      }
    }
    if (i_master >= 0 && fds[i_master].revents) {
      ssize_t n = read(master, buf, sizeof buf);
      if (n > 0) write_all(STDOUT_FILENO, buf, n);
      else if (n < 0 && errno != EINTR && errno != EAGAIN) { close(master); master = -1; }
    }
    if (i_in >= 0 && fds[i_in].revents) {
      ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
      if (n > 0 && master >= 0) write_all(master, buf, n);
      else if (n <= 0 && errno != EINTR) stdin_open = 0;
    }
    if (fds[i_pid].revents) {
      if (waitpid(child, &status, 0) == child) done = 1;
    }
  }
  // What PID 1 wrote last is still in the terminal.
  if (master >= 0) {
    fcntl(master, F_SETFL, O_NONBLOCK);
    for (ssize_t n; (n = read(master, buf, sizeof buf)) > 0;) write_all(STDOUT_FILENO, buf, n);
  }
  if (raw) tcsetattr(STDIN_FILENO, TCSANOW, &saved);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fputs("usage: strata-nsrun SPEC (run by strata's built-in runner)\n", stderr);
    return 2;
  }
  fcntl(LIFELINE, F_SETFD, FD_CLOEXEC);
  read_spec(argv[1]);
  // strata forwards SIGINT, SIGTERM and SIGHUP to PID 1 itself.
  signal(SIGINT, SIG_IGN);
  signal(SIGTERM, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  struct sigaction winch = { .sa_handler = on_winch };
  sigaction(SIGWINCH, &winch, NULL);
  set_up();
  char slave[4200];
  int master = spec.tty ? open_terminal(slave, sizeof slave) : -1;
  if (unshare(CLONE_NEWPID) != 0) die("unshare the PID namespace");
  fflush(stderr);
  pid_t child = fork();
  if (child < 0) die("fork");
  if (child == 0) {
    if (master >= 0) close(master);
    become_pid1(spec.tty ? slave : NULL);
  }
  return wait_for(child, master);
}
