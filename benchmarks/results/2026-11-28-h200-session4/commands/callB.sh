cd .gpu && tar xJf pack/app.tar.xz && tar xJf pack/diffusers.tar.xz && cd ..
export PYTHONPATH=$PWD/.gpu PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
mkdir -p $OUT/b /root/tiny
( python3 tools/export/export_sana.py tests/fixtures/tiny-sana/diffusers /root/tiny/model --dtype fp32 --name tiny-sana > /root/tiny/export.log 2>&1; python3 tools/export/check_onnx_pipeline.py /root/tiny/model tests/fixtures/tiny-sana/reference --json /root/tiny/onnx_check.json > /root/tiny/check.log 2>&1 ) &
T=$!
(BUDGET_S=250 bash benchmarks/run_h200.sh prepare > /root/prep.log 2>&1) & P=$!; wait $P
wait $T
tar czf $OUT/b/tiny.tgz -C /root tiny
source /opt/sana-gpu/env.sh
BUDGET_S=100 BATCHES=16 REPEATS=2 bash benchmarks/run_h200.sh ours > /root/ours.log 2>&1
BUDGET_S=110 PROFILE_BATCH=8 PROFILE_STEPS=3 bash benchmarks/run_h200.sh profile > /root/prof.log 2>&1
BUDGET_S=200 BATCHES=16 REPEATS=2 bash benchmarks/run_h200.sh reference > /root/ref.log 2>&1
cp /root/*.log $OUT/b/; tar czf $OUT/b/results.tgz -C /root/sana-bench results
grep -h "images/s (" /root/ours.log /root/ref.log; tail -4 /root/prep.log /root/tiny/export.log /root/tiny/check.log
