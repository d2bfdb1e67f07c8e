/*
 * One directory's entries lstat'ed into plain C memory (no JavaScript values):
 * what sys.lstatDir answers, made by scan_dir and turned into its JS result by
 * dir_scan_to_js. Shared by lstatDir (strata_scan.c) and the read-ahead walk
 * (strata_scan_ahead.c), which scans on its own thread.
 */
#ifndef STRATA_DIR_SCAN_H
#define STRATA_DIR_SCAN_H
#include <node_api.h>
#include <stddef.h>
#include <stdint.h>

/* Per entry in `fields`: st_mode (0: absent), uid, gid, size, mtime in ms, nlink, rdev major, rdev minor. */
#define FIELDS 8

enum { XATTRS_NONE = 0, XATTRS_DIRS = 1, XATTRS_ALL = 2 };

/* A growing list of NUL-terminated names. */
typedef struct {
  char *buf;
  size_t len, cap;
  size_t *at;
  uint32_t count, slots;
} name_list;

int add_name(name_list *l, const char *name, size_t n);
void free_names(name_list *l);
/* Every name of the directory open at fd but . and .. (getdents64 on fd itself); 0 or an errno. */
int list_names(int fd, name_list *l);
/* Sorts the names by their bytes (strcmp: UTF-8 code point order). */
void sort_names(name_list *l);

/* The entries `names` of one directory, index by index. */
typedef struct {
  name_list names;
  double *fields;               /* FIELDS per name */
  unsigned long long *devino;   /* st_dev, st_ino per name */
  char **xattrs;                /* per name: NULL, or its attribute names (malloc'ed, NUL-separated) */
  size_t *xattr_len;            /* their length without the last NUL */
  /* on failure: the errno, the failing call and the path it named (malloc'ed) */
  int err;
  const char *err_op;
  char *err_path;
} dir_scan;

/*
 * lstats (never through a symlink) each of s->names relative to the
 * directory open at fd, and lists the attribute names `xmode` asks for
 * (XATTRS_*: none, directories', all but whiteouts'); `dir` names the
 * directory in errors and for llistxattr on kernels before 6.13. A name
 * absent (ENOENT, ENOTDIR: a name may be a relative path) gets mode 0.
 * 0, or an errno (s->err_op, s->err_path say where).
 */
int scan_dir(int fd, const char *dir, int xmode, dir_scan *s);
/* Room for ino_text: two 20-digit numbers, ':' and a NUL. */
#define INO_TEXT_MAX 48
/* Entry i's "dev:ino" (as node:fs's `${dev}:${ino}` of bigint stats) into buf; its length, 0 where the entry is absent. */
int ino_text(const dir_scan *s, uint32_t i, char buf[INO_TEXT_MAX]);
/* The failure recorded in s, thrown as throw_errno does (returns NULL). */
napi_value throw_scan_error(napi_env env, dir_scan *s);
/* { names? (with `listing`), fields, inos, xattrs }: lstatDir's result. */
napi_value dir_scan_to_js(napi_env env, dir_scan *s, int listing);
void free_dir_scan(dir_scan *s);
/* Makes the property names dir_scan_to_js uses (once per environment). */
void dir_scan_init(napi_env env);


#endif
