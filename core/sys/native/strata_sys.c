/*
 * strata_sys: the few Linux system calls Node's fs module lacks.
 * Every call acts on the path itself, never on a symlink's target
 * (l*xattr, mknod creates and never follows). Failures throw an Error
 * whose `code` is the errno name (ENOENT, ENODATA, ...), as Node's fs does.
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <sys/mount.h>
#include <fcntl.h>
#include <unistd.h>
#include "strata_sys.h"

#define NAME_BUF 256

static const char *errno_name(int e) {
  switch (e) {
    case ENOENT: return "ENOENT"; case EEXIST: return "EEXIST"; case EPERM: return "EPERM";
    case EACCES: return "EACCES"; case ENODATA: return "ENODATA"; case ENOTSUP: return "ENOTSUP";
    case ERANGE: return "ERANGE"; case E2BIG: return "E2BIG"; case ENOSPC: return "ENOSPC";
    case ENOTDIR: return "ENOTDIR"; case EISDIR: return "EISDIR"; case EINVAL: return "EINVAL";
    case EROFS: return "EROFS"; case EBUSY: return "EBUSY"; case ELOOP: return "ELOOP";
    case ENAMETOOLONG: return "ENAMETOOLONG"; case EDQUOT: return "EDQUOT"; case EIO: return "EIO";
    default: return "EUNKNOWN";
  }
}

napi_value throw_errno(napi_env env, int e, const char *syscall, const char *path) {
  napi_throw(env, errno_error(env, e, syscall, path));
  return NULL;
}

napi_value errno_error(napi_env env, int e, const char *syscall, const char *path) {
  char msg[PATH_BUF + 128];
  snprintf(msg, sizeof msg, "%s: %s, %s '%s'", errno_name(e), strerror(e), syscall, path);
  napi_value code, message, error, errnum, sc;
  napi_create_string_utf8(env, errno_name(e), NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, code, message, &error);
  napi_create_int32(env, -e, &errnum);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sc);
  napi_set_named_property(env, error, "errno", errnum);
  napi_set_named_property(env, error, "syscall", sc);
  return error;
}

int get_string(napi_env env, napi_value v, char *buf, size_t cap) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, buf, cap, &len) != napi_ok) return -1;
  if (len >= cap - 1) return -1;
  return 0;
}

#define XNAME_ARG(i, name) \
  char name[NAME_BUF]; \
  if (get_string(env, argv[i], name, sizeof name)) { napi_throw_type_error(env, NULL, "bad xattr name"); return NULL; }

/* mknod(path, mode, major, minor): mode carries the file type bits (S_IFCHR, ...). */
static napi_value js_mknod(napi_env env, napi_callback_info info) {
  ARGS(4);
  PATH_ARG(0, path);
  uint32_t mode, major, minor;
  napi_get_value_uint32(env, argv[1], &mode);
  napi_get_value_uint32(env, argv[2], &major);
  napi_get_value_uint32(env, argv[3], &minor);
  if (mknod(path, (mode_t)mode, makedev(major, minor)) != 0) return throw_errno(env, errno, "mknod", path);
  return NULL;
}

/* lgetxattr(path, name): Buffer, or null when the attribute is absent. */
static napi_value js_lgetxattr(napi_env env, napi_callback_info info) {
  ARGS(2);
  PATH_ARG(0, path);
  XNAME_ARG(1, name);
  ssize_t size = lgetxattr(path, name, NULL, 0);
  if (size < 0) {
    if (errno == ENODATA || errno == ENOTSUP) { napi_value n; napi_get_null(env, &n); return n; }
    return throw_errno(env, errno, "lgetxattr", path);
  }
  void *data = NULL;
  napi_value buf;
  napi_create_buffer(env, (size_t)size, &data, &buf);
  if (size > 0) {
    ssize_t got = lgetxattr(path, name, data, (size_t)size);
    if (got < 0) return throw_errno(env, errno, "lgetxattr", path);
  }
  return buf;
}

/* lsetxattr(path, name, value: Buffer). */
static napi_value js_lsetxattr(napi_env env, napi_callback_info info) {
  ARGS(3);
  PATH_ARG(0, path);
  XNAME_ARG(1, name);
  void *data; size_t len;
  if (napi_get_buffer_info(env, argv[2], &data, &len) != napi_ok) { napi_throw_type_error(env, NULL, "value must be a Buffer"); return NULL; }
  if (lsetxattr(path, name, data, len, 0) != 0) return throw_errno(env, errno, "lsetxattr", path);
  return NULL;
}

/* llistxattr(path): string[] of attribute names (empty where unsupported). */
static napi_value js_llistxattr(napi_env env, napi_callback_info info) {
  ARGS(1);
  PATH_ARG(0, path);
  napi_value arr;
  napi_create_array(env, &arr);
  ssize_t size = llistxattr(path, NULL, 0);
  if (size < 0) {
    if (errno == ENOTSUP) return arr;
    return throw_errno(env, errno, "llistxattr", path);
  }
  if (size == 0) return arr;
  char *names = malloc((size_t)size);
  if (!names) return throw_errno(env, ENOMEM, "llistxattr", path);
  size = llistxattr(path, names, (size_t)size);
  if (size < 0) { int e = errno; free(names); return throw_errno(env, e, "llistxattr", path); }
  uint32_t idx = 0;
  for (ssize_t off = 0; off < size; ) {
    size_t l = strlen(names + off);
    napi_value s;
    napi_create_string_utf8(env, names + off, l, &s);
    napi_set_element(env, arr, idx++, s);
    off += (ssize_t)l + 1;
  }
  free(names);
  return arr;
}

/* lremovexattr(path, name): absent attributes are not an error. */
static napi_value js_lremovexattr(napi_env env, napi_callback_info info) {
  ARGS(2);
  PATH_ARG(0, path);
  XNAME_ARG(1, name);
  if (lremovexattr(path, name) != 0 && errno != ENODATA) return throw_errno(env, errno, "lremovexattr", path);
  return NULL;
}

/* umount2(path, flags): flags 2 = MNT_DETACH (lazy). */
static napi_value js_umount2(napi_env env, napi_callback_info info) {
  ARGS(2);
  PATH_ARG(0, path);
  int32_t flags;
  napi_get_value_int32(env, argv[1], &flags);
  if (umount2(path, flags) != 0) return throw_errno(env, errno, "umount2", path);
  return NULL;
}

/* mountIn(cwd, source, target, fstype, data): mount(2) with flags 0, run with
 * the process's working directory at cwd for the call (relative paths in data,
 * as overlay's lowerdir, resolve there), then restored. Synchronous: nothing
 * else runs in this thread meanwhile; strata's other file work uses absolute
 * paths. */
static napi_value js_mount_in(napi_env env, napi_callback_info info) {
  ARGS(5);
  PATH_ARG(0, cwd);
  PATH_ARG(1, source);
  PATH_ARG(2, target);
  PATH_ARG(3, fstype);
  char data[PATH_BUF];
  if (get_string(env, argv[4], data, sizeof data)) { napi_throw_type_error(env, NULL, "bad mount data"); return NULL; }
  int here = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (here < 0) return throw_errno(env, errno, "open", ".");
  if (chdir(cwd) != 0) { int e = errno; close(here); return throw_errno(env, e, "chdir", cwd); }
  int failed = mount(source, target, fstype, 0, data) != 0;
  int e = errno;
  if (fchdir(here) != 0) abort(); /* the process would go on in the wrong directory */
  close(here);
  if (failed) return throw_errno(env, e, "mount", target);
  return NULL;
}

/* syncfs(path): Promise<void>. Flushes the whole filesystem that holds path to
 * disk, in a worker thread: one call instead of one fsync per file. */
typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  char path[PATH_BUF];
  int err;
} syncfs_job;

static void syncfs_execute(napi_env env, void *data) {
  (void)env;
  syncfs_job *job = data;
  job->err = 0;
  int fd = open(job->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) { job->err = errno; return; }
  if (syncfs(fd) != 0) job->err = errno;
  close(fd);
}

static void syncfs_complete(napi_env env, napi_status status, void *data) {
  syncfs_job *job = data;
  if (status == napi_ok && job->err == 0) {
    napi_value undef;
    napi_get_undefined(env, &undef);
    napi_resolve_deferred(env, job->deferred, undef);
  } else {
    int e = job->err ? job->err : EIO;
    char msg[PATH_BUF + 128];
    snprintf(msg, sizeof msg, "%s: %s, syncfs '%s'", errno_name(e), strerror(e), job->path);
    napi_value code, message, error;
    napi_create_string_utf8(env, errno_name(e), NAPI_AUTO_LENGTH, &code);
    napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, code, message, &error);
    napi_reject_deferred(env, job->deferred, error);
  }
  napi_delete_async_work(env, job->work);
  free(job);
}

static napi_value js_syncfs(napi_env env, napi_callback_info info) {
  ARGS(1);
  syncfs_job *job = calloc(1, sizeof *job);
  if (!job) return throw_errno(env, ENOMEM, "syncfs", "");
  if (get_string(env, argv[0], job->path, sizeof job->path)) { free(job); napi_throw_type_error(env, NULL, "bad path"); return NULL; }
  napi_value promise, name;
  napi_create_promise(env, &job->deferred, &promise);
  napi_create_string_utf8(env, "strata_syncfs", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, syncfs_execute, syncfs_complete, job, &job->work);
  napi_queue_async_work(env, job->work);
  return promise;
}

/* exitNow(status): _exit(2): the process ends at once, none of Node's or V8's teardown run. */
static napi_value js_exit_now(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t status = 1;
  napi_get_value_int32(env, argv[0], &status);
  _exit(status);
}

/* dup2(from, to): makes descriptor `to` a copy of `from` (a daemon pointing its stdout and stderr at its log). */
static napi_value js_dup2(napi_env env, napi_callback_info info) {
  ARGS(2);
  int32_t from = -1, to = -1;
  napi_get_value_int32(env, argv[0], &from);
  napi_get_value_int32(env, argv[1], &to);
  if (dup2(from, to) < 0) return throw_errno(env, errno, "dup2", "");
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"mknod", NULL, js_mknod, NULL, NULL, NULL, napi_default, NULL},
    {"lgetxattr", NULL, js_lgetxattr, NULL, NULL, NULL, napi_default, NULL},
    {"lsetxattr", NULL, js_lsetxattr, NULL, NULL, NULL, napi_default, NULL},
    {"llistxattr", NULL, js_llistxattr, NULL, NULL, NULL, napi_default, NULL},
    {"lremovexattr", NULL, js_lremovexattr, NULL, NULL, NULL, napi_default, NULL},
    {"umount2", NULL, js_umount2, NULL, NULL, NULL, napi_default, NULL},
    {"mountIn", NULL, js_mount_in, NULL, NULL, NULL, napi_default, NULL},
    {"syncfs", NULL, js_syncfs, NULL, NULL, NULL, napi_default, NULL},
    {"exitNow", NULL, js_exit_now, NULL, NULL, NULL, napi_default, NULL},
    {"dup2", NULL, js_dup2, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  strata_scan_init(env, exports);
  strata_scan_ahead_init(env, exports);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
