#!/usr/bin/env bash
# Installs the Debian packages Dendrite's tests and demo read from (as root; does nothing when present):
# libonnx-testdata (ONNX backend node tests) and dataset-fashion-mnist (the demo's data).
set -euo pipefail
pkgs="libonnx-testdata dataset-fashion-mnist"
missing=$(for p in $pkgs; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "missing packages: $missing (run as root: apt-get install $missing)" >&2
  exit 1
fi
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y $missing
