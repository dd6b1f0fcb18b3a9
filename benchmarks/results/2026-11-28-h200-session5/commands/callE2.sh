# session 5, call E2: the v2 fused graph (tiny export check + 1600M): ours b16, b1, b16 without cuDNN; then 600M prepare + ours
cd .gpu && tar xJf pack/app.tar.xz && tar xJf pack/diffusers.tar.xz && cd ..
export PYTHONPATH=$PWD/.gpu PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
mkdir -p $OUT/e2 /root/tiny
save() { cp /root/*.log $OUT/e2/ 2>/dev/null; tar czf $OUT/e2/results.tgz -C /root/sana-bench results; }
( python3 tools/export/export_sana.py tests/fixtures/tiny-sana/diffusers /root/tiny/model --dtype fp32 --name tiny-sana > /root/tiny/export.log 2>&1; echo "export rc $?" >> /root/tiny/export.log
  python3 tools/export/check_onnx_pipeline.py /root/tiny/model tests/fixtures/tiny-sana/reference --json /root/tiny/onnx_check.json > /root/tiny/check.log 2>&1; echo "check rc $?" >> /root/tiny/check.log ) &
T=$!
(BUDGET_S=200 bash benchmarks/run_h200.sh prepare > /root/prep.log 2>&1) & P=$!; wait $P
source /opt/sana-gpu/env.sh
if [ -f /root/sana-bench/onnx-1600M-fp16/sana-model.json ]; then
  BUDGET_S=90 BATCHES=16 REPEATS=2 bash benchmarks/run_h200.sh ours > /root/ours.log 2>&1; save
  BUDGET_S=80 BATCHES=1 REPEATS=3 OURS_TAG=b1 bash benchmarks/run_h200.sh ours > /root/ours1.log 2>&1; save
  BUDGET_S=90 BATCHES=16 REPEATS=2 OURS_TAG=nocudnn OURS_ARGS="--cuda-option sdpa_kernel=119" bash benchmarks/run_h200.sh ours > /root/ours2.log 2>&1; save
else
  echo "v2 prepare failed: 600M with the v1 graph" | tee $OUT/e2/FALLBACK; touch /root/USE_V1
  tail -30 /root/sana-bench/results/export-1600M-fp16-transformer.log >> $OUT/e2/FALLBACK
  cp .gpu/pack/ort_transformer_v1.py tools/export/ort_transformer.py; cp .gpu/pack/export_sana_v1.py tools/export/export_sana.py
fi
wait $T
tar czf $OUT/e2/tiny.tgz -C /root tiny
(CONFIG=600M BUDGET_S=150 bash benchmarks/run_h200.sh prepare > /root/prep600.log 2>&1) & P=$!; wait $P
CONFIG=600M BUDGET_S=130 BATCHES=1,4,8,16 REPEATS=1 bash benchmarks/run_h200.sh ours > /root/ours600.log 2>&1; save
grep -h "images/s (" /root/ours*.log; tail -3 /root/tiny/export.log /root/tiny/check.log
