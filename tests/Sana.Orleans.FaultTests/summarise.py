#!/usr/bin/env python3
"""Summarises artifacts/reliability.jsonl (written by the reliability and fault tests) as the Markdown tables of
docs/reliability.md: the latest run of each test, and the totals (faults injected and survived, images lost and
duplicated, bad inputs tried and rejected, load held).

    python3 tests/Sana.Orleans.FaultTests/summarise.py [artifacts/reliability.jsonl]
"""
import json
import sys

path = sys.argv[1] if len(sys.argv) > 1 else "artifacts/reliability.jsonl"
latest = {}
with open(path, encoding="utf-8") as f:
    for line in f:
        if line.strip():
            r = json.loads(line)
            latest[(r["suite"], r["test"])] = r

faults = survived = lost = duplicated = differing = 0
print("| suite | test | figures |")
print("|---|---|---|")
for (suite, test), r in sorted(latest.items()):
    fig = r["figures"]
    faults += fig.get("faults_injected", 0) if suite == "process" else (1 if "faults_injected" in fig else 0)
    survived += 1 if fig.get("survived", "faults_injected" in fig) else 0
    lost += fig.get("lost", 0) + fig.get("images_lost", 0)
    duplicated += fig.get("duplicated", 0)
    differing += fig.get("differing", 0)
    print(f"| {suite} | {test} | " + ", ".join(f"{k}={v}" for k, v in fig.items()) + " |")

bad = latest.get(("grains", "bad-requests"), {}).get("figures", {})
fuzz = latest.get(("grains", "fuzz-requests"), {}).get("figures", {})
load = latest.get(("grains", "load-small-jobs"), {}).get("figures", {})
print()
print(f"- fault scenarios run: {faults}, survived: {survived}")
print(f"- images lost: {lost}, duplicated: {duplicated}, not byte-identical: {differing}")
print(f"- bad requests tried: {bad.get('tried', 0)} named + {fuzz.get('samples', 0)} random "
      f"({fuzz.get('invalid_rejected', 0)} invalid rejected naming a field, {fuzz.get('valid_completed', 0)} valid completed)")
if load:
    print(f"- load: {load['jobs']} jobs from {load['clients']} clients, all completed in {load['seconds']} s; "
          f"queue limit {load['queue_limit']}, peak {load['peak_queued']}, busy answers {load['busy_answers']}; "
          f"wait p50 {load['wait_p50_s']} s, p95 {load['wait_p95_s']} s, max {load['wait_max_s']} s")
