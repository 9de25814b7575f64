# Shared helpers for the project's bash scripts (sourced, not executed).
# Everything human-readable goes to stderr so scripts can print a machine-
# readable result (a path, a URL) alone on stdout.

# Repo root, whatever directory the caller ran the script from.
PS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export PS_ROOT

# Where large, version-keyed downloads live: outside the clone so a fresh clone
# (CI, a second checkout) reuses them.
PS_CACHE=${POLICY_STUDIO_CACHE:-/var/cache/policy-studio}
export PS_CACHE

# The only VS Code the project tests against offline: code-server 4.100.3 bundles
# VS Code 1.100, the newest one whose server still runs on Node 20.
PS_CODE_SERVER_VERSION=${POLICY_STUDIO_CODE_SERVER_VERSION:-4.100.3}
export PS_CODE_SERVER_VERSION

if [ -t 2 ]; then PS_BOLD=$'\e[1m'; PS_RED=$'\e[31m'; PS_OFF=$'\e[0m'; else PS_BOLD=''; PS_RED=''; PS_OFF=''; fi

ps_info() { printf '%s\n' "[policy-studio] $*" >&2; }
ps_warn() { printf '%s\n' "${PS_RED}[policy-studio] $*${PS_OFF}" >&2; }
ps_die() { ps_warn "$*"; exit 1; }
ps_header() { printf '\n%s\n' "${PS_BOLD}==== $* ====${PS_OFF}" >&2; }

# BPF, network namespaces and apt all need root; say so plainly instead of
# failing halfway through with EPERM.
ps_require_root() {
  if [ "$(id -u)" -ne 0 ]; then
    ps_die "$1 must run as root: BPF programs, network namespaces and apt need it. Re-run it as root (e.g. sudo -E $1)."
  fi
}

# Path of the bare VS Code server inside the cached code-server install.
ps_server_main() {
  printf '%s\n' "$PS_CACHE/code-server-$PS_CODE_SERVER_VERSION/node_modules/code-server/lib/vscode/out/server-main.js"
}
