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
// STRATA_KERNEL_DIRS: the kernel keeps directory listings itself (FOPEN_CACHE_DIR, Linux
//   4.20+, which libfuse 2 cannot ask for): the mount's channel marks every successful
//   opendir reply with FOPEN_CACHE_DIR | FOPEN_KEEP_CACHE. The kernel drops a kept
//   listing when the directory changes through the mount or its mtime changes, so this
//   is right for any mount whose layers change only through it.

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
  for (size_t i = 0; i < d->buckets; i++) {
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

// The FUSE protocol's headers (linux/fuse.h), as far as the channel below reads them.
struct strata_in_header { uint32_t len; uint32_t opcode; uint64_t unique; uint64_t nodeid; uint32_t uid, gid, pid, padding; };
struct strata_out_header { uint32_t len; int32_t error; uint64_t unique; };
struct strata_open_out { uint64_t fh; uint32_t open_flags; uint32_t padding; };
#define STRATA_FUSE_OPENDIR 27
#define STRATA_FOPEN_KEEP_CACHE (1 << 1)
#define STRATA_FOPEN_CACHE_DIR (1 << 3)
#define STRATA_OPENDIRS 64

/** The opendir requests received and not yet answered (by unique id), per channel. */
typedef struct {
  pthread_mutex_t lock;
  uint64_t pending[STRATA_OPENDIRS];
} strata_chan_t;

/** As libfuse 2.9's kernel channel: a request from the device, restarting after an interrupted one. */
static int strata_chan_receive (struct fuse_chan **chp, char *buf, size_t size) {
  struct fuse_chan *ch = *chp;
  struct fuse_session *se = fuse_chan_session(ch);
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
  const struct strata_in_header *in = (const struct strata_in_header *) buf;
  if (in->opcode == STRATA_FUSE_OPENDIR) {
    strata_chan_t *c = fuse_chan_data(ch);
    pthread_mutex_lock(&c->lock);
    for (int i = 0; i < STRATA_OPENDIRS; i++) {
      if (c->pending[i] == 0) {
        c->pending[i] = in->unique;
        break;
      }
    }
    pthread_mutex_unlock(&c->lock);
  }
  return res;
}

/** As libfuse 2.9's kernel channel, marking the answer to an opendir as a listing to keep. */
static int strata_chan_send (struct fuse_chan *ch, const struct iovec iov[], size_t count) {
  if (iov == NULL) return 0;
  const struct strata_out_header *out = (const struct strata_out_header *) iov[0].iov_base;
  if (iov[0].iov_len >= sizeof(struct strata_out_header) && out->unique != 0) {
    strata_chan_t *c = fuse_chan_data(ch);
    int opendir = 0;
    pthread_mutex_lock(&c->lock);
    for (int i = 0; i < STRATA_OPENDIRS; i++) {
      if (c->pending[i] == out->unique) {
        c->pending[i] = 0;
        opendir = 1;
        break;
      }
    }
    pthread_mutex_unlock(&c->lock);
    if (opendir && out->error == 0 && count >= 2 && iov[1].iov_len >= sizeof(struct strata_open_out)) {
      ((struct strata_open_out *) iov[1].iov_base)->open_flags |= STRATA_FOPEN_CACHE_DIR | STRATA_FOPEN_KEEP_CACHE;
    }
  }
  ssize_t res = writev(fuse_chan_fd(ch), iov, count);
  int err = errno;
  if (res == -1) {
    if (!fuse_session_exited(fuse_chan_session(ch)) && err != ENOENT) perror("fuse: writing device");
    return -err;
  }
  return 0;
}

static void strata_chan_destroy (struct fuse_chan *ch) {
  int fd = fuse_chan_fd(ch);
  if (fd != -1) close(fd);
  free(fuse_chan_data(ch));
}

/** A channel on kernel's device that does what kernel does, plus STRATA_KERNEL_DIRS; kernel where none can be made. */
static struct fuse_chan *strata_chan (struct fuse_chan *kernel) {
  struct fuse_chan_ops op = { .receive = strata_chan_receive, .send = strata_chan_send, .destroy = strata_chan_destroy };
  strata_chan_t *c = calloc(1, sizeof(strata_chan_t));
  if (c == NULL) return kernel;
  pthread_mutex_init(&c->lock, NULL);
  struct fuse_chan *ch = fuse_chan_new(&op, fuse_chan_fd(kernel), fuse_chan_bufsize(kernel), c);
  if (ch == NULL) {
    free(c);
    return kernel;
  }
  return ch; // kernel stays allocated: destroying it would close the device
}

