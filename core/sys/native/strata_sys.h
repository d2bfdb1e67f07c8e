/* Shared by the strata_sys addon's source files. */
#ifndef STRATA_SYS_H
#define STRATA_SYS_H
#include <node_api.h>

#define PATH_BUF 4096

/* Throws an Error whose code is the errno name (as node:fs does); returns NULL. */
napi_value throw_errno(napi_env env, int e, const char *syscall, const char *path);
/* Copies a JS string into buf as UTF-8; -1 where it is not a string or does not fit. */
int get_string(napi_env env, napi_value v, char *buf, size_t cap);
/* Adds strata_scan.c's functions to the exports. */
void strata_scan_init(napi_env env, napi_value exports);

#endif
