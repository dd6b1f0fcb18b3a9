# session 5, call E3 (same machine, after E2): 600M diffusers eager, then quality at 600M (checks the v2 graph on the GPU)
cd .gpu && tar xJf pack/app.tar.xz && tar xJf pack/diffusers.tar.xz && cd ..
export PYTHONPATH=$PWD/.gpu PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
[ -f /root/USE_V1 ] && { cp .gpu/pack/ort_transformer_v1.py tools/export/ort_transformer.py; cp .gpu/pack/export_sana_v1.py tools/export/export_sana.py; }
mkdir -p $OUT/e3
source /opt/sana-gpu/env.sh
CONFIG=600M BUDGET_S=100 BATCHES=1,4,8,16 REPEATS=2 bash benchmarks/run_h200.sh eager > /root/eager600.log 2>&1
cp /root/eager600.log $OUT/e3/; tar czf $OUT/e3/results.tgz -C /root/sana-bench results
CONFIG=600M BUDGET_S=230 QUALITY_COUNT=2 bash benchmarks/run_h200.sh quality > /root/quality600.log 2>&1
cp /root/eager600.log /root/quality600.log $OUT/e3/; tar czf $OUT/e3/results.tgz -C /root/sana-bench results
grep -h "images/s" /root/eager600.log | tail -5; tail -12 /root/quality600.log
