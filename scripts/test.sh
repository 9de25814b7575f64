#!/usr/bin/env bash
# npm test: every layer of tests, in order, each under its own header:
#   deps         scripts/install-deps.sh + scripts/install-vscode.sh
#   build        npm run build + npm run package (the e2e layer installs the VSIX)
#   typecheck    tsc -p . --noEmit
#   unit         node --test test/unit/**/*.test.ts          (pure logic)
#   kernel       node --test test/kernel/**/*.test.ts        (real BPF + namespaces, root, one file at a time)
#   transport    node --test test/transport/**/*.test.ts     (real sshd / dockerd started by the tests, root, one file at a time)
#   integration  mocha suites in the real extension host     (test/integration/run.ts)
#   e2e          the UI in a real VS Code + Chromium          (node --test test/e2e/**/*.test.ts)
# A failing layer does not stop the run (one run shows every failure); the exit
# code is non-zero if any failed. A layer without test files is skipped.
# The last line is exactly `N passed, N failed` (tests; deps/build/typecheck count as one each).
#
# Environment:
#   TEST_LAYERS="unit kernel"   run only these layers (default: all, in the order above)
#   Artifacts (logs, TAP files, screenshots) go to test-results/ (git-ignored).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$PS_ROOT"
shopt -s globstar nullglob

ALL_LAYERS=(deps build typecheck unit kernel transport integration e2e)
read -r -a LAYERS <<<"${TEST_LAYERS:-${ALL_LAYERS[*]}}"
RESULTS=test-results
LOGS=$RESULTS/logs
mkdir -p "$LOGS"

for layer in "${LAYERS[@]}"; do
  case " ${ALL_LAYERS[*]} " in *" $layer "*) ;; *) ps_die "unknown layer '$layer' (layers: ${ALL_LAYERS[*]})" ;; esac
  case $layer in deps | kernel | transport | integration | e2e) ps_require_root "npm test (layer $layer)" ;; esac
done

declare -A STATUS PASSED FAILED TIME
total_passed=0
total_failed=0

# Counts from a TAP file written by node's test runner (its final `# pass N` lines).
tap_count() { # file key
  local n
  n=$(grep -E "^# $2 [0-9]+$" "$1" 2>/dev/null | tail -1 | awk '{print $3}')
  echo "${n:-0}"
}

# node --test over a list of files: spec output on the console, TAP (with counts) in test-results/.
run_node_tests() { # layer extra-args... -- files...
  local layer=$1; shift
  local extra=()
  while [ "$1" != "--" ]; do extra+=("$1"); shift; done
  shift
  local tap="$RESULTS/$layer.tap"
  rm -f "$tap"
  node --import tsx --test "${extra[@]}" \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$tap" "$@"
  local rc=$?
  PASSED[$layer]=$(tap_count "$tap" pass)
  FAILED[$layer]=$(( $(tap_count "$tap" fail) + $(tap_count "$tap" cancelled) ))
  # A crash before any test reported still counts as a failure.
  if [ "$rc" -ne 0 ] && [ "${FAILED[$layer]}" -eq 0 ]; then FAILED[$layer]=1; fi
  return "$rc"
}

run_layer() { # layer
  local layer=$1 rc=0 files=()
  ps_header "$layer"
  local t0=$SECONDS
  PASSED[$layer]=0
  FAILED[$layer]=0
  case $layer in
    deps)
      { bash scripts/install-deps.sh && bash scripts/install-vscode.sh; } || rc=$?
      ;;
    build)
      # The VSIX is what users install: the e2e layer installs it when it exists.
      { npm run build && npm run package; } || rc=$?
      ;;
    typecheck)
      npx tsc -p . --noEmit || rc=$?
      ;;
    unit)
      files=(test/unit/**/*.test.ts)
      [ ${#files[@]} -gt 0 ] && { run_node_tests unit -- "${files[@]}" || rc=$?; }
      ;;
    kernel)
      files=(test/kernel/**/*.test.ts)
      # One file at a time: every file builds its own lab and loads BPF.
      [ ${#files[@]} -gt 0 ] && { run_node_tests kernel --test-concurrency=1 --test-timeout=300000 -- "${files[@]}" || rc=$?; }
      ;;
    transport)
      files=(test/transport/**/*.test.ts)
      # One file at a time: each starts its own sshd or dockerd and builds a lab.
      [ ${#files[@]} -gt 0 ] && { run_node_tests transport --test-concurrency=1 --test-timeout=900000 -- "${files[@]}" || rc=$?; }
      ;;
    integration)
      files=(test/integration/suite/*.test.ts)
      if [ ${#files[@]} -gt 0 ]; then
        local out="$LOGS/integration.out"
        node --import tsx test/integration/run.ts 2>&1 | tee "$out"
        rc=${PIPESTATUS[0]}
        local line
        line=$(grep -E '^integration: [0-9]+ passed, [0-9]+ failed' "$out" | tail -1)
        PASSED[$layer]=$(sed -E 's/^integration: ([0-9]+) passed.*/\1/' <<<"$line")
        FAILED[$layer]=$(sed -E 's/^integration: [0-9]+ passed, ([0-9]+) failed.*/\1/' <<<"$line")
        PASSED[$layer]=${PASSED[$layer]:-0}
        FAILED[$layer]=${FAILED[$layer]:-0}
        if [ "$rc" -ne 0 ] && [ "${FAILED[$layer]}" -eq 0 ]; then FAILED[$layer]=1; fi
      fi
      ;;
    e2e)
      files=(test/e2e/**/*.test.ts)
      # One VS Code + Chromium at a time: 2 cores, and the scenario owns its lab.
      [ ${#files[@]} -gt 0 ] && { run_node_tests e2e --test-concurrency=1 --test-timeout=600000 -- "${files[@]}" || rc=$?; }
      ;;
  esac
  TIME[$layer]=$((SECONDS - t0))
  case $layer in deps | build | typecheck)
    if [ "$rc" -eq 0 ]; then PASSED[$layer]=1; else FAILED[$layer]=1; fi ;;
  esac
  if [ "$layer" != deps ] && [ "$layer" != build ] && [ "$layer" != typecheck ] && [ ${#files[@]} -eq 0 ]; then
    STATUS[$layer]=skipped
    ps_info "$layer: no test files yet, skipped"
  elif [ "$rc" -eq 0 ]; then
    STATUS[$layer]=passed
  else
    STATUS[$layer]=FAILED
  fi
  total_passed=$((total_passed + PASSED[$layer]))
  total_failed=$((total_failed + FAILED[$layer]))
}

for layer in "${LAYERS[@]}"; do
  # Each layer's full output also lands in test-results/logs/<layer>.log.
  run_layer "$layer" > >(tee "$LOGS/$layer.log") 2>&1
  wait $! 2>/dev/null || true
done

ps_header "summary"
any_failed=0
printf '%-12s %-8s %7s %7s %8s\n' layer status passed failed seconds
for layer in "${LAYERS[@]}"; do
  printf '%-12s %-8s %7s %7s %8s\n' "$layer" "${STATUS[$layer]}" "${PASSED[$layer]}" "${FAILED[$layer]}" "${TIME[$layer]}"
  [ "${STATUS[$layer]}" = FAILED ] && any_failed=1
done
echo "artifacts: $RESULTS/ (logs/, *.tap, e2e/ screenshots)"
echo "$total_passed passed, $total_failed failed"
[ "$any_failed" -eq 0 ] && [ "$total_failed" -eq 0 ]
