#!/usr/bin/env bash
# Installs every build, run and test dependency of qyolo from Debian's packages.
# Idempotent: re-running it on a set-up machine changes nothing.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git
  libtorch-dev
  libopencv-dev
  nlohmann-json3-dev libcli11-dev libspdlog-dev libyaml-cpp-dev
  libgtest-dev libgmock-dev
  libgloo-dev
  zlib1g-dev libtinyxml2-dev
  libonnx-dev libprotobuf-dev protobuf-compiler
  dataset-fashion-mnist
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "[setup] installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update
  $SUDO apt-get install -y --no-install-recommends "${PACKAGES[@]}"
else
  echo "[setup] all Debian packages present"
fi

# Node.js + npm run the independent ONNX runtime in the export tests. Debian's npm conflicts with
# the NodeSource nodejs some images ship, so only install them when no node is present at all.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  $SUDO apt-get install -y --no-install-recommends nodejs npm
fi

# onnxruntime (npm) is the independent runtime the export tests compare against. Its postinstall
# step downloads optional GPU files, which fails offline; the CPU binaries are in the package.
ORT_DIR="$(cd "$(dirname "$0")/.." && pwd)/tools/ort"
if [ ! -f "$ORT_DIR/node_modules/onnxruntime-node/package.json" ]; then
  echo "[setup] installing onnxruntime-node into $ORT_DIR"
  (cd "$ORT_DIR" && ONNXRUNTIME_NODE_INSTALL=skip npm install --no-audit --no-fund --ignore-scripts)
fi
