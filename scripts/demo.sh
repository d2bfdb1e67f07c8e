#!/usr/bin/env bash
# strata demo: builds the seed tutorials' hello-world image from its Dockerfile
# and runs it, imports a second image sharing its layer, and shows images,
# history, inspect, system df and rmi; then
# builds a 3-layer stack with GNU tar and shows the layer engine. Run by
# `npm run demo` (which builds first).
#
# The store: $STRATA_ROOT if set, else the default store's `demo` sub-store
# (/var/lib/strata/demo as root, ~/.local/share/strata/demo otherwise). The demo
# wipes it first so reruns start clean — but only a directory it made itself.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cli="$repo/dist/bundle/cli/main.js"
[ -f "$cli" ] || { echo "demo: $cli is missing; run 'npm run build' first" >&2; exit 1; }

if [ -z "${STRATA_ROOT:-}" ]; then
  if [ "$(id -u)" = 0 ]; then STRATA_ROOT=/var/lib/strata/demo
  else STRATA_ROOT="${XDG_DATA_HOME:-$HOME/.local/share}/strata/demo"; fi
fi
export STRATA_ROOT
marker="$STRATA_ROOT/.strata-demo"

strata() { node "$cli" "$@"; }
if [ -t 1 ]; then bold=$'\033[1m' blue=$'\033[1;34m' plain=$'\033[0m'; else bold='' blue='' plain=''; fi
# Shows a command line (as given), without running it.
show() { printf '\n%s$ %s%s\n' "$bold" "$*" "$plain"; }
# Shows a command, then runs it.
run() { show "$*"; "$@"; }
section() { printf '\n%s== %s%s\n' "$blue" "$*" "$plain"; }

# --- a fresh store -----------------------------------------------------------
if [ -d "$STRATA_ROOT" ] && [ -n "$(ls -A "$STRATA_ROOT")" ] && [ ! -e "$marker" ]; then
  echo "demo: $STRATA_ROOT holds a store the demo did not make; set STRATA_ROOT to an empty or new directory" >&2
  exit 1
fi
if [ -d "$STRATA_ROOT" ]; then
  # A previous run may have left mounts inside the store: take them down first.
  awk -v root="$STRATA_ROOT/" 'index($2, root) == 1 { print $2 }' /proc/self/mounts | sort -r |
    while read -r mnt; do umount "$mnt" 2>/dev/null || umount -l "$mnt"; done
  rm -rf "$STRATA_ROOT"
fi
mkdir -p "$STRATA_ROOT"
touch "$marker"

work="$(mktemp -d "${TMPDIR:-/tmp}/strata-demo.XXXXXX")"
trap 'rm -rf "$work"' EXIT
# Fixed owners and times: the same tarballs, and so the same ids, on every run.
tarc() { tar --numeric-owner --owner=0 --group=0 --sort=name --mtime='2025-01-01 00:00Z' -C "$1" -cf "$2" "${@:3}"; }

# --- images: the seed tutorials' hello-world -----------------------------------
section "The seed tutorial's hello-world: FROM scratch, ADD hello /, CMD [\"/hello\"]"
mkdir -p "$work/hello"
node --input-type=module -e "const m = await import('$repo/dist/demo/hello-elf.js'); (await import('node:fs')).writeFileSync('$work/hello/hello', m.helloElf(process.arch === 'arm64' ? 'arm64' : 'amd64'), { mode: 0o755 });"
printf 'FROM scratch\nADD hello /\nCMD ["/hello"]\n' >"$work/hello/Dockerfile"
show 'cat Dockerfile'
cat "$work/hello/Dockerfile"
run strata build -t hello "$work/hello"
if [ "$(id -u)" = 0 ]; then
  run strata run --rm hello
else
  echo "(strata run needs root: the built-in runner uses mount and PID namespaces)"
fi
node -e "import('$repo/dist/demo/hello-elf.js').then((m) => m.helloRootfsTar(process.arch === 'arm64' ? 'arm64' : 'amd64').pipe(process.stdout))" >"$work/hello.tar"
run strata import -c 'CMD ["/hello"]' -c 'ENV GREETING=hi' -m 'hello, with a greeting' "$work/hello.tar" hello-env:v1
run strata tag hello hello:seed
run strata images
run strata history hello-env:v1
show 'strata inspect hello | head -24'
strata inspect hello | head -24
run strata system df -v
run strata rmi hello:seed
run strata rmi hello-env:v1
run strata images
run strata layer ls

# --- build: the seed tutorials' hello-world Dockerfile ---------------------------
section "Building the seeds' hello-world Dockerfile (FROM scratch, ADD hello /, CMD)"
mkdir -p "$work/hello-build"
node -e "import('$repo/dist/demo/hello-elf.js').then((m) => process.stdout.write(m.helloElf(process.arch === 'arm64' ? 'arm64' : 'amd64')))" >"$work/hello-build/hello"
chmod 0755 "$work/hello-build/hello"
printf 'FROM scratch\nADD hello /\nCMD ["/hello"]\n' >"$work/hello-build/Dockerfile"
show 'cat Dockerfile'
cat "$work/hello-build/Dockerfile"
run strata build -t hello-built "$work/hello-build"
run strata build -t hello-built "$work/hello-build"
if [ "$(id -u)" = 0 ]; then run strata run --rm hello-built; fi
run strata history hello-built

# --- three layers, made with GNU tar ------------------------------------------
section "Building three layer tarballs with GNU tar in $work"
b="$work/base"
mkdir -p "$b/etc" "$b/usr/bin" "$b/var/log" "$b/srv/www/img"
printf 'NAME="demo linux"\nVERSION_ID=1\n' >"$b/etc/os-release"
printf 'Welcome to the base image.\n' >"$b/etc/motd"
printf '#!/bin/sh\necho hello from the base layer\n' >"$b/usr/bin/hello"
chmod 0755 "$b/usr/bin/hello"
printf 'old log line\n' >"$b/var/log/old.log"
printf '<h1>base site</h1>\n' >"$b/srv/www/index.html"
printf 'not really a png\n' >"$b/srv/www/img/logo.png"
tarc "$b" "$work/base.tar" .
gzip -kn "$work/base.tar"
echo "base.tar.gz:  the base system ($(tar -tf "$work/base.tar" | wc -l) entries, gzip)"

a="$work/app"
mkdir -p "$a/etc" "$a/var/log" "$a/app"
printf 'Welcome to the app image.\n' >"$a/etc/motd"          # modifies
: >"$a/var/log/.wh.old.log"                                  # deletes (OCI whiteout)
printf 'console.log("serving");\n' >"$a/app/server.js"         # adds
printf '{"port": 8080}\n' >"$a/app/config.json"                # adds
tarc "$a" "$work/app.tar" ./etc/motd ./var/log/.wh.old.log ./app
echo "app.tar:      changes /etc/motd, deletes /var/log/old.log, adds /app"

c="$work/config"
mkdir -p "$c/app/data" "$c/srv/www"
printf '{"port": 9090, "debug": true}\n' >"$c/app/config.json" # modifies
printf 'seed\n' >"$c/app/data/seed.txt"                        # adds
: >"$c/srv/www/.wh..wh..opq"                                   # hides every lower /srv/www entry
printf '<h1>new site</h1>\n' >"$c/srv/www/index.html"
tarc "$c" "$work/config.tar" ./app/config.json ./app/data ./srv/www
echo "config.tar:   changes /app/config.json, adds /app/data, replaces /srv/www (opaque)"

# --- import ------------------------------------------------------------------
section "Importing them into the store at $STRATA_ROOT (driver: ${STRATA_DRIVER:-vfs})"
show "strata layer import base.tar.gz"
base=$(strata layer import "$work/base.tar.gz"); echo "$base"
show "strata layer import app.tar --parent ${base:7:12}"
app=$(strata layer import "$work/app.tar" --parent "$base"); echo "$app"
show "strata layer import - --parent ${app:7:12} < config.tar"
top=$(strata layer import - --parent "$app" <"$work/config.tar"); echo "$top"

run strata layer ls

# --- what each layer changes -------------------------------------------------
section "What each layer changes"
run strata layer changes "${app:7:12}"
run strata layer changes "${top:7:12}"

section "The top layer as an OCI layer tarball"
show "strata layer diff ${top:7:12} | tar -tv"
strata layer diff "$top" | tar -tv

# --- the union, mounted --------------------------------------------------------
section "The union of all three layers, mounted"
show "MNT=\$(strata layer mount ${top:7:12})"
if mnt=$(strata layer mount "$top"); then
  echo "MNT=$mnt"
  show 'find "$MNT" -mindepth 1 -printf "%P\n" | sort'
  find "$mnt" -mindepth 1 -printf '%P\n' | sort
  show 'cat "$MNT/etc/motd" "$MNT/app/config.json" "$MNT/srv/www/index.html"'
  cat "$mnt/etc/motd" "$mnt/app/config.json" "$mnt/srv/www/index.html"
  run strata layer umount "${top:7:12}"
else
  echo "(this driver cannot mount here; see 'strata driver ls')"
fi

# --- the store ---------------------------------------------------------------
section "The store"
run strata layer df
run strata system df
run strata system check
run strata driver ls

printf '\nDone. The demo store stays at %s; rerun the demo to start over.\n' "$STRATA_ROOT"
