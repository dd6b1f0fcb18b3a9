cd .gpu && tar xJf pack/app.tar.xz && tar xJf pack/diffusers.tar.xz && cd ..
export PYTHONPATH=$PWD/.gpu PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
(BUDGET_S=200 bash benchmarks/run_h200.sh prepare > /root/prep.log 2>&1) & P=$!; wait $P
source /opt/sana-gpu/env.sh
python3 benchmarks/scaling/scaling.py --stages single --devices cuda:0 --count 64 --out $OUT/cluster64 > $OUT/cluster64.log 2>&1
cat $OUT/cluster64/scaling.md
BUDGET_S=80 BATCHES=16 REPEATS=2 bash benchmarks/run_h200.sh ours > $OUT/ours.log 2>&1
grep -h "images/s (" $OUT/ours.log
