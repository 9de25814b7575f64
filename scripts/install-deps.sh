#!/usr/bin/env bash
# Installs what the project needs on a Debian 12 machine, idempotently:
#   - Debian packages (apt-get update only when something is missing),
#   - bpffs mounted at /sys/fs/bpf (the datapath pins its maps and links there),
#   - npm dependencies (npm ci when node_modules is missing or older than the lockfile).
# Safe to run again and again; a second run with nothing to do takes a second.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

# Why each group is here:
#   datapath build/load:  clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev pkg-config gcc make
#   lab + probes:         iproute2 iputils-ping
#   offline VS Code build (native modules of code-server): build-essential python3
#                         libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev ripgrep
#   UI tests:             chromium
# Others add their needs to EXTRA_PACKAGES below (one line each, with the reason).
PACKAGES=(
  clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev pkg-config gcc make
  iproute2 iputils-ping
  build-essential python3 libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev ripgrep
  chromium
)
EXTRA_PACKAGES=(
  openssh-server  # transport tests: a real sshd on 127.0.0.1 for the SSH and Lima targets
  docker.io       # transport tests: a real dockerd for the Docker target
  debootstrap     # transport tests: the Docker base image (no registry here)
  iperf3          # bench:datapath: TCP throughput between lab namespaces
  iptables        # bench:datapath: iptables-nft baseline inside a lab namespace (never the root namespace)
  sudo            # transport tests: the SSH target's non-root path (agent under sudo -n)
)

ps_require_root "scripts/install-deps.sh"

# --- Debian packages -------------------------------------------------------
missing=()
for pkg in "${PACKAGES[@]}" "${EXTRA_PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  ps_info "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Installing must not start services (sshd on port 22, dockerd with its
  # iptables rules): tests start their own instances on loopback. A
  # policy-rc.d that says "no" keeps maintainer scripts from starting them.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get update -q >&2
  apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
else
  ps_info "Debian packages: all $(( ${#PACKAGES[@]} + ${#EXTRA_PACKAGES[@]} )) present"
fi

# --- bpffs -----------------------------------------------------------------
if ! mountpoint -q /sys/fs/bpf 2>/dev/null || [ "$(stat -f -c %T /sys/fs/bpf)" != "bpf_fs" ]; then
  ps_info "mounting bpffs at /sys/fs/bpf"
  mkdir -p /sys/fs/bpf
  mount -t bpf bpf /sys/fs/bpf
else
  ps_info "bpffs: mounted"
fi

# --- npm dependencies ------------------------------------------------------
cd "$PS_ROOT"
# npm writes node_modules/.package-lock.json on every install: it is the
# timestamp of the last install, to compare with the lockfile's.
stamp=node_modules/.package-lock.json
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
if [ -f package-lock.json ]; then
  if [ ! -d node_modules ] || [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
    ps_info "npm ci (node_modules missing or older than package-lock.json)"
    npm ci >&2
  else
    ps_info "npm dependencies: up to date"
  fi
elif [ ! -d node_modules ] || [ package.json -nt "$stamp" ]; then
  ps_info "npm install (no package-lock.json)"
  npm install >&2
else
  ps_info "npm dependencies: up to date"
fi
