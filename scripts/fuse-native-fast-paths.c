// strata: fast paths of fuse-native, inserted into its fuse-native.c by
// scripts/patch-fuse-native.mjs (before fuse_native_mount). They answer calls on the
// libfuse thread that receives them, without the round trip to JavaScript, where the
// answer is known without it. Both are off unless the mount asks (strata_flags, the
// 36th slot of the `implemented` array handed to fuse_native_mount):
//
// STRATA_PREAD_FH: every nonzero file handle the JavaScript open/create answers is a
//   descriptor of the backing file: read is pread(2) on it. A handle of 0 (a mount
//   without an open handler) still goes to JavaScript.
// STRATA_READDIR_CACHE: the names a readdir answered are kept by path and answer the
//   next readdir of that path. The mount must call fuse_native_readdir_cache_clear
//   after every change of its namespace (never, for a read-only mount). A listing
//   computed while a clear happened is not kept (generation check), so a kept listing
//   is never older than the last clear.
// STRATA_KERNEL_DIRS: the kernel keeps directory listings itself and sends no opendir nor
//   releasedir (see strata_chan below; libfuse 2 can ask for neither). The kernel drops a
//   kept listing when the directory changes through the mount or shows a new mtime, so
//   this is right for any mount whose layers change only through it.
// Also with STRATA_KERNEL_DIRS (its channel): a GETATTR without a handle for a node with an
//   open file gets that file's handle (see strata_chan_note), so fstat of a file removed while
//   open reaches fgetattr.

#define STRATA_PREAD_FH 1
#define STRATA_READDIR_CACHE 2
#define STRATA_KERNEL_DIRS 4

typedef struct strata_dir {
  struct strata_dir *next;
  char *path;
  char *names; // count NUL-terminated names, back to back
  uint32_t count;
} strata_dir_t;

struct strata_dirs {
  pthread_mutex_t lock;
  uint64_t gen;
  size_t size;
  size_t buckets;
  strata_dir_t **table;
};

static uint64_t strata_hash (const char *s) {
  uint64_t h = 14695981039346656037ULL;
  while (*s) { h ^= (unsigned char) *s++; h *= 1099511628211ULL; }
  return h;
}

static strata_dirs_t *strata_dirs_new (void) {
  strata_dirs_t *d = calloc(1, sizeof(strata_dirs_t));
  pthread_mutex_init(&d->lock, NULL);
  d->buckets = 1024;
  d->table = calloc(d->buckets, sizeof(strata_dir_t *));
  return d;
}

/** Drops every kept listing; a listing computed across this call is not kept. */
static void strata_dirs_clear (strata_dirs_t *d) {
  pthread_mutex_lock(&d->lock);
  for (size_t i = 0; d->size > 0 && i < d->buckets; i++) { // a change after a change finds nothing to drop
    strata_dir_t *e = d->table[i];
    while (e != NULL) {
      strata_dir_t *next = e->next;
      free(e->path);
      free(e->names);
      free(e);
      e = next;
    }
    d->table[i] = NULL;
  }
  d->size = 0;
  d->gen++;
  pthread_mutex_unlock(&d->lock);
}

static strata_dir_t *strata_dirs_find (strata_dirs_t *d, const char *path) {
  for (strata_dir_t *e = d->table[strata_hash(path) % d->buckets]; e != NULL; e = e->next) {
    if (strcmp(e->path, path) == 0) return e;
  }
  return NULL;
}

static void strata_dirs_grow (strata_dirs_t *d) {
  size_t buckets = d->buckets * 2;
  strata_dir_t **table = calloc(buckets, sizeof(strata_dir_t *));
  if (table == NULL) return;
  for (size_t i = 0; i < d->buckets; i++) {
    strata_dir_t *e = d->table[i];
    while (e != NULL) {
      strata_dir_t *next = e->next;
      size_t b = strata_hash(e->path) % buckets;
      e->next = table[b];
      table[b] = e;
      e = next;
    }
  }
  free(d->table);
  d->table = table;
  d->buckets = buckets;
}

/** Keeps the names a JavaScript readdir answered for l->path (main thread, in its signal). */
static void strata_readdir_store (napi_env env, fuse_thread_locals_t *l, napi_value names, int32_t res) {
  strata_dirs_t *d = l->fuse->strata_dirs;
  if (d == NULL || res != 0) return;
  uint32_t count;
  if (napi_get_array_length(env, names, &count) != napi_ok) return;
  size_t total = 0;
  for (uint32_t i = 0; i < count; i++) {
    napi_value v;
    size_t len;
    if (napi_get_element(env, names, i, &v) != napi_ok || napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return;
    total += len + 1;
  }
  char *blob = malloc(total > 0 ? total : 1);
  if (blob == NULL) return;
  char *at = blob;
  for (uint32_t i = 0; i < count; i++) {
    napi_value v;
    size_t len;
    napi_get_element(env, names, i, &v);
    napi_get_value_string_utf8(env, v, at, blob + total - at, &len);
    at += len + 1;
  }
  pthread_mutex_lock(&d->lock);
  if (d->gen != l->strata_gen || strata_dirs_find(d, l->path) != NULL) {
    pthread_mutex_unlock(&d->lock);
    free(blob);
    return;
  }
  strata_dir_t *e = malloc(sizeof(strata_dir_t));
  char *path = strdup(l->path);
  if (e == NULL || path == NULL) {
    pthread_mutex_unlock(&d->lock);
    free(e);
    free(path);
    free(blob);
    return;
  }
  if (d->size >= d->buckets * 2) strata_dirs_grow(d);
  size_t b = strata_hash(path) % d->buckets;
  e->path = path;
  e->names = blob;
  e->count = count;
  e->next = d->table[b];
  d->table[b] = e;
  d->size++;
  pthread_mutex_unlock(&d->lock);
}

static int strata_readdir (const char *path, void *buf, fuse_fill_dir_t filler, off_t offset, struct fuse_file_info *info) {
  fuse_thread_t *ft = (fuse_thread_t *) fuse_get_context()->private_data;
  strata_dirs_t *d = ft->strata_dirs;
  if (path == NULL) return -ENOENT; // a removed directory (nullpath_ok): nothing to key a listing by
  if (d != NULL) {
    pthread_mutex_lock(&d->lock);
    strata_dir_t *e = strata_dirs_find(d, path);
    if (e != NULL) {
      const char *name = e->names;
      for (uint32_t i = 0; i < e->count; i++) {
        if (filler(buf, name, NULL, 0) == 1) break;
        name += strlen(name) + 1;
      }
      pthread_mutex_unlock(&d->lock);
      return 0;
    }
    uint64_t gen = d->gen;
    pthread_mutex_unlock(&d->lock);
    get_thread_locals()->strata_gen = gen;
  }
  return fuse_native_readdir(path, buf, filler, offset, info);
}

static int strata_read (const char *path, char *buf, size_t len, off_t offset, struct fuse_file_info *info) {
  fuse_thread_t *ft = (fuse_thread_t *) fuse_get_context()->private_data;
  if ((ft->strata_flags & STRATA_PREAD_FH) && info != NULL && info->fh != 0) {
    size_t done = 0;
    while (done < len) {
      ssize_t n = pread((int) info->fh, buf + done, len - done, offset + done);
      if (n < 0) {
        if (errno == EINTR) continue;
        return done > 0 ? (int) done : -errno;
      }
      if (n == 0) break;
      done += n;
    }
    return (int) done;
  }
  return fuse_native_read(path, buf, len, offset, info);
}

NAPI_METHOD(fuse_native_readdir_cache_clear) {
  NAPI_ARGV(1)
  NAPI_ARGV_BUFFER_CAST(fuse_thread_t *, ft, 0);
  if (ft->strata_dirs != NULL) strata_dirs_clear(ft->strata_dirs);
  return NULL;
}

// STRATA_KERNEL_DIRS: a channel between libfuse and the device. It answers every
// OPENDIR with ENOSYS itself, so the kernel sends no more OPENDIR nor RELEASEDIR
// (no_opendir, Linux 5.1+) and keeps directory listings in its page cache (without an
// opendir, a directory is FOPEN_CACHE_DIR | FOPEN_KEEP_CACHE): a warm readdir never
// leaves the kernel. libfuse 2's readdir needs the handle its opendir makes, so a
// READDIR that comes with handle 0 (a listing the kernel does not hold) is passed on
// between a made-up OPENDIR and RELEASEDIR of the same node, whose answers stay here.
// FSYNCDIR, which also needs that handle, is answered ENOSYS here (as libfuse does for a
// mount without an fsyncdir handler). Only for a handler table without opendir,
// releasedir and fsyncdir (fuse_native_mount checks).
//
// Holds. The kernel pins a node while a request of its own names it, and sends no request
// naming a node after its FORGET; nor a request with a handle after that handle's RELEASE.
// The channel's own requests are not pinned that way: the made-up RELEASEDIR runs after the
// kernel has its READDIR's answer, when the directory may already be removed and forgotten
// (libfuse 2 then aborts: "fuse internal error: node N not found"), and a GETATTR given an open
// file's handle (below) may run after that file's RELEASE has closed the handle. So each such
// request holds its node (a listing: from the made-up OPENDIR to the RELEASEDIR's answer) or its
// handle (a GETATTR: to its answer); a FORGET or BATCH_FORGET naming a held node, or a RELEASE
// of a held handle, waits in `deferred` until the hold ends, as if the kernel had sent it later.

// The FUSE protocol's messages (linux/fuse.h), as far as the channel reads or makes them.
struct strata_in_header { uint32_t len; uint32_t opcode; uint64_t unique; uint64_t nodeid; uint32_t uid, gid, pid, padding; };
struct strata_out_header { uint32_t len; int32_t error; uint64_t unique; };
struct strata_open_in { uint32_t flags; uint32_t open_flags; };
struct strata_open_out { uint64_t fh; uint32_t open_flags; uint32_t padding; };
struct strata_read_in { uint64_t fh; uint64_t offset; uint32_t size; uint32_t read_flags; uint64_t lock_owner; uint32_t flags; uint32_t padding; };
struct strata_release_in { uint64_t fh; uint32_t flags; uint32_t release_flags; uint64_t lock_owner; };
#define STRATA_FUSE_READDIR 28
#define STRATA_FUSE_OPENDIR 27
#define STRATA_FUSE_RELEASEDIR 29
#define STRATA_FUSE_FSYNCDIR 30
#define STRATA_FUSE_FORGET 2
#define STRATA_FUSE_BATCH_FORGET 42
struct strata_batch_forget_in { uint32_t count; uint32_t dummy; };
struct strata_forget_one { uint64_t nodeid; uint64_t nlookup; };
struct strata_releasedir { struct strata_in_header in; struct strata_release_in release; };
// Unique ids of made-up requests: the kernel's own never reach these bits.
#define STRATA_MADE_OPENDIR (1ULL << 62)
#define STRATA_MADE_RELEASEDIR (1ULL << 61)

/** A request for libfuse (the made-up ones), or a READDIR waiting for its handle. */
typedef struct strata_msg {
  struct strata_msg *next;
  uint64_t key; // the unique id whose answer moves it on
  size_t len;
  char data[];
} strata_msg_t;

// Open files by node, so that fstat(2) of a file removed while open (the mount's hard_remove)
// works: the kernel sends fstat's GETATTR without a handle, and libfuse 2 finds no path for a
// removed node (ENOENT). The channel notes the handle each OPEN / CREATE answered for its node
// and hands a GETATTR without a handle the node's latest handle still open (FUSE_GETATTR_FH):
// libfuse then calls fgetattr with it (path NULL for a removed file, nullpath_ok). RELEASE
// drops the handle.
#define STRATA_FUSE_GETATTR 3
#define STRATA_FUSE_OPEN 14
#define STRATA_FUSE_RELEASE 18
#define STRATA_FUSE_CREATE 35
#define STRATA_GETATTR_FH 1
#define STRATA_OPEN_BUCKETS 1024
struct strata_getattr_in { uint32_t getattr_flags; uint32_t dummy; uint64_t fh; };

/** An open handle of a node; or, in `pending`, an OPEN (nodeid) or CREATE (nodeid 0) awaiting its answer, keyed by unique in fh. */
typedef struct strata_open {
  struct strata_open *next;
  uint64_t nodeid;
  uint64_t fh;
} strata_open_t;

/** A node (handle 0) or a node's handle that a request of the channel's uses until the answer to key (see Holds above). */
typedef struct strata_hold {
  struct strata_hold *next;
  uint64_t key;    // a listing's: the unique of the kernel's READDIR; a GETATTR's: its unique
  uint64_t nodeid;
  int handle;      // holds the handle fh, not the node
  uint64_t fh;
} strata_hold_t;

typedef struct {
  pthread_mutex_t lock;
  strata_msg_t *ready;      // requests to hand libfuse before reading the device again
  strata_msg_t *waiting;    // READDIRs, by the unique of the OPENDIR made up for them
  strata_msg_t *releasing;  // RELEASEDIRs to make, by the unique of the READDIR answered
  strata_msg_t *deferred;   // FORGETs and RELEASEs waiting for a hold to end, in the order read
  strata_hold_t *holds;
  useconds_t release_delay_us; // see strata_chan
  strata_open_t *pending;   // OPENs and CREATEs not answered yet
  strata_open_t *opens[STRATA_OPEN_BUCKETS]; // open handles by node, latest first
} strata_chan_t;

static strata_hold_t *strata_hold_new (uint64_t key, uint64_t nodeid, int handle, uint64_t fh) {
  strata_hold_t *h = malloc(sizeof(strata_hold_t));
  if (h == NULL) return NULL;
  h->next = NULL;
  h->key = key;
  h->nodeid = nodeid;
  h->handle = handle;
  h->fh = fh;
  return h;
}

/** Whether the request in buf must wait for a hold (caller holds the lock): a FORGET or BATCH_FORGET of a held node, a RELEASE of a held handle. */
static int strata_chan_held (strata_chan_t *c, const char *buf, size_t len) {
  const struct strata_in_header *in = (const struct strata_in_header *) buf;
  for (strata_hold_t *h = c->holds; h != NULL; h = h->next) {
    if (in->opcode == STRATA_FUSE_FORGET && !h->handle && h->nodeid == in->nodeid) return 1;
    if (in->opcode == STRATA_FUSE_RELEASE && h->handle && h->nodeid == in->nodeid && len >= sizeof(*in) + sizeof(struct strata_release_in) &&
        h->fh == ((const struct strata_release_in *) (in + 1))->fh) return 1;
    if (in->opcode == STRATA_FUSE_BATCH_FORGET && !h->handle && len >= sizeof(*in) + sizeof(struct strata_batch_forget_in)) {
      const struct strata_batch_forget_in *batch = (const struct strata_batch_forget_in *) (in + 1);
      const struct strata_forget_one *one = (const struct strata_forget_one *) (batch + 1);
      size_t fit = (len - sizeof(*in) - sizeof(*batch)) / sizeof(*one);
      for (size_t i = 0; i < batch->count && i < fit; i++) {
        if (one[i].nodeid == h->nodeid) return 1;
      }
    }
  }
  return 0;
}

static void strata_msg_push (strata_msg_t **list, strata_msg_t *m);

/** Ends the holds of key of the kind handle (caller holds the lock), and readies the deferred requests no hold keeps any more, in their order. */
static void strata_chan_unhold (strata_chan_t *c, uint64_t key, int handle) {
  for (strata_hold_t **at = &c->holds; *at != NULL;) {
    if ((*at)->key == key && (*at)->handle == handle) {
      strata_hold_t *gone = *at;
      *at = gone->next;
      free(gone);
    } else {
      at = &(*at)->next;
    }
  }
  for (strata_msg_t **at = &c->deferred; *at != NULL;) {
    if (strata_chan_held(c, (*at)->data, (*at)->len)) {
      at = &(*at)->next;
      continue;
    }
    strata_msg_t *m = *at;
    *at = m->next;
    m->next = NULL;
    strata_msg_push(&c->ready, m);
  }
}

/** Notes OPEN / CREATE requests and RELEASEs, and gives a GETATTR without a handle its node's open one (see above). */
static void strata_chan_note (strata_chan_t *c, char *buf, size_t len) {
  struct strata_in_header *in = (struct strata_in_header *) buf;
  if (in->opcode == STRATA_FUSE_OPEN || in->opcode == STRATA_FUSE_CREATE) {
    strata_open_t *p = malloc(sizeof(strata_open_t));
    if (p == NULL) return;
    p->nodeid = in->opcode == STRATA_FUSE_OPEN ? in->nodeid : 0;
    p->fh = in->unique;
    pthread_mutex_lock(&c->lock);
    p->next = c->pending;
    c->pending = p;
    pthread_mutex_unlock(&c->lock);
  } else if (in->opcode == STRATA_FUSE_RELEASE && len >= sizeof(*in) + sizeof(struct strata_release_in)) {
    uint64_t fh = ((struct strata_release_in *) (in + 1))->fh;
    pthread_mutex_lock(&c->lock);
    for (strata_open_t **at = &c->opens[in->nodeid % STRATA_OPEN_BUCKETS]; *at != NULL; at = &(*at)->next) {
      if ((*at)->nodeid == in->nodeid && (*at)->fh == fh) {
        strata_open_t *gone = *at;
        *at = gone->next;
        free(gone);
        break;
      }
    }
    pthread_mutex_unlock(&c->lock);
  } else if (in->opcode == STRATA_FUSE_GETATTR && len >= sizeof(*in) + sizeof(struct strata_getattr_in)) {
    struct strata_getattr_in *g = (struct strata_getattr_in *) (in + 1);
    if (g->getattr_flags & STRATA_GETATTR_FH) return;
    pthread_mutex_lock(&c->lock);
    for (strata_open_t *o = c->opens[in->nodeid % STRATA_OPEN_BUCKETS]; o != NULL; o = o->next) {
      if (o->nodeid == in->nodeid) {
        strata_hold_t *h = strata_hold_new(in->unique, in->nodeid, 1, o->fh);
        if (h == NULL) break; // no hold, no handle: the GETATTR goes by path
        h->next = c->holds;
        c->holds = h;
        g->getattr_flags |= STRATA_GETATTR_FH;
        g->fh = o->fh;
        break;
      }
    }
    pthread_mutex_unlock(&c->lock);
  }
}

/** An answer to unique (caller holds the lock): where it answers a noted OPEN / CREATE with a handle, notes the handle of its node. */
static void strata_chan_opened (strata_chan_t *c, uint64_t unique, int32_t error, const struct iovec iov[], size_t count) {
  strata_open_t *p = NULL;
  for (strata_open_t **at = &c->pending; *at != NULL; at = &(*at)->next) {
    if ((*at)->fh == unique) {
      p = *at;
      *at = p->next;
      break;
    }
  }
  if (p == NULL) return;
  // The answer's handle ends it (fuse_open_out: fh, open_flags, padding); a CREATE's starts with its node.
  size_t need = sizeof(uint64_t) * 2 + (p->nodeid == 0 ? sizeof(uint64_t) : 0);
  if (error != 0 || count < 2 || iov[1].iov_len < need) {
    free(p);
    return;
  }
  const char *arg = (const char *) iov[1].iov_base;
  if (p->nodeid == 0) memcpy(&p->nodeid, arg, sizeof(uint64_t));
  memcpy(&p->fh, arg + iov[1].iov_len - 2 * sizeof(uint64_t), sizeof(uint64_t));
  strata_open_t **bucket = &c->opens[p->nodeid % STRATA_OPEN_BUCKETS];
  p->next = *bucket;
  *bucket = p;
}

static strata_msg_t *strata_msg_new (uint64_t key, const void *data, size_t len) {
  strata_msg_t *m = malloc(sizeof(strata_msg_t) + len);
  if (m == NULL) return NULL;
  m->next = NULL;
  m->key = key;
  m->len = len;
  memcpy(m->data, data, len);
  return m;
}

/** Takes the message keyed key out of list (caller holds the lock); NULL where none. */
static strata_msg_t *strata_msg_take (strata_msg_t **list, uint64_t key) {
  for (strata_msg_t **at = list; *at != NULL; at = &(*at)->next) {
    if ((*at)->key == key) {
      strata_msg_t *m = *at;
      *at = m->next;
      m->next = NULL;
      return m;
    }
  }
  return NULL;
}

static void strata_msg_push (strata_msg_t **list, strata_msg_t *m) {
  while (*list != NULL) list = &(*list)->next;
  *list = m;
}

static int strata_chan_write (struct fuse_chan *ch, const struct iovec iov[], size_t count) {
  ssize_t res = writev(fuse_chan_fd(ch), iov, count);
  int err = errno;
  if (res == -1) {
    if (!fuse_session_exited(fuse_chan_session(ch)) && err != ENOENT) perror("fuse: writing device");
    return -err;
  }
  return 0;
}

static void strata_chan_error (struct fuse_chan *ch, uint64_t unique, int error) {
  struct strata_out_header out = { sizeof(out), -error, unique };
  struct iovec iov = { &out, sizeof(out) };
  strata_chan_write(ch, &iov, 1);
}

/** A request for libfuse: a made-up one first, else the next from the device (as libfuse 2.9's kernel channel). */
static int strata_chan_receive (struct fuse_chan **chp, char *buf, size_t size) {
  struct fuse_chan *ch = *chp;
  struct fuse_session *se = fuse_chan_session(ch);
  strata_chan_t *c = fuse_chan_data(ch);
  for (;;) {
    pthread_mutex_lock(&c->lock);
    strata_msg_t *m = c->ready;
    if (m != NULL && m->len <= size) c->ready = m->next;
    else m = NULL;
    pthread_mutex_unlock(&c->lock);
    if (m != NULL) {
      size_t len = m->len;
      memcpy(buf, m->data, len);
      free(m);
      return (int) len;
    }
    ssize_t res;
    int err;
    do {
      res = read(fuse_chan_fd(ch), buf, size);
      err = errno;
    } while (res == -1 && err == ENOENT && !fuse_session_exited(se));
    if (fuse_session_exited(se)) return 0;
    if (res == -1) {
      if (err == ENODEV) {
        fuse_session_exit(se);
        return 0;
      }
      if (err != EINTR && err != EAGAIN) perror("fuse: reading device");
      return -err;
    }
    if ((size_t) res < sizeof(struct strata_in_header)) {
      fprintf(stderr, "short read on fuse device\n");
      return -EIO;
    }
    struct strata_in_header *in = (struct strata_in_header *) buf;
    strata_chan_note(c, buf, (size_t) res);
    if (in->opcode == STRATA_FUSE_FORGET || in->opcode == STRATA_FUSE_BATCH_FORGET || in->opcode == STRATA_FUSE_RELEASE) {
      pthread_mutex_lock(&c->lock);
      strata_msg_t *later = c->holds != NULL && strata_chan_held(c, buf, (size_t) res) ? strata_msg_new(0, buf, res) : NULL;
      if (later != NULL) strata_msg_push(&c->deferred, later);
      pthread_mutex_unlock(&c->lock);
      if (later != NULL) continue;
      // Where no copy could be made, the request goes on now: as before holds, rather than lost.
    }
    // No handle, no fsyncdir: libfuse 2 would follow a null handle; ENOSYS is what it answers
    // with one (no fsyncdir handler), and makes the kernel stop asking.
    if (in->opcode == STRATA_FUSE_OPENDIR || in->opcode == STRATA_FUSE_FSYNCDIR) {
      strata_chan_error(ch, in->unique, ENOSYS);
      continue;
    }
    if (in->opcode == STRATA_FUSE_READDIR && (size_t) res >= sizeof(*in) + sizeof(struct strata_read_in) &&
        ((struct strata_read_in *) (in + 1))->fh == 0) {
      uint64_t made = in->unique | STRATA_MADE_OPENDIR;
      struct strata_releasedir rel;
      memset(&rel, 0, sizeof(rel));
      rel.in = *in;
      rel.in.len = sizeof(rel);
      rel.in.opcode = STRATA_FUSE_RELEASEDIR;
      rel.in.unique = in->unique | STRATA_MADE_RELEASEDIR;
      strata_msg_t *readdir = strata_msg_new(made, buf, res);
      strata_msg_t *release = strata_msg_new(in->unique, &rel, sizeof(rel)); // its handle comes with the OPENDIR's answer
      strata_hold_t *hold = strata_hold_new(in->unique, in->nodeid, 0, 0);
      if (readdir == NULL || release == NULL || hold == NULL) {
        free(readdir);
        free(release);
        free(hold);
        strata_chan_error(ch, in->unique, ENOMEM);
        continue;
      }
      pthread_mutex_lock(&c->lock);
      strata_msg_push(&c->waiting, readdir);
      strata_msg_push(&c->releasing, release);
      hold->next = c->holds;
      c->holds = hold;
      pthread_mutex_unlock(&c->lock);
      struct strata_open_in open = { 0, 0 };
      in->len = sizeof(*in) + sizeof(open);
      in->opcode = STRATA_FUSE_OPENDIR;
      in->unique = made;
      memcpy(in + 1, &open, sizeof(open));
      return (int) in->len;
    }
    return (int) res;
  }
}

/** An answer for the kernel, except those to made-up requests, which move the READDIR they serve on. */
static int strata_chan_send (struct fuse_chan *ch, const struct iovec iov[], size_t count) {
  if (iov == NULL || count == 0 || iov[0].iov_len < sizeof(struct strata_out_header)) return strata_chan_write(ch, iov, count);
  const struct strata_out_header *out = (const struct strata_out_header *) iov[0].iov_base;
  strata_chan_t *c = fuse_chan_data(ch);
  if (out->unique & STRATA_MADE_RELEASEDIR) {
    pthread_mutex_lock(&c->lock);
    strata_chan_unhold(c, out->unique & ~STRATA_MADE_RELEASEDIR, 0);
    pthread_mutex_unlock(&c->lock);
    return 0;
  }
  if (out->unique & STRATA_MADE_OPENDIR) {
    uint64_t key = out->unique & ~STRATA_MADE_OPENDIR; // the READDIR's unique
    pthread_mutex_lock(&c->lock);
    strata_msg_t *readdir = strata_msg_take(&c->waiting, out->unique);
    strata_msg_t *release = strata_msg_take(&c->releasing, key);
    int opened = readdir != NULL && release != NULL && out->error == 0 && count >= 2 && iov[1].iov_len >= sizeof(struct strata_open_out);
    if (opened) {
      uint64_t fh = ((const struct strata_open_out *) iov[1].iov_base)->fh;
      ((struct strata_read_in *) (((struct strata_in_header *) readdir->data) + 1))->fh = fh;
      ((struct strata_releasedir *) release->data)->release.fh = fh;
      strata_msg_push(&c->releasing, release);
      readdir->key = 0;
      strata_msg_push(&c->ready, readdir);
    } else {
      strata_chan_unhold(c, key, 0); // no handle was made: nothing to release
    }
    pthread_mutex_unlock(&c->lock);
    if (!opened) {
      if (readdir != NULL) strata_chan_error(ch, key, out->error != 0 ? -out->error : EIO);
      free(readdir);
      free(release);
    }
    return 0;
  }
  pthread_mutex_lock(&c->lock);
  if (c->pending != NULL) strata_chan_opened(c, out->unique, out->error, iov, count);
  pthread_mutex_unlock(&c->lock);
  int res = strata_chan_write(ch, iov, count);
  pthread_mutex_lock(&c->lock);
  strata_msg_t *release = c->releasing == NULL ? NULL : strata_msg_take(&c->releasing, out->unique);
  if (release != NULL && c->release_delay_us > 0) {
    pthread_mutex_unlock(&c->lock);
    usleep(c->release_delay_us);
    pthread_mutex_lock(&c->lock);
  }
  if (release != NULL) strata_msg_push(&c->ready, release);
  if (c->holds != NULL) strata_chan_unhold(c, out->unique, 1);
  pthread_mutex_unlock(&c->lock);
  return res;
}

static void strata_chan_destroy (struct fuse_chan *ch) {
  int fd = fuse_chan_fd(ch);
  if (fd != -1) close(fd);
  strata_chan_t *c = fuse_chan_data(ch);
  strata_msg_t *lists[] = { c->ready, c->waiting, c->releasing, c->deferred };
  for (int i = 0; i < 4; i++) {
    for (strata_msg_t *m = lists[i]; m != NULL;) {
      strata_msg_t *next = m->next;
      free(m);
      m = next;
    }
  }
  for (strata_hold_t *h = c->holds; h != NULL;) {
    strata_hold_t *next = h->next;
    free(h);
    h = next;
  }
  for (int i = 0; i <= STRATA_OPEN_BUCKETS; i++) {
    for (strata_open_t *o = i == STRATA_OPEN_BUCKETS ? c->pending : c->opens[i]; o != NULL;) {
      strata_open_t *next = o->next;
      free(o);
      o = next;
    }
  }
  free(c);
}

/** A channel on kernel's device that does what kernel does, plus STRATA_KERNEL_DIRS; kernel where none can be made. */
static struct fuse_chan *strata_chan (struct fuse_chan *kernel) {
  struct fuse_chan_ops op = { .receive = strata_chan_receive, .send = strata_chan_send, .destroy = strata_chan_destroy };
  strata_chan_t *c = calloc(1, sizeof(strata_chan_t));
  if (c == NULL) return kernel;
  pthread_mutex_init(&c->lock, NULL);
  // Fault injection for tests: a pause (µs) between a READDIR's answer and the readying of its
  // made-up RELEASEDIR, which widens the window in which the kernel may forget the directory.
  const char *delay = getenv("STRATA_FUSE_TEST_RELEASEDIR_DELAY_US");
  if (delay != NULL) c->release_delay_us = (useconds_t) strtoul(delay, NULL, 10);
  struct fuse_chan *ch = fuse_chan_new(&op, fuse_chan_fd(kernel), fuse_chan_bufsize(kernel), c);
  if (ch == NULL) {
    free(c);
    return kernel;
  }
  return ch; // kernel stays allocated: destroying it would close the device
}

