"""Records diffusers' tiled DC-AE decode (AutoencoderDC after vae.enable_tiling()) of the tiny Sana's VAE, as
reference data for the C# runtime's tiled decode (src/Sana.Inference/Pipeline/TiledDecode.cs).

    PYTHONPATH=.gpu python3 tools/export/make_tiled_decode_reference.py [OUT_DIR] [--tiny TINY_DIFFUSERS_DIR]

OUT_DIR defaults to tests/fixtures/tiny-sana/reference/tiled, TINY_DIFFUSERS_DIR to tests/fixtures/tiny-sana/diffusers
(the committed tiny random diffusers folder; its `vae` subfolder is loaded). Needs torch, diffusers and numpy.

diffusers' default tiles (512 pixels every 448, 64-pixel overlaps) are larger than any image worth storing for the
tiny model (spatial compression 4), so the tiles are scaled down: TILE_SAMPLE pixels every STRIDE_SAMPLE (latent
TILE_SAMPLE / 4 every STRIDE_SAMPLE / 4), multiples of the compression ratio as the runtime requires. For each case a
latent [1, C, h, w] = torch.randn on a CPU generator (seed) is decoded as the pipeline does it,
vae.decode(latent / scaling_factor), once with tiling (more latent than one tile in some direction, so diffusers
takes tiled_decode) and once without, in float32 on the CPU with torch.use_deterministic_algorithms.

Writes into OUT_DIR:
  NAME_latent.npy        float32 [1, C, h, w], the latent before / scaling_factor (what the runtime's decoder gets)
  NAME_sample.npy        float32 [1, 3, h*4, w*4], the tiled decode (vae.decode(...).sample, before any clamping)
  NAME_sample_whole.npy  float32 [1, 3, h*4, w*4], the same latent decoded whole (tiling off), for comparison
  tiled.json             versions, the VAE's scaling_factor / spatial_compression_ratio / attention_head_dim, the tile
                         parameters exactly as set on the VAE, and per case: seed, shapes, file names, the latent shape
                         of every decoder call in call order (row-major tiles), the tile grid, the tiles on which
                         diffusers used quadratic instead of linear attention (h*w <= attention_head_dim; the exported
                         ONNX graph always takes the linear branch, the same function in another summation order),
                         and max |tiled - whole|.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sana_common import log, versions, write_json

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[2]
DEFAULT_TINY = REPO / "tests" / "fixtures" / "tiny-sana" / "diffusers"
DEFAULT_OUT = REPO / "tests" / "fixtures" / "tiny-sana" / "reference" / "tiled"

# diffusers' 512 / 448 scaled down for the tiny model: 8 latent pixels every 6 (8-pixel overlaps).
TILE_SAMPLE = 32
STRIDE_SAMPLE = 24

# (name, latent height, latent width, seed): non-square, 2x2, 3x2 and 3x4 tiles; the last one has edge tiles 1 latent
# pixel tall or wide (ramps clamped to a 4-pixel tile; diffusers' quadratic-attention branch on tiles of <= 8 pixels).
CASES = [
    ("tiles_2x2", 12, 10, 101),
    ("tiles_3x2", 16, 11, 102),
    ("tiles_3x4_narrow_edges", 13, 19, 103),
]


def load_vae(tiny: Path):
    from diffusers import AutoencoderDC

    vae = AutoencoderDC.from_pretrained(str(tiny / "vae"), torch_dtype=torch.float32).eval()
    return vae.to("cpu")


def set_tiling(vae) -> dict:
    ratio = int(vae.spatial_compression_ratio)
    if TILE_SAMPLE % ratio or STRIDE_SAMPLE % ratio or not STRIDE_SAMPLE < TILE_SAMPLE:
        raise SystemExit(f"tile {TILE_SAMPLE} / stride {STRIDE_SAMPLE} do not fit compression ratio {ratio}")
    vae.enable_tiling(tile_sample_min_height=TILE_SAMPLE, tile_sample_min_width=TILE_SAMPLE,
                      tile_sample_stride_height=STRIDE_SAMPLE, tile_sample_stride_width=STRIDE_SAMPLE)
    # enable_tiling derives tile_latent_min_* itself; set them explicitly too, in case a diffusers version does not.
    vae.tile_latent_min_height = TILE_SAMPLE // ratio
    vae.tile_latent_min_width = TILE_SAMPLE // ratio
    params = {k: int(getattr(vae, k)) for k in (
        "tile_sample_min_height", "tile_sample_min_width", "tile_sample_stride_height", "tile_sample_stride_width",
        "tile_latent_min_height", "tile_latent_min_width")}
    expected = dict(tile_sample_min_height=TILE_SAMPLE, tile_sample_min_width=TILE_SAMPLE,
                    tile_sample_stride_height=STRIDE_SAMPLE, tile_sample_stride_width=STRIDE_SAMPLE,
                    tile_latent_min_height=TILE_SAMPLE // ratio, tile_latent_min_width=TILE_SAMPLE // ratio)
    if params != expected:
        raise SystemExit(f"the VAE's tile parameters are {params}, expected {expected}")
    # What tiled_decode derives from them (not attributes of the VAE).
    params["tile_latent_stride_height"] = STRIDE_SAMPLE // ratio
    params["tile_latent_stride_width"] = STRIDE_SAMPLE // ratio
    params["blend_height"] = TILE_SAMPLE - STRIDE_SAMPLE
    params["blend_width"] = TILE_SAMPLE - STRIDE_SAMPLE
    return params


def expected_calls(channels: int, h: int, w: int, tile: int, stride: int) -> list[list[int]]:
    return [[1, channels, min(tile, h - y), min(tile, w - x)] for y in range(0, h, stride) for x in range(0, w, stride)]


def run_case(vae, name: str, h: int, w: int, seed: int, params: dict, out: Path) -> dict:
    channels = int(vae.config.latent_channels)
    ratio = int(vae.spatial_compression_ratio)
    tile, stride = params["tile_latent_min_height"], params["tile_latent_stride_height"]
    if not (h > tile or w > tile):
        raise SystemExit(f"{name}: a {h}x{w} latent fits one {tile}-pixel tile; diffusers would not tile it")
    gen = torch.Generator("cpu").manual_seed(seed)
    latent = torch.randn((1, channels, h, w), generator=gen, dtype=torch.float32)
    scaling = vae.config.scaling_factor

    calls: list[list[int]] = []
    hook = vae.decoder.register_forward_pre_hook(lambda _module, args: calls.append([int(d) for d in args[0].shape]))
    try:
        with torch.no_grad():
            vae.use_tiling = True
            tiled = vae.decode(latent / scaling).sample
            tiled_calls = list(calls)
            calls.clear()
            vae.use_tiling = False
            whole = vae.decode(latent / scaling).sample
            whole_calls = list(calls)
            vae.use_tiling = True
    finally:
        hook.remove()

    want = expected_calls(channels, h, w, tile, stride)
    if tiled_calls != want:
        raise SystemExit(f"{name}: diffusers' decoder calls {tiled_calls} differ from the tile plan {want}")
    if whole_calls != [[1, channels, h, w]]:
        raise SystemExit(f"{name}: the whole decode made the decoder calls {whole_calls}")
    expected_shape = [1, 3, h * ratio, w * ratio]
    for label, t in (("tiled", tiled), ("whole", whole)):
        if list(t.shape) != expected_shape or t.dtype != torch.float32:
            raise SystemExit(f"{name}: {label} sample is {t.dtype} {list(t.shape)}, expected float32 {expected_shape}")
        if not bool(torch.isfinite(t).all()):
            raise SystemExit(f"{name}: {label} sample has non-finite values")

    files = {"latent": f"{name}_latent.npy", "sample": f"{name}_sample.npy", "sample_whole": f"{name}_sample_whole.npy"}
    np.save(out / files["latent"], latent.numpy().astype(np.float32))
    np.save(out / files["sample"], tiled.numpy().astype(np.float32))
    np.save(out / files["sample_whole"], whole.numpy().astype(np.float32))
    head_dim = int(vae.config.attention_head_dim)
    diff = float((tiled - whole).abs().max())
    log(f"{name}: latent {list(latent.shape)} -> sample {expected_shape}, {len(tiled_calls)} tiles, "
        f"max |tiled - whole| {diff:.4g}")
    return {
        "name": name,
        "seed": seed,
        "latent_shape": [1, channels, h, w],
        "sample_shape": expected_shape,
        "files": files,
        "tile_rows": len(range(0, h, stride)),
        "tile_cols": len(range(0, w, stride)),
        "decoder_calls": tiled_calls,
        "quadratic_attention_tiles": [c for c in tiled_calls if c[2] * c[3] <= head_dim],
        "max_abs_tiled_vs_whole": diff,
        "max_abs_sample": float(tiled.abs().max()),
    }


def relative(path: Path) -> str:
    try:
        return path.resolve().relative_to(REPO).as_posix()
    except ValueError:
        return str(path)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", nargs="?", default=str(DEFAULT_OUT), help=f"output folder (default {DEFAULT_OUT})")
    ap.add_argument("--tiny", default=str(DEFAULT_TINY), help=f"tiny diffusers folder (default {DEFAULT_TINY})")
    args = ap.parse_args()
    tiny, out = Path(args.tiny), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for stale in list(out.glob("*.npy")) + [out / "tiled.json"]:
        if stale.exists():
            stale.unlink()
    # As make_fixtures.py: deterministic kernels on the CPU, float32 (warn_only: an op without a deterministic
    # implementation is reported, not fatal; the CPU forward ops of the DC-AE decoder all have one).
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.manual_seed(0)
    v = versions()
    log(f"versions: {v}; torch threads {torch.get_num_threads()}")
    import diffusers

    vae = load_vae(tiny)
    params = set_tiling(vae)
    log(f"vae: {type(vae).__name__}, compression {vae.spatial_compression_ratio}, tiles {params}")
    cases = [run_case(vae, name, h, w, seed, params, out) for name, h, w, seed in CASES]
    write_json(out / "tiled.json", {
        "description": "diffusers AutoencoderDC tiled decode (vae.enable_tiling) of the tiny Sana VAE: sample = "
                       "vae.decode(latent / scaling_factor).sample, float32, CPU, deterministic algorithms; "
                       "written by tools/export/make_tiled_decode_reference.py",
        "versions": v,
        "diffusers_version": diffusers.__version__,
        "torch_version": torch.__version__,
        "vae_folder": relative(tiny / "vae"),
        "scaling_factor": float(vae.config.scaling_factor),
        "spatial_compression_ratio": int(vae.spatial_compression_ratio),
        "latent_channels": int(vae.config.latent_channels),
        "attention_head_dim": int(vae.config.attention_head_dim),
        "tiling": params,
        "cases": cases,
    })
    total = sum(p.stat().st_size for p in out.iterdir() if p.is_file())
    log(f"wrote {len(cases)} cases to {out} ({total / 1e3:.1f} kB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
