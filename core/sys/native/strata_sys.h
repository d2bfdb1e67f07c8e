/* Shared by the strata_sys addon's source files. */
#ifndef STRATA_SYS_H
#define STRATA_SYS_H
#include <node_api.h>

#define PATH_BUF 4096

/* Throws an Error whose code is the errno name (as node:fs does); returns NULL. */
napi_value throw_errno(napi_env env, int e, const char *syscall, const char *path);
/* That error, made but not thrown. */
napi_value errno_error(napi_env env, int e, const char *syscall, const char *path);
/* Copies a JS string into buf as UTF-8; -1 where it is not a string or does not fit. */
int get_string(napi_env env, napi_value v, char *buf, size_t cap);
/* Declares argv[n] from the call's arguments; throws a TypeError and returns NULL when fewer came. */
#define ARGS(n) \
  size_t argc = n; napi_value argv[n]; \
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL); \
  if (argc < n) { napi_throw_type_error(env, NULL, "missing arguments"); return NULL; }

/* Declares char name[PATH_BUF] holding argument i; throws a TypeError and returns NULL when it is no string or too long. */
#define PATH_ARG(i, name) \
  char name[PATH_BUF]; \
  if (get_string(env, argv[i], name, sizeof name)) { napi_throw_type_error(env, NULL, "bad path"); return NULL; }

/* Adds strata_scan.c's functions to the exports. */
void strata_scan_init(napi_env env, napi_value exports);
/* Adds strata_scan_ahead.c's functions to the exports. */
void strata_scan_ahead_init(napi_env env, napi_value exports);

#endif
