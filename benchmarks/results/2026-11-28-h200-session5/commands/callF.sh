# session 5, call F (same machine, right after E; run with the v1 exporter copied in first, since the v2 export
# failed):  cp .gpu/pack/ort_transformer_v1.py tools/export/ort_transformer.py; cp .gpu/pack/export_sana_v1.py tools/export/export_sana.py
cd .gpu && tar xJf pack/app.tar.xz && tar xJf pack/diffusers.tar.xz && cd ..
export PYTHONPATH=$PWD/.gpu PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
mkdir -p $OUT/f
source /opt/sana-gpu/env.sh
BUDGET_S=420 QUALITY_COUNT=4 bash benchmarks/run_h200.sh quality > /root/quality.log 2>&1
BUDGET_S=130 BATCHES=16 REPEATS=2 bash benchmarks/run_h200.sh vae16 > /root/vae16.log 2>&1
cp /root/quality.log /root/vae16.log $OUT/f/; tar czf $OUT/f/results.tgz -C /root/sana-bench results
