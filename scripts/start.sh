#!/usr/bin/env bash
# npm start: install what is missing, build and package the extension, and serve
# a real VS Code (code-server's bundled VS Code server) on 127.0.0.1 with the
# extension installed and examples/ open. Runs in the foreground until Ctrl-C,
# then stops the server (and the agent it started) by process group.
#
# Environment:
#   PORT=8080                       port on 127.0.0.1
#   POLICY_STUDIO_STATE=<dir>       VS Code user data, extensions and server data
#                                   (default: .vscode-test/start in the clone, git-ignored)
#   POLICY_STUDIO_CACHE=<dir>       where the offline VS Code is cached (default /var/cache/policy-studio)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$PS_ROOT"

# The extension's agent runs as a child of the VS Code server and loads BPF
# programs into the kernel and creates network namespaces: root is required.
ps_require_root "npm start"

PORT=${PORT:-8080}
STATE=${POLICY_STUDIO_STATE:-$PS_ROOT/.vscode-test/start}
WORKSPACE=$PS_ROOT/examples
EXTENSION_ID=policy-studio.ebpf-policy-studio
VSIX=$PS_ROOT/dist/ebpf-policy-studio.vsix

ps_header "dependencies"
bash scripts/install-deps.sh

ps_header "build"
npm run build >&2

ps_header "package"
rm -f "$VSIX"
if npm run package >&2 && [ -f "$VSIX" ]; then
  ps_info "packaged $VSIX"
else
  ps_warn "packaging failed: installing the built folder instead of a VSIX"
  npm run build >&2   # package may have left a half-written production build
  VSIX=""
fi

ps_header "VS Code"
SERVER_MAIN=$(bash scripts/install-vscode.sh)

mkdir -p "$STATE/user-data/User" "$STATE/server-data" "$STATE/extensions"
SERVER_DIRS=(--user-data-dir "$STATE/user-data" --server-data-dir "$STATE/server-data" --extensions-dir "$STATE/extensions")
SETTINGS=$STATE/user-data/User/settings.json
if [ ! -f "$SETTINGS" ]; then
  # Written once: later changes made in the UI are kept.
  cat > "$SETTINGS" <<'JSON'
{
  "workbench.startupEditor": "none",
  "telemetry.telemetryLevel": "off",
  "security.workspace.trust.enabled": false,
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "update.mode": "none",
  "workbench.enableExperiments": false
}
JSON
fi

# Replace whatever version of the extension was there (a VSIX or a linked folder).
# This extensions dir holds only ours; its extensions.json and .obsolete would
# make a second start refuse the reinstall ("Please restart VS Code").
rm -rf "$STATE/extensions"
mkdir -p "$STATE/extensions"
if [ -n "$VSIX" ]; then
  node "$SERVER_MAIN" --accept-server-license-terms "${SERVER_DIRS[@]}" --install-extension "$VSIX" --force >&2
else
  # The server only installs .vsix files; it finds a folder named
  # publisher.name-version by scanning when extensions.json is absent.
  version=$(node -p "require('./package.json').version")
  rm -f "$STATE/extensions/extensions.json"
  ln -s "$PS_ROOT" "$STATE/extensions/$EXTENSION_ID-$version"
fi

if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
  ps_die "port $PORT on 127.0.0.1 is in use: stop what is listening there or run PORT=<other> npm start"
fi

ps_header "serving"
# Its own session (process group), so the cleanup below reaches the extension
# host and the agent it spawned, and Ctrl-C in this terminal reaches only us.
setsid node "$SERVER_MAIN" --host 127.0.0.1 --port "$PORT" --without-connection-token \
  --accept-server-license-terms --disable-telemetry --disable-workspace-trust "${SERVER_DIRS[@]}" >&2 &
SERVER_PID=$!

stop_server() {
  trap - EXIT INT TERM
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    ps_info "stopping VS Code server (pid $SERVER_PID)"
    kill -TERM -- "-$SERVER_PID" 2>/dev/null || kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$SERVER_PID" 2>/dev/null || true
  fi
}
trap stop_server EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for _ in $(seq 300); do
  kill -0 "$SERVER_PID" 2>/dev/null || ps_die "the VS Code server exited during startup (see the output above)"
  if node -e "fetch('http://127.0.0.1:$PORT/version').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"; then
    break
  fi
  sleep 0.2
done

URL="http://127.0.0.1:$PORT/?folder=$WORKSPACE"
cat >&2 <<EOF

${PS_BOLD}eBPF Policy Studio is running.${PS_OFF} Open this URL in a browser on this machine
(or through an SSH tunnel: ssh -L $PORT:127.0.0.1:$PORT <this host>):

    ${PS_BOLD}$URL${PS_OFF}

Target: the local Linux host (this machine, as root). Press Ctrl-C to stop.
EOF
# Also alone on stdout when a script (not a terminal) started us.
[ -t 1 ] || echo "$URL"

wait "$SERVER_PID"
