"""Issue 4's quality check on the real-size random model: what our fp16 graphs do to the images.

    python benchmarks/quality.py --diffusers DIFFUSERS_DIR --ours fp16=MODEL_DIR [--ours fp32=MODEL_DIR ...]
        --out OUT [--sana "dotnet .gpu/app/sana.dll"] [--seed 42] [--count 4] [--size 1024] [--steps 20]
        [--guidance-scale 4.5] [--prompt TEXT] [--device cuda:0] [--compare-only]

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
import math
import struct
import subprocess
import sys
import time
import zlib
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
    per_image = [pixel_differences(read_rgb(xp), read_rgb(yp)) for xp, yp in zip(x_paths, y_paths)]
    keys = per_image[0].keys()
    return {"mean": {k: sum(p[k] for p in per_image) / len(per_image) for k in keys}, "per_image": per_image}


def pixel_differences(x: bytes, y: bytes) -> dict:
    """x, y: 8-bit RGB rows of the same size. Mean and max absolute difference, PSNR, the share of pixels off by more
    than 16 levels in some channel and of identical channel values."""
    if len(x) != len(y):
        raise ValueError(f"images differ in size: {len(x)} and {len(y)} bytes")
    try:
        import numpy as np
    except ImportError:  # the comparison also runs where only the standard library is (--compare-only)
        d = [abs(a - b) for a, b in zip(x, y)]
        n = len(d)
        pixels_off = sum(1 for i in range(0, n, 3) if max(d[i], d[i + 1], d[i + 2]) > 16)
        mse = sum(v * v for v in d) / n
        mean_abs, max_abs, over, same = sum(d) / n, max(d), 100 * pixels_off / (n // 3), 100 * d.count(0) / n
    else:
        d = np.abs(np.frombuffer(x, np.uint8).astype(np.int16) - np.frombuffer(y, np.uint8).astype(np.int16))
        mse = float(np.mean(d.astype(np.float64) ** 2))
        mean_abs, max_abs = float(d.mean()), int(d.max())
        over, same = float(100 * np.mean(d.reshape(-1, 3).max(axis=1) > 16)), float(100 * np.mean(d == 0))
    return {"mean_abs": mean_abs, "max_abs": max_abs,
            "psnr_db": float("inf") if mse == 0 else 10 * math.log10(255.0 ** 2 / mse),
            "pixels_over_16_percent": over, "identical_bytes_percent": same}


def read_rgb(path: Path) -> bytes:
    """An 8-bit RGB or RGBA PNG (what diffusers' PIL and our encoder write) as RGB rows; standard library only."""
    data = path.read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path}: not a PNG")
    pos, idat, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + length
    width, height, depth, color, _, _, interlace = header
    if depth != 8 or color not in (2, 6) or interlace:
        raise ValueError(f"{path}: only 8-bit RGB/RGBA PNGs without interlacing are read here")
    channels = 3 if color == 2 else 4
    stride = width * channels
    raw = zlib.decompress(b"".join(idat))
    rows, prev = [], bytearray(stride)
    for r in range(height):
        kind, line = raw[r * (stride + 1)], bytearray(raw[r * (stride + 1) + 1:(r + 1) * (stride + 1)])
        _unfilter(kind, line, prev, channels)
        rows.append(line if channels == 3 else bytes(b for i, b in enumerate(line) if i % 4 != 3))
        prev = line
    return b"".join(bytes(row) for row in rows)


def _unfilter(kind: int, line: bytearray, prev: bytearray, bpp: int) -> None:
    if kind == 0:
        return
    for i in range(len(line)):
        left = line[i - bpp] if i >= bpp else 0
        up = prev[i]
        if kind == 1:
            line[i] = (line[i] + left) & 255
        elif kind == 2:
            line[i] = (line[i] + up) & 255
        elif kind == 3:
            line[i] = (line[i] + ((left + up) >> 1)) & 255
        elif kind == 4:
            up_left = prev[i - bpp] if i >= bpp else 0
            p = left + up - up_left
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
            line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else up_left)) & 255
        else:
            raise ValueError(f"PNG filter type {kind}")


def earlier_images(a, folder: Path) -> list[Path]:
    paths = [folder / f"{i:06d}-{a.seed + i}.png" for i in range(a.count)]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise FileNotFoundError(f"--compare-only: no {missing}")
    return paths


def strip(variants: dict[str, list[Path]], out: Path) -> None:
    try:
        from PIL import Image, ImageDraw
    except ImportError:
        log("no PIL here: strip.png not made")
        return

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
    ap.add_argument("--diffusers", help="the diffusers folder (not with --compare-only)")
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
    ap.add_argument("--compare-only", action="store_true",
                    help="make no images: compare those an earlier run left in --out (ours/quality-LABEL/, "
                         "diffusers-DTYPE/), e.g. after the GPU machine's time ran out; needs the standard library only")
    a = ap.parse_args()
    if not a.compare_only and not a.diffusers:
        ap.error("--diffusers is required (unless --compare-only)")
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)

    variants: dict[str, list[Path]] = {}
    for label_dir in a.ours:
        label, _, model = label_dir.partition("=")
        if a.compare_only:
            variants[f"ours-{label}"] = earlier_images(a, out / "ours" / f"quality-{label}")
            continue
        if not model:
            ap.error(f"--ours: '{label_dir}' is not LABEL=MODEL_DIR")
        variants[f"ours-{label}"] = our_images(a, label, model, out)
    for dtype_name in a.diffusers_dtypes.split(","):
        variants[f"diffusers-{dtype_name}"] = (earlier_images(a, out / f"diffusers-{dtype_name}") if a.compare_only
                                               else diffusers_images(a, dtype_name, out))

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
