"""Puts `sana bench` and diffusers baseline results side by side: one Markdown table per model.

    python3 benchmarks/summarize.py RESULTS_DIR [--out RESULTS_DIR/summary.md]

Reads ours-<config>-<dtype>.json (sana bench) and diffusers-<config>-<mode>.json (benchmarks/diffusers_baseline.py)
from RESULTS_DIR. Utilisation counts the transformer's FLOPs (20 steps x 2 CFG branches); the "all parts" column
adds the VAE decode and the prompt encode as torch.utils.flop_counter counted them in the baseline run. Only the
standard library: runs anywhere.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path


def load(path: Path):
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None


def fmt(v, digits=2, suffix=""):
    return "n/a" if v is None else f"{v:.{digits}f}{suffix}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results")
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    root = Path(a.results)
    lines: list[str] = []
    configs = sorted({m.group(1) for p in root.glob("*.json") if (m := re.match(r"(?:ours|diffusers)-(\w+?)-", p.name))})
    for config in configs:
        ours = {p.name.split("-")[2].removesuffix(".json"): load(p) for p in sorted(root.glob(f"ours-{config}-*.json"))}
        base = {p.name.split("-")[2].removesuffix(".json"): load(p) for p in sorted(root.glob(f"diffusers-{config}-*.json"))}
        flops = next((b.get("flops") for b in base.values() if b and isinstance(b.get("flops"), dict)
                      and "transformer_per_image" in b["flops"]), None)
        peak = 790e12
        any_ours = next((o for o in ours.values() if o), None)
        if flops is None and any_ours and any_ours.get("flops"):
            flops = {"transformer_per_image": any_ours["flops"]["per_image"]}
        rows: dict[int, dict] = {}
        for dtype, o in ours.items():
            for r in (o or {}).get("results", []):
                rows.setdefault(r["batch_size"], {})[f"ours {dtype}"] = r
        for mode, b in base.items():
            for r in ((b or {}).get("modes", {}).get(mode, [])):
                rows.setdefault(r["batch_size"], {})[f"diffusers {mode}"] = r
        columns = [f"ours {d}" for d in ours] + [f"diffusers {m}" for m in ("eager", "compile") if m in base]
        env = next((x["environment"] for x in list(ours.values()) + list(base.values())
                    if x and (x.get("environment") or {}).get("gpu_name")), {})
        lines.append(f"### Sana {config}, 1024x1024, 20 steps, CFG 4.5, DPM-Solver++ ({env.get('gpu_name', '?')})")
        lines.append("")
        lines.append("images/s (higher is better); in brackets: seconds per call")
        lines.append("")
        lines.append("| batch | " + " | ".join(columns) + " | ours / eager | ours / compile |")
        lines.append("|---:|" + "---:|" * (len(columns) + 2))
        for batch in sorted(rows):
            cells, ips = [], {}
            for c in columns:
                r = rows[batch].get(c)
                if r is None:
                    cells.append("")
                elif r.get("error"):
                    cells.append(r["error"])
                else:
                    ips[c] = r["images_per_second"]
                    cells.append(f"{r['images_per_second']:.3f} ({r['mean_seconds']:.2f} s)")
            best_ours = max((v for k, v in ips.items() if k.startswith("ours")), default=None)
            ratio = [fmt(best_ours / ips[k], 2, "x") if best_ours and k in ips else "n/a"
                     for k in ("diffusers eager", "diffusers compile")]
            lines.append(f"| {batch} | " + " | ".join(cells) + f" | {ratio[0]} | {ratio[1]} |")
        lines.append("")
        if flops:
            tp = flops["transformer_per_image"]
            extra = (flops.get("vae_decode") or 0) + (flops.get("text_encoder_prompt_and_negative") or 0)
            lines.append(f"FLOPs per image: transformer {tp / 1e12:.1f} TFLOP"
                         + (f", VAE decode {flops['vae_decode'] / 1e12:.2f}, prompt encode "
                            f"{flops['text_encoder_prompt_and_negative'] / 1e12:.2f}" if "vae_decode" in flops else "")
                         + f"; utilisation = images/s x FLOPs / {peak / 1e12:.0f} TFLOP/s (dense bf16, measured)")
            lines.append("")
            lines.append("| batch | " + " | ".join(f"{c} util % (transformer / all parts)" for c in columns) + " |")
            lines.append("|---:|" + "---:|" * len(columns))
            for batch in sorted(rows):
                cells = []
                for c in columns:
                    r = rows[batch].get(c)
                    if not r or r.get("error"):
                        cells.append("")
                        continue
                    ips = r["images_per_second"]
                    cells.append(f"{100 * ips * tp / peak:.1f} / {100 * ips * (tp + extra) / peak:.1f}")
                lines.append(f"| {batch} | " + " | ".join(cells) + " |")
            lines.append("")
        lines.append("Time split per call (s): text encoder / transformer steps / VAE decode; peak device memory MiB")
        lines.append("")
        lines.append("| batch | " + " | ".join(columns) + " |")
        lines.append("|---:|" + "---:|" * len(columns))
        for batch in sorted(rows):
            cells = []
            for c in columns:
                r = rows[batch].get(c)
                if not r or r.get("error"):
                    cells.append("")
                    continue
                mem = r.get("peak_memory_mib") or r.get("peak_memory_reserved_mib")
                cells.append(f"{fmt(r.get('text_encoder_seconds'), 3)} / {fmt(r.get('transformer_seconds'), 2)} / "
                             f"{fmt(r.get('vae_decode_seconds'), 3)}; {mem if mem is not None else 'n/a'}")
            lines.append(f"| {batch} | " + " | ".join(cells) + " |")
        lines.append("")
    text = "\n".join(lines) + "\n"
    out = Path(a.out) if a.out else root / "summary.md"
    out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
