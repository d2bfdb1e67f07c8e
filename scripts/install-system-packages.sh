#!/usr/bin/env bash
# The Debian packages strata's tests need, installed when missing (as root; a
# non-root run only reports what is missing: tests then skip with the reason).
# Called by `npm test` and by .ci/run, so a fresh machine skips nothing.
set -euo pipefail
packages=(
  libfuse2 fuse-overlayfs sqlite3 attr git zstd rsync openssl   # drivers, union peers, fuse workloads
  skopeo umoci docker.io                                        # image archive judges
  docker-registry apache2-utils                                 # registry tests (htpasswd -B)
  busybox-static runc podman buildah iproute2 bsdutils         # containers (runners) and build peers
)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
[ "${#missing[@]}" -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "install-system-packages: not root; missing: ${missing[*]} (tests needing them will skip)" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# --no-install-recommends: fuse-overlayfs' recommends replace fuse with fuse3 and pull in more.
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
