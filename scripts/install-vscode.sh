#!/usr/bin/env bash
# Installs the offline VS Code the project runs and tests in: code-server's
# bundled VS Code server (code-server 4.100.3 = VS Code 1.100, the newest that
# runs on Node 20), from the npm registry only.
#
# The install lives in a version-keyed cache outside the clone,
#   ${POLICY_STUDIO_CACHE:-/var/cache/policy-studio}/code-server-<version>
# with a completion marker (repeat runs return at once) and a lock (two
# concurrent runs do not clobber each other: the second waits and reuses).
#
# Prints the path of lib/vscode/out/server-main.js on stdout; logs go to stderr.
# Needs (Debian): build-essential python3 pkg-config libkrb5-dev libx11-dev
# libxkbfile-dev libsecret-1-dev ripgrep — scripts/install-deps.sh installs them.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

VERSION=$PS_CODE_SERVER_VERSION
DEST="$PS_CACHE/code-server-$VERSION"
MARKER="$DEST/.install-complete"
SERVER_MAIN=$(ps_server_main)

if [ -f "$MARKER" ] && [ -f "$SERVER_MAIN" ]; then
  printf '%s\n' "$SERVER_MAIN"
  exit 0
fi

mkdir -p "$PS_CACHE"
exec 9>"$PS_CACHE/code-server-$VERSION.lock"
if ! flock -n 9; then
  ps_info "another install of code-server $VERSION is running; waiting for it"
  flock 9
fi
# The other run may have finished while we waited.
if [ -f "$MARKER" ] && [ -f "$SERVER_MAIN" ]; then
  printf '%s\n' "$SERVER_MAIN"
  exit 0
fi

command -v rg >/dev/null || ps_die "ripgrep (rg) is missing: run scripts/install-deps.sh first"
t0=$SECONDS
ps_info "installing code-server $VERSION into $DEST (once; ~2 minutes cold)"
# A directory without the marker is a crashed earlier attempt: start clean.
rm -rf "$DEST"
mkdir -p "$DEST/.tmp"

# npm must never prompt (CI has no stdin); node-gyp's scratch files stay
# inside the install. (npm 11 runs build scripts as root without unsafe-perm.)
export npm_config_yes=true npm_config_audit=false \
  npm_config_fund=false npm_config_update_notifier=false npm_config_loglevel=warn
export TMPDIR="$DEST/.tmp"
export npm_config_cache="${npm_config_cache:-$HOME/.npm}"

cd "$DEST"
printf '{"name":"policy-studio-code-server","private":true}\n' > package.json

# 1. code-server with its scripts off: its postinstall would run VS Code's full
#    install, which downloads ripgrep from GitHub (not reachable here).
npm install "code-server@$VERSION" --ignore-scripts >&2

# 2. VS Code's own production dependencies, scripts off; then seed ripgrep from
#    Debian where @vscode/ripgrep expects it, so its postinstall has nothing to
#    download, and build the native modules (node-pty, spdlog, kerberos, ...)
#    against the system Node's headers.
cd "$DEST/node_modules/code-server/lib/vscode"
npm install --omit=dev --ignore-scripts >&2
mkdir -p node_modules/@vscode/ripgrep/bin
cp "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
npm rebuild >&2

# 3. What code-server's postinstall.sh would otherwise do.
rm -rf node_modules.asar && ln -s node_modules node_modules.asar
( cd bin/remote-cli && rm -f code-server && ln -s code-linux.sh code-server )
( cd bin/helpers && rm -f browser.sh && ln -s browser-linux.sh browser.sh )
( cd extensions && npm install --omit=dev >&2 )

[ -f "$SERVER_MAIN" ] || ps_die "install finished but $SERVER_MAIN is missing"
rm -rf "$DEST/.tmp"
printf 'code-server %s installed %s\n' "$VERSION" "$(date -u +%FT%TZ)" > "$MARKER"
ps_info "code-server $VERSION installed in $((SECONDS - t0)) s"
printf '%s\n' "$SERVER_MAIN"
