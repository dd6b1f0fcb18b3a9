#!/usr/bin/env bash
# The whole H200 measurement of issue 4, in stages that can share one device call or be split over several calls
# made back to back (what a stage writes under $WORK, in /root, persists while the machine stays warm).
#
#   benchmarks/run_h200.sh STAGE...        stages, in the order given:
#     kernels   build the kernel library with CUDA (src/Sana.Kernels/build.sh, into $WORK/kernels; ONNX Runtime's
#               headers from $ORT_INCLUDE_DIR, default .gpu/ort-include) unless built, and run its harness
#               (src/Sana.Kernels/harness/check_kernels.py: every op against PyTorch, CUDA and CPU, and timed against
#               PyTorch eager and torch.compile; HARNESS_ARGS=--checks-only or --timings-only): kernels*.json, kernels*.md
#     tiny      export the bundled tiny model's kernels graph (tests/fixtures/tiny-sana/diffusers, fp32, checked
#               against diffusers with the library's CPU ops): $RES/tiny-kernels/ for the fixture
#     prepare   build the random real-size Sana ($CONFIG) in diffusers format (make_random_sana.py, bf16, on the GPU)
#               and export it to our model folder ($DTYPE transformer/text encoder, fp32 VAE for fp16), the graphs
#               (the kernels graph too, once the library is built) in parallel processes, then assembled
#               (export_sana.py --assemble-from)
#     ours      `sana bench` on that folder, CUDA, batch sizes $BATCHES; OURS_ARGS are added to its command line
#               (e.g. "--cuda-option prefer_nhwc=1") and OURS_TAG to its file names
#     profile   `sana bench --profile` at batch $PROFILE_BATCH, $PROFILE_STEPS steps, CUDA_LAUNCH_BLOCKING=1: where
#               the time goes, by ONNX operator, per graph (the traces stay on the machine; their summary comes back)
#     vae16     the same model with an fp16 VAE decoder (export_sana.py --vae-dtype fp16, assembled with the fp16
#               text encoder and transformer of `prepare`): $WORK/onnx-$CONFIG-fp16-vae16, benched at $BATCHES
#     reference the same model with diffusers' transformer blocks unchanged (--transformer-graph reference), benched
#               like `ours`: what the fused graph of tools/export/ort_transformer.py gains
#     graphs    the same images through the portable and the kernels transformer graph (`sana generate`, fp16):
#               pixel differences, graphs.md
#     quality   an fp32 export of the same diffusers folder, then benchmarks/quality.py: ours fp16 (and fp16-vae16
#               when made) and fp32 against diffusers bf16 and fp32, pixel by pixel
#     eager     diffusers' SanaPipeline, bf16, eager       (benchmarks/diffusers_baseline.py)
#     compile   the same with torch.compile on the transformer and the VAE decoder
#   Every stage's log and results land in $WORK/results; at the end (always) they are packed into
#   $OUT/results.tar.gz and the logs' tails printed.
#
# Environment: CONFIG (1600M | 600M, default 1600M), DTYPE (fp16 | bf16, default fp16), EXTRA_DTYPES (prepare: more
# exports of the same folder, e.g. fp32), BATCHES (1,4,8,16),
# COMPILE_BATCHES (default BATCHES), BUDGET_S (seconds this call may use, default 560: the device tool's limit is
# 600), WORK (/root/sana-bench), APP (.gpu/app: the `bundle.sh app` output), STEPS (20), WARMUP (1), REPEATS (3),
# SIZE (1024), DEVICE (cuda:0), MODEL_DIR (default: the prepared folder), ENV_SH (/opt/sana-gpu/env.sh).
#
# From the development machine (see ../shared/gpu/README.md for the four base calls first):
#   cp -r /work/ref/diffusers/src/diffusers .gpu/diffusers; ../shared/gpu/bundle.sh app src/Sana.Cli/Sana.Cli.csproj
#   run(carry=[".gpu/app", ".gpu/diffusers"], command="bash benchmarks/run_h200.sh prepare ours")
#   run(carry=[".gpu/app", ".gpu/diffusers"], command="bash benchmarks/run_h200.sh eager compile")
set -u -o pipefail
cd "$(dirname "$0")/.."
T0=$(date +%s)
BUDGET_S=${BUDGET_S:-560}
END=$((T0 + BUDGET_S))
CONFIG=${CONFIG:-1600M}
DTYPE=${DTYPE:-fp16}
EXTRA_DTYPES=${EXTRA_DTYPES:-}
BATCHES=${BATCHES:-1,4,8,16}
COMPILE_BATCHES=${COMPILE_BATCHES:-$BATCHES}
STEPS=${STEPS:-20}
WARMUP=${WARMUP:-1}
REPEATS=${REPEATS:-3}
SIZE=${SIZE:-1024}
DEVICE=${DEVICE:-cuda:0}
ENV_SH=${ENV_SH:-/opt/sana-gpu/env.sh}
WORK=${WORK:-/root/sana-bench}
APP=${APP:-.gpu/app}
OUT=${OUT:-$PWD/out}
RES=$WORK/results
DIFFUSERS_DIR=$WORK/diffusers-$CONFIG
MODEL_DIR=${MODEL_DIR:-$WORK/onnx-$CONFIG-$DTYPE}
KERNELS_LIB=${KERNELS_LIB:-$WORK/kernels/libsana_kernels.so}
# the app finds the kernel library here (its transformer graph is then the kernels graph on CUDA, unless told otherwise)
[[ -f $KERNELS_LIB ]] && export SANA_KERNELS_LIBRARY=$KERNELS_LIB
export PYTHONUNBUFFERED=1
# two runs of this script at once (another CONFIG on another GPU) must not race writing diffusers' bytecode
export PYTHONDONTWRITEBYTECODE=1
if [[ -d .gpu/diffusers ]]; then export PYTHONPATH="$PWD/.gpu${PYTHONPATH:+:$PYTHONPATH}"; fi
mkdir -p "$OUT" "$RES"

left() { echo $((END - $(date +%s))); }

pack() {
  nvidia-smi --query-gpu=name,memory.used,memory.total,clocks.sm,clocks.max.sm,power.draw,temperature.gpu \
    --format=csv >> "$RES/nvidia-smi.txt" 2>&1 || true
  (cd "$WORK" && tar czf "$OUT/results.tar.gz" results) && ls -la "$OUT"
  for f in "$RES"/*.md; do [[ -f $f ]] && { echo "=== $f"; cat "$f"; }; done
}
trap pack EXIT

stage_kernels() {
  local build=$WORK/kernels
  mkdir -p "$build"
  [[ -f $KERNELS_LIB ]] || SANA_KERNELS_CUDA=ON ORT_INCLUDE_DIR=${ORT_INCLUDE_DIR:-$PWD/.gpu/ort-include} bash src/Sana.Kernels/build.sh "$build" || return 1
  export SANA_KERNELS_LIBRARY=$KERNELS_LIB
  timeout $(( $(left) - 20 )) python3 src/Sana.Kernels/harness/check_kernels.py "$KERNELS_LIB" --out "$RES" \
    --budget-s "${HARNESS_BUDGET_S:-150}" ${HARNESS_ARGS:-}
}

stage_tiny() {
  local out=$WORK/tiny-kernels
  [[ -f $KERNELS_LIB ]] || { echo "tiny: no kernel library at $KERNELS_LIB (run the kernels stage first)"; return 1; }
  rm -rf "$out"
  # --parts alone exits 1 (no manifest) by design; export-result.json says whether the part exported and passed
  timeout $(( $(left) - 10 )) python3 tools/export/export_sana.py tests/fixtures/tiny-sana/diffusers "$out" \
    --parts transformer_kernels --dtype fp32 --kernels-library "$KERNELS_LIB" > "$RES/tiny-kernels-export.log" 2>&1
  tail -n 12 "$RES/tiny-kernels-export.log"
  mkdir -p "$RES/tiny-kernels" && cp -r "$out/transformer_kernels" "$RES/tiny-kernels/" || return 1
}

stage_prepare() {
  if [[ -f $MODEL_DIR/sana-model.json ]]; then echo "model folder $MODEL_DIR exists: kept"; return 0; fi
  if [[ ! -f $DIFFUSERS_DIR/random-sana.json ]]; then
    timeout $(( $(left) - 30 )) python3 tools/export/make_random_sana.py "$DIFFUSERS_DIR" --config "$CONFIG" --dtype bf16 --force || return 1
    cp "$DIFFUSERS_DIR/random-sana.json" "$RES/random-sana-$CONFIG.json"
  fi
  # every part of every dtype in its own process, all at once (EXTRA_DTYPES: more exports of the same folder, e.g.
  # fp32 for the quality stage, into $WORK/onnx-$CONFIG-<dtype>)
  local pids=() part dt parts=(text_encoder transformer vae_decoder)
  [[ -f $KERNELS_LIB ]] && parts+=(transformer_kernels)
  for dt in "$DTYPE" ${EXTRA_DTYPES//,/ }; do
    for part in "${parts[@]}"; do
      timeout $(( $(left) - 40 )) python3 tools/export/export_sana.py "$DIFFUSERS_DIR" "$WORK/part-$dt-$part" --parts "$part" \
        --dtype "$dt" --no-check --name "sana-$CONFIG-random-$dt" > "$RES/export-$CONFIG-$dt-$part.log" 2>&1 &
      pids+=($!)
    done
  done
  for p in "${pids[@]}"; do wait "$p"; done
  tail -n 4 "$RES"/export-"$CONFIG"-*.log
  for dt in "$DTYPE" ${EXTRA_DTYPES//,/ }; do
    local dir=$MODEL_DIR
    [[ $dt == "$DTYPE" ]] || dir=$WORK/onnx-$CONFIG-$dt
    # --parts alone exits 1 (no manifest) by design; what counts is each part's export-result.json
    python3 tools/export/export_sana.py "$DIFFUSERS_DIR" "$dir" --dtype "$dt" --no-check \
      --name "sana-$CONFIG-random-$dt" --assemble-from "$WORK/part-$dt-text_encoder" \
      "$WORK/part-$dt-transformer" "$WORK/part-$dt-vae_decoder" "$WORK/part-$dt-transformer_kernels" || return 1
    cp "$dir/sana-model.json" "$RES/sana-model-$CONFIG-$dt.json"
    du -sh "$dir"/*
  done
  du -sh "$DIFFUSERS_DIR"
}

stage_ours() {
  local budget=$(( $(left) - 10 ))
  (( budget > 60 )) || { echo "ours: only ${budget}s left: skipped"; return 1; }
  ( source "$ENV_SH" &&
    timeout "$budget" dotnet "$APP/sana.dll" bench --model "$MODEL_DIR" --device "$DEVICE" --batch-sizes "$BATCHES" \
      --steps "$STEPS" --guidance-scale 4.5 --width "$SIZE" --height "$SIZE" --warmup "$WARMUP" --repeats "$REPEATS" \
      --label "$CONFIG $DTYPE${OURS_TAG:+ $OURS_TAG}, sana bench, ONNX Runtime CUDA" ${OURS_ARGS:-} \
      --out "$RES/ours-$CONFIG-$DTYPE${OURS_TAG:+-$OURS_TAG}.json" )
}

stage_profile() {
  local budget=$(( $(left) - 10 ))
  (( budget > 60 )) || { echo "profile: only ${budget}s left: skipped"; return 1; }
  mkdir -p "$WORK/profile"
  ( source "$ENV_SH" && export CUDA_LAUNCH_BLOCKING=1 &&
    timeout "$budget" dotnet "$APP/sana.dll" bench --model "$MODEL_DIR" --device "$DEVICE" --batch-sizes "${PROFILE_BATCH:-4}" \
      --steps "${PROFILE_STEPS:-5}" --guidance-scale 4.5 --width "$SIZE" --height "$SIZE" --warmup 1 --repeats 1 --profile \
      --label "$CONFIG $DTYPE, profiled, CUDA_LAUNCH_BLOCKING=1" --out "$WORK/profile/profile-$CONFIG-$DTYPE.json" ) || return 1
  cp "$WORK/profile/profile-$CONFIG-$DTYPE".{json,md} "$RES/"
}

# assemble_variant DIR PART_OUTPUT EXPORT_ARGS...: a model folder that is the prepared one ($MODEL_DIR) with one
# part exported again (into PART_OUTPUT, with EXPORT_ARGS); the other parts are hard links, not copies.
assemble_variant() {
  local dir=$1 part_out=$2; shift 2
  [[ -f $dir/sana-model.json ]] && return 0
  timeout $(( $(left) - 30 )) python3 tools/export/export_sana.py "$DIFFUSERS_DIR" "$part_out" --no-check "$@" \
    > "$RES/export-$(basename "$dir").log" 2>&1
  local links=$WORK/links-$(basename "$dir") p
  rm -rf "$links" && mkdir -p "$links"
  for p in text_encoder transformer vae_decoder; do
    [[ -d $part_out/$p ]] || cp -al "$MODEL_DIR/$p" "$links/$p"
  done
  python3 tools/export/export_sana.py "$DIFFUSERS_DIR" "$dir" --no-check "$@" --assemble-from "$part_out" "$links" \
    >> "$RES/export-$(basename "$dir").log" 2>&1 || { tail -n 5 "$RES/export-$(basename "$dir").log"; return 1; }
  echo "variant $dir assembled"
}

stage_vae16() {
  local dir=$WORK/onnx-$CONFIG-fp16-vae16
  assemble_variant "$dir" "$WORK/part-vae16" --parts vae_decoder --dtype fp16 --vae-dtype fp16 \
    --name "sana-$CONFIG-random-fp16-vae16" || return 1
  MODEL_DIR=$dir DTYPE=fp16-vae16 stage_ours
}

# the same model with diffusers' transformer blocks as they are (--transformer-graph reference): what the fused graph
# (tools/export/ort_transformer.py) gains
stage_reference() {
  local dir=$WORK/onnx-$CONFIG-$DTYPE-reference
  assemble_variant "$dir" "$WORK/part-reference" --parts transformer --dtype "$DTYPE" --transformer-graph reference \
    --name "sana-$CONFIG-random-$DTYPE-reference" || return 1
  MODEL_DIR=$dir DTYPE=$DTYPE-reference stage_ours
}

stage_quality() {
  local fp32=$WORK/onnx-$CONFIG-fp32
  if [[ ! -f $fp32/sana-model.json ]]; then
    MODEL_DIR=$fp32 DTYPE=fp32 stage_prepare || return 1
  fi
  local ours=(--ours "fp16=$WORK/onnx-$CONFIG-fp16")
  [[ -f $WORK/onnx-$CONFIG-fp16-vae16/sana-model.json ]] && ours+=(--ours "fp16-vae16=$WORK/onnx-$CONFIG-fp16-vae16")
  ours+=(--ours "fp32=$fp32")
  ( source "$ENV_SH" && timeout $(( $(left) - 10 )) python3 benchmarks/quality.py --diffusers "$DIFFUSERS_DIR" "${ours[@]}" \
      --out "$RES/quality-$CONFIG" --sana "dotnet $APP/sana.dll" --count "${QUALITY_COUNT:-4}" --size "$SIZE" --steps "$STEPS" \
      --device "$DEVICE" ) || return 1
  # the 1024 px PNGs stay on the machine (too large to bring back); quality.json, quality.md and strip.png come back
  mkdir -p "$WORK/quality-pngs" && mv "$RES/quality-$CONFIG"/ours "$RES/quality-$CONFIG"/diffusers-* "$WORK/quality-pngs/"
}

stage_graphs() {
  local dir=$WORK/graphs g
  rm -rf "$dir" && mkdir -p "$dir"
  for g in portable kernels; do
    ( source "$ENV_SH" && timeout $(( $(left) - 10 )) dotnet "$APP/sana.dll" generate --model "$MODEL_DIR" --device "$DEVICE" \
        --prompt "a red fox in the snow" --count "${GRAPHS_COUNT:-2}" --seed 42 --steps "$STEPS" --width "$SIZE" --height "$SIZE" \
        --batch-size "${GRAPHS_COUNT:-2}" --transformer-graph "$g" --job-id "graphs-$g" --out "$dir/$g" --verbose ) > "$RES/graphs-$g.log" 2>&1 \
      || { tail -n 20 "$RES/graphs-$g.log"; return 1; }
  done
  python3 - "$dir" "$RES/graphs.md" <<'PY'
import sys
from pathlib import Path
import numpy as np
from PIL import Image
root, out = Path(sys.argv[1]), Path(sys.argv[2])
rows = ["| image | mean abs | max | identical % |", "|---|---:|---:|---:|"]
for a in sorted((root / "portable").rglob("*.png")):
    b = root / "kernels" / a.relative_to(root / "portable").as_posix().replace("graphs-portable", "graphs-kernels")
    x = np.asarray(Image.open(a).convert("RGB"), dtype=np.int16)
    y = np.asarray(Image.open(b).convert("RGB"), dtype=np.int16)
    d = np.abs(x - y)
    rows.append(f"| {a.name} | {d.mean():.3f} | {d.max()} | {100 * (d == 0).mean():.1f} |")
text = "# portable vs kernels transformer graph, same seeds (8-bit pixels)\n\n" + "\n".join(rows) + "\n"
out.write_text(text)
print(text)
PY
}

stage_baseline() {  # $1: eager | compile
  local budget=$(( $(left) - 10 ))
  (( budget > 60 )) || { echo "$1: only ${budget}s left: skipped"; return 1; }
  local sizes=$BATCHES
  [[ $1 == compile ]] && sizes=$COMPILE_BATCHES
  # the script stops starting new batch sizes 40 s before the end; timeout is the hard stop
  timeout "$budget" python3 benchmarks/diffusers_baseline.py --model "$DIFFUSERS_DIR" --modes "$1" \
    --batch-sizes "$sizes" --steps "$STEPS" --guidance-scale 4.5 --width "$SIZE" --height "$SIZE" --warmup "$WARMUP" \
    --repeats "$REPEATS" --deadline $((END - 40)) --out "$RES/diffusers-$CONFIG-$1.json"
}

echo "=== run_h200.sh $*: CONFIG=$CONFIG DTYPE=$DTYPE BATCHES=$BATCHES budget ${BUDGET_S}s; $(nproc) cores"
nvidia-smi --query-gpu=name,memory.used,memory.total,clocks.sm,clocks.max.sm --format=csv > "$RES/nvidia-smi.txt" 2>&1 || true
cat "$RES/nvidia-smi.txt"
status=0
for stage in "$@"; do
  t=$(date +%s)
  echo "=== [$stage] start, $(left)s left"
  case "$stage" in
    kernels) stage_kernels ;;
    tiny) stage_tiny ;;
    graphs) stage_graphs ;;
    prepare) stage_prepare ;;
    ours) stage_ours ;;
    profile) stage_profile ;;
    vae16) stage_vae16 ;;
    reference) stage_reference ;;
    quality) stage_quality ;;
    eager|compile) stage_baseline "$stage" ;;
    *) echo "unknown stage $stage"; false ;;
  esac 2>&1 | tee -a "$RES/$stage.log"
  rc=${PIPESTATUS[0]}
  echo "=== [$stage] exit $rc after $(( $(date +%s) - t ))s" | tee -a "$RES/$stage.log"
  (( rc == 0 )) || status=1
done
exit $status
