/*
 * scan_dir: one directory's entries lstat'ed relative to the open directory
 * (each lookup resolves one name, not a whole path) into plain C memory, and
 * dir_scan_to_js: that scan as lstatDir's JS result. Never follows a symlink.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>
#include "strata_sys.h"
#include "strata_dir_scan.h"

/* A first guess for a list of attribute names (the kernel allocates what is asked). */
#define XLIST_GUESS 1024

struct linux_dirent64 {
  unsigned long long d_ino;
  long long d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

int add_name(name_list *l, const char *name, size_t n) {
  if (l->len + n + 1 > l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 1024;
    while (cap < l->len + n + 1) cap *= 2;
    char *b = realloc(l->buf, cap);
    if (!b) return -1;
    l->buf = b; l->cap = cap;
  }
  if (l->count == l->slots) {
    uint32_t slots = l->slots ? l->slots * 2 : 16;
    size_t *a = realloc(l->at, slots * sizeof *a);
    if (!a) return -1;
    l->at = a; l->slots = slots;
  }
  memcpy(l->buf + l->len, name, n);
  l->buf[l->len + n] = 0;
  l->at[l->count++] = l->len;
  l->len += n + 1;
  return 0;
}

void free_names(name_list *l) {
  free(l->buf);
  free(l->at);
  l->buf = NULL; l->at = NULL;
}

int list_names(int fd, name_list *l) {
  char buf[32768];
  for (;;) {
    long n = syscall(SYS_getdents64, fd, buf, sizeof buf);
    if (n < 0) return errno;
    if (n == 0) return 0;
    for (long off = 0; off < n; ) {
      struct linux_dirent64 *de = (struct linux_dirent64 *)(buf + off);
      const char *name = de->d_name;
      off += de->d_reclen;
      if (name[0] == '.' && (name[1] == 0 || (name[1] == '.' && name[2] == 0))) continue;
      if (add_name(l, name, strlen(name))) return ENOMEM;
    }
  }
}

static int by_bytes(const void *a, const void *b, void *base) {
  return strcmp((const char *)base + *(const size_t *)a, (const char *)base + *(const size_t *)b);
}

void sort_names(name_list *l) {
  qsort_r(l->at, l->count, sizeof *l->at, by_bytes, l->buf);
}

/* listxattrat (Linux 6.13): the names of `name` in the directory open at fd, never
 * through a symlink; on older kernels llistxattr of the whole path. */
#ifndef SYS_listxattrat
#define SYS_listxattrat 465
#endif
static volatile int have_listxattrat = 1;

static ssize_t list_xattrs_once(int fd, const char *dir, const char *name, char *list, size_t size) {
  if (have_listxattrat) {
    long got = syscall(SYS_listxattrat, fd, name, AT_SYMLINK_NOFOLLOW, list, size);
    if (got >= 0 || (errno != ENOSYS && errno != EPERM)) return got;
    /* absent (ENOSYS), or refused by a seccomp filter that does not know it (EPERM):
     * llistxattr from now on, which also gives any real EPERM */
    have_listxattrat = 0;
  }
  char path[2 * PATH_BUF + 2];
  if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path) { errno = ENAMETOOLONG; return -1; }
  return llistxattr(path, list, size);
}

/* The attribute names of `name` into *list (malloc'ed; NULL where it has none); their length with the last NUL, or -1 (errno). */
static ssize_t list_xattrs_at(int fd, const char *dir, const char *name, char **list) {
  char guess[XLIST_GUESS];
  *list = NULL;
  for (;;) {
    ssize_t got = list_xattrs_once(fd, dir, name, guess, sizeof guess);
    if (got == 0) return 0;
    if (got > 0) {
      *list = malloc((size_t)got);
      if (!*list) { errno = ENOMEM; return -1; }
      memcpy(*list, guess, (size_t)got);
      return got;
    }
    if (errno != ERANGE) return -1;
    ssize_t need = list_xattrs_once(fd, dir, name, NULL, 0);
    if (need < 0) return need;
    char *big = malloc((size_t)need + 1);
    if (!big) { errno = ENOMEM; return -1; }
    got = list_xattrs_once(fd, dir, name, big, (size_t)need + 1);
    if (got >= 0) { *list = big; return got; }
    free(big);
    if (errno != ERANGE) return -1; /* else it grew meanwhile: again */
  }
}

static int fail(dir_scan *s, int e, const char *op, const char *dir, const char *name) {
  s->err = e;
  s->err_op = op;
  size_t n = strlen(dir) + (name ? strlen(name) + 1 : 0) + 1;
  s->err_path = malloc(n);
  if (s->err_path) snprintf(s->err_path, n, name ? "%s/%s" : "%s", dir, name);
  return e;
}

int scan_dir(int fd, const char *dir, int xmode, dir_scan *s) {
  uint32_t count = s->names.count;
  s->fields = calloc((size_t)count * FIELDS + 1, sizeof *s->fields);
  s->devino = calloc((size_t)count * 2 + 1, sizeof *s->devino);
  s->xattrs = calloc((size_t)count + 1, sizeof *s->xattrs);
  s->xattr_len = calloc((size_t)count + 1, sizeof *s->xattr_len);
  if (!s->fields || !s->devino || !s->xattrs || !s->xattr_len) return fail(s, ENOMEM, "lstat", dir, NULL);
  for (uint32_t i = 0; i < count; i++) {
    const char *name = s->names.buf + s->names.at[i];
    double *r = s->fields + (size_t)i * FIELDS;
    struct stat st;
    if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT || errno == ENOTDIR) continue; /* calloc'ed: mode 0 */
      return fail(s, errno, "lstat", dir, name);
    }
    r[0] = st.st_mode;
    r[1] = st.st_uid;
    r[2] = st.st_gid;
    r[3] = (double)st.st_size;
    r[4] = (double)((long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec) / 1e6;
    r[5] = (double)st.st_nlink;
    r[6] = major(st.st_rdev);
    r[7] = minor(st.st_rdev);
    s->devino[2 * i] = (unsigned long long)st.st_dev;
    s->devino[2 * i + 1] = (unsigned long long)st.st_ino;
    int whiteout = S_ISCHR(st.st_mode) && st.st_rdev == 0;
    if (xmode == XATTRS_NONE || whiteout || (xmode == XATTRS_DIRS && !S_ISDIR(st.st_mode))) continue;
    ssize_t got = list_xattrs_at(fd, dir, name, &s->xattrs[i]);
    if (got < 0) {
      if (errno == ENOTSUP) continue;
      return fail(s, errno, "llistxattr", dir, name);
    }
    if (got > 0) s->xattr_len[i] = (size_t)got - 1; /* without the last NUL */
  }
  return 0;
}

int ino_text(const dir_scan *s, uint32_t i, char buf[INO_TEXT_MAX]) {
  if (s->fields[(size_t)i * FIELDS] == 0) return 0;
  return snprintf(buf, INO_TEXT_MAX, "%llu:%llu", s->devino[2 * i], s->devino[2 * i + 1]);
}

napi_value throw_scan_error(napi_env env, dir_scan *s) {
  return throw_errno(env, s->err, s->err_op, s->err_path ? s->err_path : "");
}

/* The result's property names, made once (a name made per call costs more than the call's syscalls for a small directory). */
enum { KEY_NAMES, KEY_FIELDS, KEY_INOS, KEY_XATTRS, KEYS };
static const char *const key_text[KEYS] = {"names", "fields", "inos", "xattrs"};

/* An array of the names, held by a reference (Node 20 references objects only),
 * one per environment (a worker thread loads the addon again): instance data. */
static napi_value key(napi_env env, napi_value keys, int k) {
  napi_value v;
  napi_get_element(env, keys, (uint32_t)k, &v);
  return v;
}

napi_value dir_scan_to_js(napi_env env, dir_scan *s, int listing) {
  uint32_t count = s->names.count;
  napi_value result, fields_ab, fields, inos, xattrs, names = NULL;
  double *f = NULL;
  napi_create_object(env, &result);
  napi_create_arraybuffer(env, (size_t)count * FIELDS * sizeof(double), (void **)&f, &fields_ab);
  if (count > 0) memcpy(f, s->fields, (size_t)count * FIELDS * sizeof(double));
  napi_create_typedarray(env, napi_float64_array, (size_t)count * FIELDS, fields_ab, 0, &fields);
  napi_create_array_with_length(env, count, &inos);
  napi_create_array_with_length(env, count, &xattrs);
  if (listing) napi_create_array_with_length(env, count, &names);
  for (uint32_t i = 0; i < count; i++) {
    napi_value v;
    if (listing) {
      napi_create_string_utf8(env, s->names.buf + s->names.at[i], NAPI_AUTO_LENGTH, &v);
      napi_set_element(env, names, i, v);
    }
    char ino[INO_TEXT_MAX];
    int n = ino_text(s, i, ino);
    if (n == 0) continue;
    napi_create_string_latin1(env, ino, (size_t)n, &v);
    napi_set_element(env, inos, i, v);
    if (s->xattrs[i] == NULL) continue;
    napi_create_string_utf8(env, s->xattrs[i], s->xattr_len[i], &v);
    napi_set_element(env, xattrs, i, v);
  }
  napi_ref *keys_ref = NULL;
  napi_value keys;
  napi_get_instance_data(env, (void **)&keys_ref);
  napi_get_reference_value(env, *keys_ref, &keys);
  if (listing) napi_set_property(env, result, key(env, keys, KEY_NAMES), names);
  napi_set_property(env, result, key(env, keys, KEY_FIELDS), fields);
  napi_set_property(env, result, key(env, keys, KEY_INOS), inos);
  napi_set_property(env, result, key(env, keys, KEY_XATTRS), xattrs);
  return result;
}

void free_dir_scan(dir_scan *s) {
  if (s->xattrs) for (uint32_t i = 0; i < s->names.count; i++) free(s->xattrs[i]);
  free_names(&s->names);
  free(s->fields);
  free(s->devino);
  free(s->xattrs);
  free(s->xattr_len);
  free(s->err_path);
  memset(s, 0, sizeof *s);
}

static void free_keys(napi_env env, void *data, void *hint) {
  (void)hint;
  napi_delete_reference(env, *(napi_ref *)data);
  free(data);
}

void dir_scan_init(napi_env env) {
  napi_value keys;
  napi_create_array_with_length(env, KEYS, &keys);
  for (int k = 0; k < KEYS; k++) {
    napi_value v;
    napi_create_string_utf8(env, key_text[k], NAPI_AUTO_LENGTH, &v);
    napi_set_element(env, keys, (uint32_t)k, v);
  }
  napi_ref *keys_ref = malloc(sizeof *keys_ref);
  if (keys_ref == NULL) return;
  napi_create_reference(env, keys, 1, keys_ref);
  napi_set_instance_data(env, keys_ref, free_keys, NULL);
}
