/*
 * strata_scan: lstatDir (one directory's entries lstat'ed in one call, by
 * strata_dir_scan.c), openDirAt and readFileAt, for walks that look at
 * thousands of entries (core/union's native diff). Never follows a symlink.
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "strata_sys.h"
#include "strata_dir_scan.h"

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
  dir_scan s = {0};
  int listing = names_type == napi_null || names_type == napi_undefined;
  int e = listing ? list_names(fd, &s.names) : given_names(env, argv[2], &s.names);
  if (!e) e = scan_dir(fd, dir, xmode, &s);
  if (given_fd < 0) close(fd);
  napi_value result;
  if (e && s.err_op == NULL) result = throw_errno(env, e, listing ? "scandir" : "lstat", dir);
  else if (e) result = throw_scan_error(env, &s);
  else result = dir_scan_to_js(env, &s, listing);
  free_dir_scan(&s);
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

void strata_scan_init(napi_env env, napi_value exports) {
  dir_scan_init(env);
  napi_property_descriptor props[] = {
    {"lstatDir", NULL, js_lstat_dir, NULL, NULL, NULL, napi_default, NULL},
    {"openDirAt", NULL, js_open_dir_at, NULL, NULL, NULL, napi_default, NULL},
    {"readFileAt", NULL, js_read_file_at, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
