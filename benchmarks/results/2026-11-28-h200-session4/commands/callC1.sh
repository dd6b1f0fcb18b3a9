cd .gpu && tar xJf pack/app.tar.xz && tar xJf pack/diffusers.tar.xz && cd ..
export PYTHONPATH=$PWD/.gpu PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
(BUDGET_S=250 bash benchmarks/run_h200.sh prepare > /root/prep.log 2>&1) & P=$!; wait $P
source /opt/sana-gpu/env.sh
BUDGET_S=90 BATCHES=1,16 REPEATS=2 OURS_TAG=nhwc0 OURS_ARGS="--cuda-option prefer_nhwc=0" bash benchmarks/run_h200.sh ours > /root/c-nhwc0.log 2>&1
BUDGET_S=90 BATCHES=1,16 REPEATS=2 OURS_TAG=sdpa8 OURS_ARGS="--cuda-option sdpa_kernel=8" bash benchmarks/run_h200.sh ours > /root/c-sdpa8.log 2>&1
BUDGET_S=90 BATCHES=1,16 REPEATS=2 OURS_TAG=sdpa2 OURS_ARGS="--cuda-option sdpa_kernel=2" bash benchmarks/run_h200.sh ours > /root/c-sdpa2.log 2>&1
mkdir -p $OUT/c; cp /root/*.log $OUT/c/; tar czf $OUT/c/results.tgz -C /root/sana-bench results
grep -h "images/s (\|rror" /root/c-*.log | cut -c1-300
