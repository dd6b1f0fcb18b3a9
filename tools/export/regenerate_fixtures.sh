#!/usr/bin/env bash
# Regenerates tests/fixtures/tiny-sana/ (diffusers/, model/, reference/) in one go.
#
# Where: the GPU machine (torch, transformers, onnx, onnxruntime, sentencepiece installed; no .NET needed), with
# diffusers' source on PYTHONPATH. From the development machine, one `run` call of the device tool:
#   cp -r /work/ref/diffusers/src/diffusers .gpu/diffusers        # .gpu/ is git-ignored
#   run(carry=[".gpu/diffusers"], command="export PYTHONUNBUFFERED=1; bash tools/export/regenerate_fixtures.sh")
# then unpack what came back:
#   rm -rf tests/fixtures/tiny-sana && mkdir -p tests/fixtures/tiny-sana &&
#   tar xzf <files_at>/tiny-sana.tar.gz -C tests/fixtures/tiny-sana
#
# Steps (each runs even when an earlier one failed; the log names every failure):
#   1. export_sana.py --make-tiny: build the tiny random diffusers folder (make_tiny_sana.py) and export it to the
#      ONNX model folder (fp32), checking every graph against PyTorch in ONNX Runtime
#   2. make_fixtures.py: record tokens, schedules, noise and pipeline runs from diffusers; then
#      make_tiled_decode_reference.py: diffusers' tiled DC-AE decode (reference/tiled/)
#   3. check_onnx_pipeline.py: the exported graphs in a Python pipeline loop vs diffusers' images
#   4. (EXTRA=1, default) an fp16 export of the same tiny model, for information only (not packed)
# Output in $OUT (default ./out): tiny-sana.tar.gz, regenerate.log, onnx_check.json.
set -u -o pipefail
cd "$(dirname "$0")/../.."
if [[ -d .gpu/diffusers ]]; then export PYTHONPATH="$PWD/.gpu${PYTHONPATH:+:$PYTHONPATH}"; fi
export PYTHONUNBUFFERED=1
OUT="${OUT:-$PWD/out}"
WORK="${WORK:-/tmp/sana-fixtures}"
EXTRA="${EXTRA:-1}"
PY="${PYTHON:-python3}"
mkdir -p "$OUT"
rm -rf "$WORK"
mkdir -p "$WORK/fixture"
exec > >(tee "$OUT/regenerate.log") 2>&1

failed=()
step() {
  local name="$1"; shift
  echo "=== [$name] $*"
  local t0=$SECONDS
  if "$@"; then
    echo "=== [$name] ok in $((SECONDS - t0))s"
  else
    echo "=== [$name] FAILED (exit $?) after $((SECONDS - t0))s"
    failed+=("$name")
  fi
}

echo "=== host: $(uname -m), $(nproc) cores; $($PY --version 2>&1); PYTHONPATH=${PYTHONPATH:-}"
$PY -c "import diffusers, torch, transformers, onnx, onnxruntime; print('diffusers', diffusers.__version__, 'from', diffusers.__file__); print('torch', torch.__version__, 'transformers', transformers.__version__, 'onnx', onnx.__version__, 'onnxruntime', onnxruntime.__version__)"

step export "$PY" tools/export/export_sana.py --make-tiny "$WORK/fixture/diffusers" "$WORK/fixture/model" \
  --dtype fp32 --name tiny-sana
step fixtures "$PY" tools/export/make_fixtures.py "$WORK/fixture/diffusers" "$WORK/fixture/reference"
# make_fixtures.py writes reference/ afresh: the tiled-decode cases go in after it
step tiled "$PY" tools/export/make_tiled_decode_reference.py "$WORK/fixture/reference/tiled" --tiny "$WORK/fixture/diffusers"
if [[ -f "$WORK/fixture/model/sana-model.json" && -f "$WORK/fixture/reference/cases.json" ]]; then
  step check "$PY" tools/export/check_onnx_pipeline.py "$WORK/fixture/model" "$WORK/fixture/reference" \
    --json "$OUT/onnx_check.json"
else
  echo "=== [check] skipped: no model folder or no reference"
  failed+=("check")
fi
if [[ "$EXTRA" == "1" && -d "$WORK/fixture/diffusers" ]]; then
  step extra-fp16 "$PY" tools/export/export_sana.py "$WORK/fixture/diffusers" "$WORK/extra-fp16" --dtype fp16 \
    --name tiny-sana-fp16
fi

find "$WORK/fixture" -type f -printf '%8s  %P\n' | sort -k2 > "$WORK/fixture/FILES.txt"
du -sh "$WORK/fixture"/* || true
tar czf "$OUT/tiny-sana.tar.gz" -C "$WORK/fixture" --exclude=FILES.txt diffusers model reference 2>/dev/null \
  || tar czf "$OUT/tiny-sana.tar.gz" -C "$WORK/fixture" .
ls -l "$OUT"
if ((${#failed[@]})); then
  echo "=== FAILED steps: ${failed[*]}"
  exit 1
fi
echo "=== ALL OK"
