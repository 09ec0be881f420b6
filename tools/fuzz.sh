#!/usr/bin/env bash
# Runs Dendrite's coverage-guided fuzz campaigns: tools/fuzz.sh MINUTES [FORMAT[:MINUTES]...] runs each named format
# (all of them when none is named: onnx, onnx-tensor, safetensors, idx, csv, image, checkpoint) for MINUTES minutes,
# or for the minutes given after its name (onnx:30). FUZZ_JOBS=2 runs two campaigns at a time (one per core).
# The build instruments the fuzzer's copies of the parser assemblies (fuzz/Instrument.targets); the campaigns run
# from a snapshot of that output, so rebuilding while they run is safe. Each campaign's log, with the load average
# at its start and end, goes to fuzz-logs/ (FUZZ_LOGS). Findings go to fuzz-crashes/ (FORMAT-KIND-HASH.bin with a
# .txt beside it); copy a fixed one to tests/fixtures/fuzz/ and FuzzPassTests replays it from then on.
# Exit code 1 when any campaign found something.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:?usage: tools/fuzz.sh MINUTES [FORMAT[:MINUTES]...]}
shift
formats=("$@")
[ ${#formats[@]} -gt 0 ] || formats=(onnx onnx-tensor safetensors idx csv image checkpoint)
jobs=${FUZZ_JOBS:-1}
logs=${FUZZ_LOGS:-fuzz-logs}
seed=${FUZZ_SEED:-$RANDOM}
dotnet build fuzz/Dendrite.Fuzz -c Release --nologo -v q
mkdir -p "$logs"
snapshot=$(mktemp -d -t dendrite-fuzz-XXXXXX)
trap 'rm -rf "$snapshot"' EXIT
cp -r fuzz/Dendrite.Fuzz/bin/Release/net10.0/. "$snapshot/"
export snapshot logs seed minutes
campaign() {
  local name=${1%%:*} length=$minutes
  [[ $1 == *:* ]] && length=${1#*:}
  echo "start $name $(date -u +%FT%TZ) load $(cat /proc/loadavg)" >> "$logs/campaigns.log"
  local rc=0
  dotnet "$snapshot/Dendrite.Fuzz.dll" "$name" --seconds $((length * 60)) --seed "$seed" --crashes fuzz-crashes \
    > "$logs/$name.log" 2>&1 || rc=$?
  echo "end $name rc $rc $(date -u +%FT%TZ) load $(cat /proc/loadavg)" >> "$logs/campaigns.log"
  grep -e ' inputs in ' -e '^  [a-z]*: ' "$logs/$name.log" || tail -n 3 "$logs/$name.log"
  return $rc
}
export -f campaign
echo "seed $seed, $jobs at a time; logs in $logs/"
printf '%s\n' "${formats[@]}" | xargs -P "$jobs" -I{} bash -c 'campaign "$@"' _ {} || exit 1
