#!/usr/bin/env bash
# Host set-up for a fresh Debian 12 machine (as root): the Debian packages the lab needs on the host, then the
# project's npm dependencies. Node.js >= 20 must already be installed (Debian 12's own nodejs is 18).
set -euo pipefail
cd "$(dirname "$0")/.."

major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$major" -lt 20 ]; then
  echo "setup: Node.js >= 20 is required (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

# qemu-system-x86 boots Xen; cpio packs the initramfs; xz and zstd unpack kernel modules; apt/dpkg-deb fetch and
# unpack Debian's packages for the lab.
need=()
for pkg in qemu-system-x86 cpio xz-utils zstd debian-archive-keyring; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# npm install, not npm ci: the registry here lacks some other platforms' optional packages (rollup's), which
# npm ci insists on; with the lock file present, install still takes the locked versions.
npm install --no-audit --no-fund --no-save
