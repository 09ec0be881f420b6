#!/usr/bin/env bash
# Runs Dendrite's fuzz campaigns: tools/fuzz.sh MINUTES [FORMAT...] runs each named format (all of them when none is
# named: onnx, onnx-tensor, safetensors, idx, csv, image, checkpoint) for MINUTES minutes, one after another.
# Findings go to fuzz-crashes/ (FORMAT-KIND-HASH.bin with a .txt beside it); copy a fixed one to tests/fixtures/fuzz/
# and FuzzPassTests replays it from then on. Exit code 1 when any campaign found something.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:?usage: tools/fuzz.sh MINUTES [FORMAT...]}
shift
formats=("$@")
[ ${#formats[@]} -gt 0 ] || formats=(onnx onnx-tensor safetensors idx csv image checkpoint)
dotnet build fuzz/Dendrite.Fuzz -c Release --nologo -v q
dll=fuzz/Dendrite.Fuzz/bin/Release/net10.0/Dendrite.Fuzz.dll
status=0
for f in "${formats[@]}"; do
  dotnet "$dll" "$f" --seconds $((minutes * 60)) --seed "${FUZZ_SEED:-$RANDOM}" --crashes fuzz-crashes || status=1
done
exit $status
