// strata-fuse-overlay's launcher (built by `npm install` as build/Release/strata-fuse-overlay):
// fuse-overlayfs' command line, for podman's and buildah's mount_program, without a Node
// process of its own. A mount request starts the mount daemon — `node
// <package>/dist/bundle/cli/fuse-overlay.js ARGS…` with STRATA_FUSE_OVERLAY_DAEMON=1, in a
// session of its own, stdio on /dev/null (it points its output at its log itself) — and
// returns once the daemon says on descriptor 3 that the mount answers: status 0 for "ok",
// else status 1 and the daemon's one line (or why it died) on stderr, as the Node entry
// does. Everything else (--version, --help, -f, -d, no arguments) is the Node entry's to
// answer: the launcher becomes it. Saves the Node start of a parent that only waits
// (about 55 ms of the 140 a mount took).

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DAEMON_ENV "STRATA_FUSE_OVERLAY_DAEMON"
#define ENTRY_FROM_PACKAGE "/dist/bundle/cli/fuse-overlay.js"

/** The Node entry beside this program: <package>/build/Release/strata-fuse-overlay → <package>/dist/…; NULL where it cannot be told. */
static char *node_entry (void) {
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return NULL;
  exe[n] = '\0';
  char *package = dirname(dirname(dirname(exe)));
  char *entry = malloc(strlen(package) + sizeof ENTRY_FROM_PACKAGE);
  if (entry == NULL) return NULL;
  strcpy(entry, package);
  strcat(entry, ENTRY_FROM_PACKAGE);
  return entry;
}

/** Is this a request to mount and daemonize (the only one the launcher answers itself)? */
static int mount_request (int argc, char **argv) {
  if (argc < 2 || getenv(DAEMON_ENV) != NULL) return 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0 || strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0 ||
        strcmp(a, "-f") == 0 || strcmp(a, "-d") == 0) return 0;
  }
  return 1;
}

/** `node ENTRY ARGS…` (node from PATH, as the Node entry's `#!/usr/bin/env node`); returns only on failure. */
static void exec_node (const char *entry, int argc, char **argv) {
  char **args = calloc((size_t) argc + 2, sizeof(char *));
  if (args == NULL) return;
  args[0] = "node";
  args[1] = (char *) entry;
  for (int i = 1; i < argc; i++) args[i + 1] = argv[i];
  execvp("node", args);
}

int main (int argc, char **argv) {
  char *entry = node_entry();
  if (entry == NULL) {
    fprintf(stderr, "strata-fuse-overlay: cannot find its own place (/proc/self/exe)\n");
    return 1;
  }
  if (!mount_request(argc, argv)) {
    exec_node(entry, argc, argv);
    fprintf(stderr, "strata-fuse-overlay: cannot run node: %s\n", strerror(errno));
    return 1;
  }
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) {
    fprintf(stderr, "strata-fuse-overlay: pipe: %s\n", strerror(errno));
    return 1;
  }
  pid_t pid = fork();
  if (pid < 0) {
    fprintf(stderr, "strata-fuse-overlay: fork: %s\n", strerror(errno));
    return 1;
  }
  if (pid == 0) {
    setsid();
    int null = open("/dev/null", O_RDWR);
    if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0) _exit(127);
    // Descriptor 3 for the report, kept across exec (dup2 onto itself would keep close-on-exec).
    if (report[1] == 3 ? fcntl(3, F_SETFD, 0) < 0 : dup2(report[1], 3) < 0) _exit(127);
    if (null > 3) close(null);
    setenv(DAEMON_ENV, "1", 1);
    exec_node(entry, argc, argv);
    dprintf(3, "cannot run node: %s\n", strerror(errno)); // the parent says it
    _exit(127);
  }
  close(report[1]);
  // The daemon's report: one line, then it closes descriptor 3 (or dies, which closes it too).
  char said[4096];
  size_t len = 0;
  for (;;) {
    ssize_t n = read(report[0], said + len, sizeof said - 1 - len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    len += (size_t) n;
    if (len == sizeof said - 1) break;
  }
  said[len] = '\0';
  while (len > 0 && (said[len - 1] == '\n' || said[len - 1] == ' ' || said[len - 1] == '\r')) said[--len] = '\0';
  if (strcmp(said, "ok") == 0) return 0;
  char *line = strchr(said, '\n');
  if (line != NULL) *line = '\0';
  fprintf(stderr, "strata-fuse-overlay: %s\n", len > 0 ? said : "the daemon exited before mounting");
  return 1;
}
