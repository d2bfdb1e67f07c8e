/*
 * strata_scan: one directory's entries lstat'ed in one call (fstatat relative
 * to the directory, so each lookup resolves one name, not a whole path), for
 * walks that look at thousands of entries (core/union's native diff). Never
 * follows a symlink.
 */
#define _GNU_SOURCE
#include <node_api.h>
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

/* Per entry in `fields`: st_mode (0: absent), uid, gid, size, mtime in ms, nlink, rdev major, rdev minor. */
#define FIELDS 8
/* A first guess for a list of attribute names (the kernel allocates what is asked). */
#define XLIST_GUESS 1024

enum { XATTRS_NONE = 0, XATTRS_DIRS = 1, XATTRS_ALL = 2 };

struct linux_dirent64 {
  unsigned long long d_ino;
  long long d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

/* A growing list of NUL-terminated names. */
typedef struct {
  char *buf;
  size_t len, cap;
  size_t *at;
  uint32_t count, slots;
} name_list;

static int add_name(name_list *l, const char *name, size_t n) {
  if (l->len + n + 1 > l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 16384;
    while (cap < l->len + n + 1) cap *= 2;
    char *b = realloc(l->buf, cap);
    if (!b) return -1;
    l->buf = b; l->cap = cap;
  }
  if (l->count == l->slots) {
    uint32_t slots = l->slots ? l->slots * 2 : 256;
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

static void free_names(name_list *l) {
  free(l->buf);
  free(l->at);
}

/* Every name of the directory open at fd but . and .. (getdents64 on fd itself: no dup, no DIR). */
static int list_names(int fd, name_list *l) {
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

/* listxattrat (Linux 6.13): the names of `name` in the directory open at fd, never
 * through a symlink; on older kernels llistxattr of the whole path. */
#ifndef SYS_listxattrat
#define SYS_listxattrat 465
#endif
static int have_listxattrat = 1;

static ssize_t list_xattrs_once(int fd, const char *dir, const char *name, char *path, size_t path_cap, char *list, size_t size) {
  if (have_listxattrat) {
    long got = syscall(SYS_listxattrat, fd, name, AT_SYMLINK_NOFOLLOW, list, size);
    if (got >= 0 || (errno != ENOSYS && errno != EPERM)) return got;
    /* absent (ENOSYS), or refused by a seccomp filter that does not know it (EPERM):
     * llistxattr from now on, which also gives any real EPERM */
    have_listxattrat = 0;
  }
  if ((size_t)snprintf(path, path_cap, "%s/%s", dir, name) >= path_cap) { errno = ENAMETOOLONG; return -1; }
  return llistxattr(path, list, size);
}

/* The attribute names of `name`: in *list (buf, or a malloc'ed buffer where they do not fit: the caller frees it if != buf). */
static ssize_t list_xattrs_at(int fd, const char *dir, const char *name, char *path, size_t path_cap, char *buf, char **list) {
  *list = buf;
  for (;;) {
    ssize_t got = list_xattrs_once(fd, dir, name, path, path_cap, buf, XLIST_GUESS);
    if (got >= 0 || errno != ERANGE) return got;
    ssize_t need = list_xattrs_once(fd, dir, name, path, path_cap, NULL, 0);
    if (need < 0) return need;
    char *big = malloc((size_t)need + 1);
    if (!big) { errno = ENOMEM; return -1; }
    got = list_xattrs_once(fd, dir, name, path, path_cap, big, (size_t)need + 1);
    if (got >= 0) { *list = big; return got; }
    free(big);
    if (errno != ERANGE) return -1; /* else it grew meanwhile: again */
  }
}

/* openDirAt(at, path): a descriptor of the directory at path (relative to the
 * open directory `at`, or to the working directory where at is -100 = AT_FDCWD),
 * never through a final symlink; -1 where it is absent or not a directory. */
static napi_value js_open_dir_at(napi_env env, napi_callback_info info) {
  ARGS(2);
  int32_t at;
  napi_get_value_int32(env, argv[0], &at);
  PATH_ARG(1, path);
  int fd = openat(at, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && errno != ENOENT && errno != ENOTDIR && errno != ELOOP) return throw_errno(env, errno, "open", path);
  napi_value r;
  napi_create_int32(env, fd < 0 ? -1 : fd, &r);
  return r;
}

static int given_names(napi_env env, napi_value arr, name_list *l) {
  uint32_t n = 0;
  if (napi_get_array_length(env, arr, &n) != napi_ok) return EINVAL;
  char name[PATH_BUF];
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    napi_get_element(env, arr, i, &v);
    if (get_string(env, v, name, sizeof name)) return EINVAL;
    if (add_name(l, name, strlen(name))) return ENOMEM;
  }
  return 0;
}

/* The result's property names, made once (a name made per call costs more than the call's syscalls for a small directory). */
enum { KEY_NAMES, KEY_FIELDS, KEY_INOS, KEY_XATTRS, KEYS };
static const char *const key_text[KEYS] = {"names", "fields", "inos", "xattrs"};
/* An array of the names, held by a reference (Node 20 references objects only),
 * one per environment (a worker thread loads the addon again): instance data. */
static napi_value key(napi_env env, int k) {
  napi_ref *keys_ref = NULL;
  napi_get_instance_data(env, (void **)&keys_ref);
  napi_value keys, v;
  napi_get_reference_value(env, *keys_ref, &keys);
  napi_get_element(env, keys, (uint32_t)k, &v);
  return v;
}

/*
 * lstatDir(fd, dir, names | null, xattrs): reads the directory open at fd (or,
 * where fd < 0, opens dir itself: null where it is absent or not a directory;
 * dir also names it in errors and for llistxattr on kernels before 6.13);
 * else { names?, fields, inos, xattrs } for `names` (null: every name the
 * directory holds, in readdir order, returned as `names`).
 * fields: Float64Array of FIELDS numbers per name (mode 0 where the name is
 * absent, ENOENT or ENOTDIR: a name may be a relative path; mtime in ms as Number(mtimeNs) / 1e6 computes it); inos: "dev:ino"
 * per present name; xattrs: the attribute names of each entry, joined by
 * NUL, where it has any and `xattrs` asks (1: directories, 2: all but
 * whiteouts), else undefined.
 */
static napi_value js_lstat_dir(napi_env env, napi_callback_info info) {
  ARGS(4);
  int32_t given_fd = -1;
  napi_get_value_int32(env, argv[0], &given_fd);
  PATH_ARG(1, dir);
  napi_valuetype names_type;
  napi_typeof(env, argv[2], &names_type);
  int32_t xmode = 0;
  napi_get_value_int32(env, argv[3], &xmode);

  int fd = given_fd;
  if (fd < 0) {
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) { napi_value n; napi_get_null(env, &n); return n; }
      return throw_errno(env, errno, "open", dir);
    }
  }
#define CLOSE_OWN() do { if (given_fd < 0) close(fd); } while (0)
  name_list l = {0};
  int listing = names_type == napi_null || names_type == napi_undefined;
  int e = listing ? list_names(fd, &l) : given_names(env, argv[2], &l);
  if (e) { CLOSE_OWN(); free_names(&l); return throw_errno(env, e, listing ? "scandir" : "lstat", dir); }

  napi_value result, fields_ab, fields, inos, xattrs, names = NULL;
  double *f = NULL;
  napi_create_object(env, &result);
  napi_create_arraybuffer(env, (size_t)l.count * FIELDS * sizeof(double), (void **)&f, &fields_ab);
  napi_create_typedarray(env, napi_float64_array, (size_t)l.count * FIELDS, fields_ab, 0, &fields);
  napi_create_array_with_length(env, l.count, &inos);
  napi_create_array_with_length(env, l.count, &xattrs);
  if (listing) napi_create_array_with_length(env, l.count, &names);
  char xbuf[XLIST_GUESS];
  char path[2 * PATH_BUF + 2];

  for (uint32_t i = 0; i < l.count; i++) {
    const char *name = l.buf + l.at[i];
    double *r = f + (size_t)i * FIELDS;
    if (listing) {
      napi_value s;
      napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &s);
      napi_set_element(env, names, i, s);
    }
    struct stat st;
    if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT || errno == ENOTDIR) { memset(r, 0, FIELDS * sizeof *r); continue; }
      e = errno;
      snprintf(path, sizeof path, "%s/%s", dir, name);
      CLOSE_OWN(); free_names(&l);
      return throw_errno(env, e, "lstat", path);
    }
    r[0] = st.st_mode;
    r[1] = st.st_uid;
    r[2] = st.st_gid;
    r[3] = (double)st.st_size;
    r[4] = (double)((long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec) / 1e6;
    r[5] = (double)st.st_nlink;
    r[6] = major(st.st_rdev);
    r[7] = minor(st.st_rdev);
    char ino[48];
    int n = snprintf(ino, sizeof ino, "%llu:%llu", (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
    napi_value s;
    napi_create_string_latin1(env, ino, (size_t)n, &s);
    napi_set_element(env, inos, i, s);

    int whiteout = S_ISCHR(st.st_mode) && st.st_rdev == 0;
    if (xmode == XATTRS_NONE || whiteout || (xmode == XATTRS_DIRS && !S_ISDIR(st.st_mode))) continue;
    char *list;
    ssize_t got = list_xattrs_at(fd, dir, name, path, sizeof path, xbuf, &list);
    if (got < 0) {
      if (errno == ENOTSUP) continue;
      e = errno;
      snprintf(path, sizeof path, "%s/%s", dir, name);
      CLOSE_OWN(); free_names(&l);
      return throw_errno(env, e, "llistxattr", path);
    }
    if (got > 0) {
      napi_create_string_utf8(env, list, (size_t)got - 1, &s); /* without the last NUL */
      napi_set_element(env, xattrs, i, s);
    }
    if (list != xbuf) free(list);
  }
  CLOSE_OWN();
#undef CLOSE_OWN
  free_names(&l);
  if (listing) napi_set_property(env, result, key(env, KEY_NAMES), names);
  napi_set_property(env, result, key(env, KEY_FIELDS), fields);
  napi_set_property(env, result, key(env, KEY_INOS), inos);
  napi_set_property(env, result, key(env, KEY_XATTRS), xattrs);
  return result;
}

/*
 * readFileAt(at, path, target, offset, max): opens the regular file at path
 * (relative to the open directory `at`; never through a final symlink), reads
 * it into target from offset until max bytes or its end (a read that returns
 * max - 1 bytes is taken as the end: the caller passes one more than the size
 * it expects, so a file that grew shows), closes it; the bytes read. -1 where
 * it is absent or a symlink (ENOENT, ENOTDIR, ELOOP).
 */
static napi_value js_read_file_at(napi_env env, napi_callback_info info) {
  ARGS(5);
  int32_t at;
  napi_get_value_int32(env, argv[0], &at);
  PATH_ARG(1, path);
  char *data;
  size_t len;
  if (napi_get_buffer_info(env, argv[2], (void **)&data, &len) != napi_ok) { napi_throw_type_error(env, NULL, "target must be a Buffer"); return NULL; }
  int64_t offset, max;
  napi_get_value_int64(env, argv[3], &offset);
  napi_get_value_int64(env, argv[4], &max);
  if (offset < 0 || max < 1 || (uint64_t)offset + (uint64_t)max > len) { napi_throw_range_error(env, NULL, "offset and max must lie within target"); return NULL; }
  int fd = openat(at, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  napi_value r;
  if (fd < 0) {
    if (errno != ENOENT && errno != ENOTDIR && errno != ELOOP) return throw_errno(env, errno, "open", path);
    napi_create_int32(env, -1, &r);
    return r;
  }
  int64_t n = 0;
  while (n < max - 1) {
    ssize_t got = pread(fd, data + offset + n, (size_t)(max - n), n);
    if (got < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      close(fd);
      return throw_errno(env, e, "read", path);
    }
    if (got == 0) break;
    n += got;
  }
  close(fd);
  napi_create_int64(env, n, &r);
  return r;
}

static void free_keys(napi_env env, void *data, void *hint) {
  (void)hint;
  napi_delete_reference(env, *(napi_ref *)data);
  free(data);
}

void strata_scan_init(napi_env env, napi_value exports) {
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
  napi_property_descriptor props[] = {
    {"lstatDir", NULL, js_lstat_dir, NULL, NULL, NULL, napi_default, NULL},
    {"openDirAt", NULL, js_open_dir_at, NULL, NULL, NULL, napi_default, NULL},
    {"readFileAt", NULL, js_read_file_at, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
