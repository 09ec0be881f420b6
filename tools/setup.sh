#!/usr/bin/env bash
# Installs the Debian packages Dendrite's tests and demo read from (as root; does nothing when present):
# libonnx-testdata (ONNX backend node tests), dataset-fashion-mnist (the demo's data), and python3-sklearn and
# python3-skimage, whose sample photographs (china.jpg, flower.jpg, camera.png, astronaut.png, ...) the image
# decoder is checked on. The last two come without recommended packages (about 50 packages, two minutes); the
# image tests skip, naming the file, when they are absent.
set -euo pipefail
pkgs="libonnx-testdata dataset-fashion-mnist"
images="python3-sklearn python3-skimage"
missing=$(for p in $pkgs; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
missing_images=$(for p in $images; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
[ -z "$missing" ] && [ -z "$missing_images" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "missing packages: $missing $missing_images (run as root: apt-get install $missing $missing_images)" >&2
  exit 1
fi
apt-get update
[ -z "$missing" ] || DEBIAN_FRONTEND=noninteractive apt-get install -y $missing
[ -z "$missing_images" ] || DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing_images
