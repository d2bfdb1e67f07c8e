/*
 * scanAhead: the lstatDir scans of a whole directory tree, made on a thread
 * of their own ahead of the walk that takes them (core/union's native diff),
 * so that the walk's system calls run beside its JavaScript instead of
 * between it. Each scan is exactly lstatDir's (scan_dir), only made earlier.
 *
 * Order: depth first, a directory's names sorted by their bytes, each
 * subdirectory's scan after its parent's, in that order (as a walk that
 * sorts names asks for them). At most `ahead` entries are held scanned and
 * not yet taken, and at most AHEAD_BYTES of their content (memory stays
 * bounded whatever the tree). Scans are handed over in order, in batches;
 * the walk (core/union/read-ahead.ts) matches them to the directories it
 * asks for, drops those of a subtree it skips, and scans for itself a
 * directory the thread did not see.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "strata_sys.h"
#include "strata_dir_scan.h"

/* Regular files under this many bytes are read with their scan (their content is taken with it). */
#define CONTENT_MAX (64 * 1024)
/* At most this many bytes of content are held read and not yet taken. */
#define AHEAD_BYTES (8 * 1024 * 1024)

typedef struct scan_rec {
  struct scan_rec *next;
  char *rel;   /* "" for the root, else "a/b" */
  int absent;  /* the directory could not be opened (ENOENT, ENOTDIR, ELOOP): lstatDir's null */
  dir_scan s;  /* s.err set: the scan failed */
  /* the same names in the lower directory: lstatDir(lower fd, lower, ["rel/name", ...], XATTRS_DIRS); probed: made without failure */
  dir_scan probe;
  int probed;
  /* per name: the content of a regular file under CONTENT_MAX bytes (NULL: not read), read up to one byte past its size */
  char **content;
  size_t *content_len;
  size_t bytes; /* their sum */
} scan_rec;

typedef struct {
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv; /* signalled on every push, take and stop */
  scan_rec *head, *tail;
  size_t held, ahead, held_bytes;
  int done, stop, joined;
  char *root, *lower;
  int root_fd, lower_fd, xmode;
} scanner;

static size_t weight(scan_rec *r) {
  return r->s.names.count > 0 ? r->s.names.count : 1;
}

static void free_rec(scan_rec *r) {
  if (r->content) for (uint32_t i = 0; i < r->s.names.count; i++) free(r->content[i]);
  free(r->content);
  free(r->content_len);
  free_dir_scan(&r->s);
  free_dir_scan(&r->probe);
  free(r->rel);
  free(r);
}

/* Queues r (waiting while `ahead` entries are held); 1 where the scan is to stop (r is freed). */
static int push(scanner *sc, scan_rec *r) {
  pthread_mutex_lock(&sc->mu);
  while (!sc->stop && sc->held > 0 && (sc->held + weight(r) > sc->ahead || sc->held_bytes + r->bytes > AHEAD_BYTES)) pthread_cond_wait(&sc->cv, &sc->mu);
  int stop = sc->stop;
  if (!stop) {
    if (sc->tail) sc->tail->next = r; else sc->head = r;
    sc->tail = r;
    sc->held += weight(r);
    sc->held_bytes += r->bytes;
    pthread_cond_broadcast(&sc->cv);
  }
  pthread_mutex_unlock(&sc->mu);
  if (stop) free_rec(r);
  return stop;
}

static char *joined(const char *a, const char *b) {
  size_t n = strlen(a) + strlen(b) + 2;
  char *p = malloc(n);
  if (p) { if (a[0]) { strcpy(p, a); strcat(p, "/"); strcat(p, b); } else strcpy(p, b); }
  return p;
}

static scan_rec *new_rec(const char *rel) {
  scan_rec *r = calloc(1, sizeof *r);
  if (r && !(r->rel = strdup(rel))) { free(r); r = NULL; }
  return r;
}

/* Looks up r's names at the same path in the lower directory (relative to it: no lower directory is opened); a failure only leaves r unprobed. */
static void probe(scanner *sc, scan_rec *r, const char *rel) {
  int e = 0;
  for (uint32_t i = 0; !e && i < r->s.names.count; i++) {
    const char *name = r->s.names.buf + r->s.names.at[i];
    char *path = joined(rel, name);
    if (!path || add_name(&r->probe.names, path, strlen(path))) e = ENOMEM;
    free(path);
  }
  if (!e) e = scan_dir(sc->lower_fd, sc->lower, XATTRS_DIRS, &r->probe);
  if (e) free_dir_scan(&r->probe);
  else r->probed = 1;
}

/* Reads the content of r's small regular files (a file that cannot be read is left to the walk, which reports why). */
static void read_contents(int fd, scan_rec *r) {
  uint32_t count = r->s.names.count;
  r->content = calloc(count, sizeof *r->content);
  r->content_len = calloc(count, sizeof *r->content_len);
  if (!r->content || !r->content_len) return;
  for (uint32_t i = 0; i < count; i++) {
    const double *f = r->s.fields + (size_t)i * FIELDS;
    if (!S_ISREG((mode_t)f[0]) || f[3] <= 0 || f[3] >= CONTENT_MAX) continue;
    size_t want = (size_t)f[3] + 1; /* one byte more: a file that grew shows */
    if (r->bytes + want > AHEAD_BYTES) break; /* one directory's share; the walk reads the rest */
    char *buf = malloc(want);
    int cfd = buf ? openat(fd, r->s.names.buf + r->s.names.at[i], O_RDONLY | O_NOFOLLOW | O_CLOEXEC) : -1;
    if (cfd < 0) { free(buf); continue; }
    size_t n = 0;
    while (n < want) {
      ssize_t got = pread(cfd, buf + n, want - n, (off_t)n);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) { if (got < 0) n = (size_t)-1; break; }
      n += (size_t)got;
    }
    close(cfd);
    if (n == (size_t)-1) { free(buf); continue; }
    r->content[i] = buf;
    r->content_len[i] = n;
    r->bytes += n;
  }
}

/* Scans the directory open at fd (`rel` in the tree, `full` its path), queues it, then its subdirectories; 1 where the scan is to stop. */
static int walk(scanner *sc, int fd, const char *rel, const char *full) {
  scan_rec *r = new_rec(rel);
  if (!r) return 1;
  int e = list_names(fd, &r->s.names);
  if (e) {
    r->s.err = e;
    r->s.err_op = "scandir";
    r->s.err_path = strdup(full);
  } else {
    sort_names(&r->s.names);
    e = scan_dir(fd, full, sc->xmode, &r->s);
  }
  if (!e && sc->lower_fd >= 0 && r->s.names.count > 0) probe(sc, r, rel);
  if (!e) read_contents(fd, r);
  name_list subs = {0};
  for (uint32_t i = 0; !e && i < r->s.names.count; i++) {
    if (S_ISDIR((mode_t)r->s.fields[(size_t)i * FIELDS])) {
      const char *name = r->s.names.buf + r->s.names.at[i];
      if (add_name(&subs, name, strlen(name))) e = ENOMEM;
    }
  }
  /* after a failure the walk stops there: whoever takes it throws */
  if (push(sc, r) || e) { free_names(&subs); return 1; }
  int stop = 0;
  for (uint32_t i = 0; !stop && i < subs.count; i++) {
    const char *name = subs.buf + subs.at[i];
    char *child_rel = joined(rel, name), *child_full = joined(full, name);
    if (!child_rel || !child_full) stop = 1;
    int cfd = stop ? -1 : openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int open_errno = errno;
    if (!stop && cfd < 0) {
      scan_rec *a = new_rec(child_rel);
      if (!a) stop = 1;
      else {
        int absent = open_errno == ENOENT || open_errno == ENOTDIR || open_errno == ELOOP;
        if (absent) a->absent = 1;
        else { a->s.err = open_errno; a->s.err_op = "open"; a->s.err_path = strdup(child_full); }
        /* once queued, a is the taker's: decided before */
        stop = push(sc, a) || !absent;
      }
    } else if (!stop) {
      stop = walk(sc, cfd, child_rel, child_full);
      close(cfd);
    }
    free(child_rel);
    free(child_full);
  }
  free_names(&subs);
  return stop;
}

static void *run(void *arg) {
  scanner *sc = arg;
  walk(sc, sc->root_fd, "", sc->root);
  close(sc->root_fd);
  if (sc->lower_fd >= 0) close(sc->lower_fd);
  pthread_mutex_lock(&sc->mu);
  sc->done = 1;
  pthread_cond_broadcast(&sc->cv);
  pthread_mutex_unlock(&sc->mu);
  return NULL;
}

static void stop_scanner(scanner *sc) {
  if (sc->joined) return;
  pthread_mutex_lock(&sc->mu);
  sc->stop = 1;
  pthread_cond_broadcast(&sc->cv);
  pthread_mutex_unlock(&sc->mu);
  pthread_join(sc->thread, NULL);
  sc->joined = 1;
  for (scan_rec *r = sc->head, *next; r; r = next) { next = r->next; free_rec(r); }
  sc->head = sc->tail = NULL;
  sc->held = 0;
}

static void finalize(napi_env env, void *data, void *hint) {
  (void)env; (void)hint;
  scanner *sc = data;
  stop_scanner(sc);
  pthread_mutex_destroy(&sc->mu);
  pthread_cond_destroy(&sc->cv);
  free(sc->root);
  free(sc->lower);
  free(sc);
}

/*
 * scanAhead(root, xattrs, ahead, lower | null): starts the scan of the tree
 * at root (whose attribute names: lstatDir's `xattrs`), at most `ahead`
 * entries ahead; with `lower`, each directory's names are also looked up at
 * the same path under that directory. A handle for scanAheadTake and
 * scanAheadStop, or null where root cannot be opened as a directory.
 */
static napi_value js_scan_ahead(napi_env env, napi_callback_info info) {
  ARGS(4);
  PATH_ARG(0, root);
  int32_t xmode = 0, ahead = 0;
  napi_get_value_int32(env, argv[1], &xmode);
  napi_get_value_int32(env, argv[2], &ahead);
  napi_valuetype lower_type;
  napi_typeof(env, argv[3], &lower_type);
  char lower[PATH_BUF];
  if (lower_type == napi_string && get_string(env, argv[3], lower, sizeof lower)) { napi_throw_type_error(env, NULL, "bad path"); return NULL; }
  napi_value r;
  int fd = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  scanner *sc = fd < 0 ? NULL : calloc(1, sizeof *sc);
  if (sc) sc->root = strdup(root);
  if (!sc || !sc->root) {
    if (fd >= 0) close(fd);
    free(sc);
    napi_get_null(env, &r);
    return r;
  }
  sc->lower_fd = -1;
  if (lower_type == napi_string && (sc->lower = strdup(lower)) != NULL) {
    sc->lower_fd = open(lower, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  }
  sc->root_fd = fd;
  sc->xmode = xmode;
  sc->ahead = ahead > 0 ? (size_t)ahead : 1;
  pthread_mutex_init(&sc->mu, NULL);
  pthread_cond_init(&sc->cv, NULL);
  int e = pthread_create(&sc->thread, NULL, run, sc); /* an error number, not errno */
  if (e != 0) {
    close(fd);
    if (sc->lower_fd >= 0) close(sc->lower_fd);
    free(sc->lower);
    pthread_mutex_destroy(&sc->mu);
    pthread_cond_destroy(&sc->cv);
    free(sc->root);
    free(sc);
    return throw_errno(env, e, "pthread_create", root);
  }
  napi_create_external(env, sc, finalize, NULL, &r);
  return r;
}

static scanner *scanner_arg(napi_env env, napi_value v) {
  void *data = NULL;
  if (napi_get_value_external(env, v, &data) != napi_ok || data == NULL) napi_throw_type_error(env, NULL, "not a scanAhead handle");
  return data;
}

/* A batch holds at most this many scans, and stops adding scans past this many entries. */
#define BATCH_SCANS 256
#define BATCH_ENTRIES 4096

/* Appends `text` (len bytes) to a NUL-separated list in *buf (grown as needed); 0 or ENOMEM. */
static int append_text(char **buf, size_t *len, size_t *cap, const char *text, size_t n, int first) {
  if (*len + n + 2 > *cap) {
    size_t c = *cap ? *cap * 2 : 4096;
    while (c < *len + n + 2) c *= 2;
    char *b = realloc(*buf, c);
    if (!b) return ENOMEM;
    *buf = b; *cap = c;
  }
  if (!first) (*buf)[(*len)++] = 0;
  memcpy(*buf + *len, text, n);
  *len += n;
  return 0;
}

/* The batch of scans `recs` (k of them; one that failed or was absent only alone) as one JS object of flat, NUL-joined and sparse arrays. */
static napi_value batch_to_js(napi_env env, scan_rec **recs, uint32_t k) {
  uint32_t total = 0;
  for (uint32_t j = 0; j < k; j++) if (!recs[j]->absent && !recs[j]->s.err) total += recs[j]->s.names.count;
  napi_value result, v, ab, index, fields, lower_fields, xattrs, lower_xattrs, contents = NULL;
  double *idx, *f, *lf;
  napi_create_object(env, &result);
  napi_create_arraybuffer(env, (size_t)k * 4 * sizeof(double), (void **)&idx, &ab);
  napi_create_typedarray(env, napi_float64_array, (size_t)k * 4, ab, 0, &index);
  napi_create_arraybuffer(env, (size_t)total * FIELDS * sizeof(double), (void **)&f, &ab);
  napi_create_typedarray(env, napi_float64_array, (size_t)total * FIELDS, ab, 0, &fields);
  napi_create_arraybuffer(env, (size_t)total * FIELDS * sizeof(double), (void **)&lf, &ab);
  napi_create_typedarray(env, napi_float64_array, (size_t)total * FIELDS, ab, 0, &lower_fields);
  napi_create_array_with_length(env, total, &xattrs);
  napi_create_array_with_length(env, total, &lower_xattrs);
  char *rels = NULL, *names = NULL, *inos = NULL, *lower_inos = NULL;
  size_t rels_len = 0, rels_cap = 0, names_len = 0, names_cap = 0, inos_len = 0, inos_cap = 0, li_len = 0, li_cap = 0;
  int e = 0;
  uint32_t at = 0;
  for (uint32_t j = 0; j < k && !e; j++) {
    scan_rec *r = recs[j];
    uint32_t count = r->absent || r->s.err ? 0 : r->s.names.count;
    idx[4 * j] = at;
    idx[4 * j + 1] = count;
    idx[4 * j + 2] = r->probed;
    idx[4 * j + 3] = r->absent ? 1 : r->s.err ? 2 : 0;
    if (r->s.err) napi_set_named_property(env, result, "error", errno_error(env, r->s.err, r->s.err_op, r->s.err_path ? r->s.err_path : ""));
    e = append_text(&rels, &rels_len, &rels_cap, r->rel, strlen(r->rel), j == 0);
    if (count > 0) memcpy(f + (size_t)at * FIELDS, r->s.fields, (size_t)count * FIELDS * sizeof(double));
    if (count > 0 && r->probed) memcpy(lf + (size_t)at * FIELDS, r->probe.fields, (size_t)count * FIELDS * sizeof(double));
    else if (count > 0) memset(lf + (size_t)at * FIELDS, 0, (size_t)count * FIELDS * sizeof(double));
    for (uint32_t i = 0; i < count && !e; i++, at++) {
      const char *name = r->s.names.buf + r->s.names.at[i];
      char ino[INO_TEXT_MAX];
      int n = ino_text(&r->s, i, ino);
      e = append_text(&names, &names_len, &names_cap, name, strlen(name), at == 0);
      if (!e) e = append_text(&inos, &inos_len, &inos_cap, ino, (size_t)n, at == 0);
      n = r->probed ? ino_text(&r->probe, i, ino) : 0;
      if (!e) e = append_text(&lower_inos, &li_len, &li_cap, ino, (size_t)n, at == 0);
      if (r->s.xattrs[i]) {
        napi_create_string_utf8(env, r->s.xattrs[i], r->s.xattr_len[i], &v);
        napi_set_element(env, xattrs, at, v);
      }
      if (r->probed && r->probe.xattrs[i]) {
        napi_create_string_utf8(env, r->probe.xattrs[i], r->probe.xattr_len[i], &v);
        napi_set_element(env, lower_xattrs, at, v);
      }
      if (r->content && r->content[i]) {
        if (!contents) napi_create_array_with_length(env, total, &contents);
        napi_create_buffer_copy(env, r->content_len[i], r->content[i], NULL, &v);
        napi_set_element(env, contents, at, v);
      }
    }
  }
  if (!e) {
    napi_create_string_utf8(env, rels ? rels : "", rels_len, &v);
    napi_set_named_property(env, result, "rels", v);
    napi_set_named_property(env, result, "index", index);
    napi_create_string_utf8(env, names ? names : "", names_len, &v);
    napi_set_named_property(env, result, "names", v);
    napi_set_named_property(env, result, "fields", fields);
    napi_create_string_latin1(env, inos ? inos : "", inos_len, &v);
    napi_set_named_property(env, result, "inos", v);
    napi_set_named_property(env, result, "xattrs", xattrs);
    napi_set_named_property(env, result, "lowerFields", lower_fields);
    napi_create_string_latin1(env, lower_inos ? lower_inos : "", li_len, &v);
    napi_set_named_property(env, result, "lowerInos", v);
    napi_set_named_property(env, result, "lowerXattrs", lower_xattrs);
    if (contents) napi_set_named_property(env, result, "contents", contents);
  }
  free(rels); free(names); free(inos); free(lower_inos);
  return e ? throw_errno(env, e, "scandir", "") : result;
}

/*
 * scanAheadTake(handle): the next scans, in the walk's order: the first one
 * (waiting for it where the thread has not made it yet) and those ready
 * after it, as one batch (one call and one set of arrays for many
 * directories; a directory that was absent or whose scan failed comes in a
 * batch of its own); undefined once the scan is over. The batch
 * (ScanAheadBatch in core/sys/index.ts): rels, index (per scan: first entry,
 * entry count, whether its lower lookups were made, status 0 scanned, 1
 * absent, 2 failed: `error`), and per entry, across the batch: names,
 * fields, inos (NUL-joined; '' where absent), xattrs, the same for the lower
 * lookups, and contents.
 */
static napi_value js_scan_ahead_take(napi_env env, napi_callback_info info) {
  ARGS(1);
  scanner *sc = scanner_arg(env, argv[0]);
  if (!sc) return NULL;
  scan_rec *batch[BATCH_SCANS];
  uint32_t k = 0, entries = 0;
  pthread_mutex_lock(&sc->mu);
  while (!sc->joined && !sc->head && !sc->done) pthread_cond_wait(&sc->cv, &sc->mu);
  while (!sc->joined && sc->head && k < BATCH_SCANS && entries < BATCH_ENTRIES) {
    scan_rec *h = sc->head;
    int alone = h->absent || h->s.err;
    if (alone && k > 0) break;
    sc->head = h->next;
    if (!sc->head) sc->tail = NULL;
    sc->held -= weight(h);
    sc->held_bytes -= h->bytes;
    batch[k++] = h;
    entries += h->s.names.count;
    if (alone) break;
  }
  pthread_cond_broadcast(&sc->cv);
  pthread_mutex_unlock(&sc->mu);
  napi_value result;
  if (k == 0) napi_get_undefined(env, &result);
  else result = batch_to_js(env, batch, k);
  for (uint32_t j = 0; j < k; j++) free_rec(batch[j]);
  return result;
}

/* scanAheadStop(handle): ends the scan (its thread and what it holds); the handle then takes nothing. */
static napi_value js_scan_ahead_stop(napi_env env, napi_callback_info info) {
  ARGS(1);
  scanner *sc = scanner_arg(env, argv[0]);
  if (!sc) return NULL;
  stop_scanner(sc);
  return NULL;
}

void strata_scan_ahead_init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"scanAhead", NULL, js_scan_ahead, NULL, NULL, NULL, napi_default, NULL},
    {"scanAheadTake", NULL, js_scan_ahead_take, NULL, NULL, NULL, napi_default, NULL},
    {"scanAheadStop", NULL, js_scan_ahead_stop, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
