"""Issue 4's quality check on the real-size random model: what our fp16 graphs do to the images.

    python benchmarks/quality.py --diffusers DIFFUSERS_DIR --ours fp16=MODEL_DIR [--ours fp32=MODEL_DIR ...]
        --out OUT [--sana "dotnet .gpu/app/sana.dll"] [--seed 42] [--count 4] [--size 1024] [--steps 20]
        [--guidance-scale 4.5] [--prompt TEXT] [--device cuda:0]

Makes the same images (same prompt, seeds seed..seed+count-1, one CPU torch.Generator per image, 20 steps, CFG 4.5,
DPM-Solver++) four ways: diffusers' SanaPipeline in bf16 (what its users run) and in fp32 (the reference), and our
`sana generate` on each of our exported model folders (--ours LABEL=DIR: the fp16 export, and the fp32 export of
the same diffusers folder). Then compares every pair pixel by pixel on the 8-bit RGB images: mean and max absolute
difference, PSNR, and the share of pixels off by more than 16 levels in some channel. The pairs that answer the
question: ours fp32 vs diffusers fp32 (does the runtime reproduce diffusers at real size), ours fp16 vs ours fp32
(what fp16 costs us), ours fp16 vs diffusers bf16 (against what users of diffusers get), and diffusers bf16 vs
diffusers fp32 (what reduced precision costs diffusers itself: the scale to read the others against).
Random weights make images that are noise-like textures, so these figures measure numerical agreement, not
aesthetics. Writes quality.json, quality.md and a strip of image 0 from every variant (strip.png, 256 px each).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def diffusers_images(a, dtype_name: str, out: Path) -> list[Path]:
    import torch
    from diffusers import SanaPipeline

    dtype = {"bf16": torch.bfloat16, "fp32": torch.float32}[dtype_name]
    t0 = time.time()
    pipe = SanaPipeline.from_pretrained(a.diffusers, torch_dtype=dtype).to(a.device)
    pipe.set_progress_bar_config(disable=True)
    gens = [torch.Generator("cpu").manual_seed(a.seed + i) for i in range(a.count)]
    images = pipe(prompt=a.prompt, num_images_per_prompt=a.count, num_inference_steps=a.steps,
                  guidance_scale=a.guidance_scale, width=a.size, height=a.size, generator=gens,
                  output_type="pil", use_resolution_binning=False).images
    folder = out / f"diffusers-{dtype_name}"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, image in enumerate(images):
        p = folder / f"{i:06d}-{a.seed + i}.png"
        image.save(p)
        paths.append(p)
    log(f"diffusers {dtype_name}: {len(paths)} images in {time.time() - t0:.1f}s (load included)")
    del pipe
    torch.cuda.empty_cache()
    return paths


def our_images(a, label: str, model: str, out: Path) -> list[Path]:
    job = f"quality-{label}"
    cmd = a.sana.split() + ["generate", "--model", model, "--device", a.device, "--prompt", a.prompt,
                            "--count", str(a.count), "--seed", str(a.seed), "--steps", str(a.steps),
                            "--guidance-scale", str(a.guidance_scale), "--width", str(a.size), "--height", str(a.size),
                            "--batch-size", str(a.count), "--out", str(out / "ours"), "--job-id", job]
    t0 = time.time()
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    if r.returncode != 0:
        raise RuntimeError(f"sana generate ({label}) exited {r.returncode}: {r.stderr[-2000:]}")
    folder = out / "ours" / job
    paths = [folder / f"{i:06d}-{a.seed + i}.png" for i in range(a.count)]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise RuntimeError(f"sana generate ({label}) did not write {missing}; it printed: {r.stderr[-2000:]}")
    log(f"ours {label}: {len(paths)} images in {time.time() - t0:.1f}s (load included)")
    return paths


def compare(x_paths: list[Path], y_paths: list[Path]) -> dict:
    import numpy as np
    from PIL import Image

    per_image = []
    for xp, yp in zip(x_paths, y_paths):
        x = np.asarray(Image.open(xp).convert("RGB"), dtype=np.int16)
        y = np.asarray(Image.open(yp).convert("RGB"), dtype=np.int16)
        d = np.abs(x - y)
        mse = float(np.mean(d.astype(np.float64) ** 2))
        per_image.append({
            "mean_abs": float(d.mean()), "max_abs": int(d.max()),
            "psnr_db": float("inf") if mse == 0 else float(10 * np.log10(255.0 ** 2 / mse)),
            "pixels_over_16_percent": float(100 * np.mean(d.max(axis=2) > 16)),
            "identical_bytes_percent": float(100 * np.mean(d == 0)),
        })
    keys = per_image[0].keys()
    return {"mean": {k: float(np.mean([p[k] for p in per_image])) for k in keys}, "per_image": per_image}


def strip(variants: dict[str, list[Path]], out: Path) -> None:
    from PIL import Image, ImageDraw

    tiles = []
    for label, paths in variants.items():
        tile = Image.open(paths[0]).convert("RGB").resize((256, 256), Image.LANCZOS)
        ImageDraw.Draw(tile).text((4, 4), label, fill=(255, 255, 255))
        tiles.append(tile)
    sheet = Image.new("RGB", (256 * len(tiles), 256))
    for i, tile in enumerate(tiles):
        sheet.paste(tile, (256 * i, 0))
    sheet.save(out / "strip.png")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--diffusers", required=True)
    ap.add_argument("--ours", action="append", default=[], metavar="LABEL=MODEL_DIR", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--sana", default="dotnet .gpu/app/sana.dll")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--count", type=int, default=4)
    ap.add_argument("--size", type=int, default=1024)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--guidance-scale", type=float, default=4.5)
    ap.add_argument("--prompt", default="a photograph of an astronaut riding a horse on the moon")
    ap.add_argument("--device", default="cuda:0")
    ap.add_argument("--diffusers-dtypes", default="bf16,fp32")
    a = ap.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)

    variants: dict[str, list[Path]] = {}
    for label_dir in a.ours:
        label, _, model = label_dir.partition("=")
        if not model:
            ap.error(f"--ours: '{label_dir}' is not LABEL=MODEL_DIR")
        variants[f"ours-{label}"] = our_images(a, label, model, out)
    for dtype_name in a.diffusers_dtypes.split(","):
        variants[f"diffusers-{dtype_name}"] = diffusers_images(a, dtype_name, out)

    names = list(variants)
    pairs = {f"{x} vs {y}": compare(variants[x], variants[y]) for i, x in enumerate(names) for y in names[i + 1:]}
    report = {"tool": "benchmarks/quality.py", "settings": {k: v for k, v in vars(a).items() if k != "ours"},
              "ours": a.ours, "variants": {k: [str(p) for p in v] for k, v in variants.items()}, "pairs": pairs}
    (out / "quality.json").write_text(json.dumps(report, indent=2))
    lines = [f"### Quality: {a.count} images, {a.size}px, {a.steps} steps, CFG {a.guidance_scale}, seeds {a.seed}..",
             "", "| pair | mean abs (0-255) | max abs | PSNR dB | pixels > 16 off % | identical values % |",
             "|---|---:|---:|---:|---:|---:|"]
    for name, p in pairs.items():
        m = p["mean"]
        lines.append(f"| {name} | {m['mean_abs']:.2f} | {m['max_abs']:.0f} | {m['psnr_db']:.1f} | "
                     f"{m['pixels_over_16_percent']:.2f} | {m['identical_bytes_percent']:.1f} |")
    (out / "quality.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    strip(variants, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
