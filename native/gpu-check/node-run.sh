#!/bin/bash
# On a GPU machine: the CUDA backend through Node (see nodeCheck.ts). Needs native/gpu-check/carry/ from
# tools/prepare-gpu-node-check.mjs (a Node binary, the addon, the bundled check). Writes node-check.json
# and the log into OUTDIR (default $OUT, else /tmp/ns-node-check).
set -u
OUT_DIR=${1:-${OUT:-/tmp/ns-node-check}}
mkdir -p "$OUT_DIR"
cd "$(dirname "$0")" || exit 1
[ -f carry/node.xz ] || { echo "node-run: carry/ is missing; run tools/prepare-gpu-node-check.mjs and carry native/gpu-check/carry"; exit 1; }
NODE=/tmp/ns-node
xz -dc carry/node.xz > "$NODE" && chmod +x "$NODE" || exit 1
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>&1 | head -1
NORMSCOPE_ADDON="$PWD/carry/normscope.node" timeout 300 "$NODE" carry/node-check.mjs "$OUT_DIR/node-check.json" 2>&1 | tee "$OUT_DIR/node-check.log"
exit "${PIPESTATUS[0]}"
