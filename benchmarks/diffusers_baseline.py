"""diffusers' SanaPipeline on the GPU, timed the way `sana bench` times ours: the baseline of issue 4.

    python benchmarks/diffusers_baseline.py --model DIFFUSERS_DIR --out diffusers.json
        [--batch-sizes 1,4,8,16] [--steps 20] [--guidance-scale 4.5] [--width 1024] [--height 1024]
        [--warmup 1] [--repeats 3] [--modes eager,compile] [--compile-batch-sizes 1,4,8,16]
        [--compile-mode default] [--dtype bf16] [--deadline UNIX_TIME] [--peak-tflops 790]

The same random-weight diffusers folder our exporter reads (tools/export/make_random_sana.py), loaded in bf16
with SanaPipeline.from_pretrained (Gemma-2 with transformers' default attention, as a user gets it). Per mode and
batch size: warm-up calls (torch.compile compiles inside them, statically per batch size), then timed calls, each
with its own prompt (so the text encoder runs, as in ours) and one CPU torch.Generator per image. Wall clock
between torch.cuda.synchronize() calls around pipe(...) with output_type="pil" (uint8 images on the host, as ours
returns). The split comes from CUDA events recorded before the call, in callback_on_step_end (no synchronisation
added) and after the call: steps = last step event - first + one median step; text encoder = first step event -
start - one median step; decode = end - last step event. FLOPs per image of each part are counted once with
torch.utils.flop_counter (matrix products and convolutions, 2 per multiply-add). JSON is written after every
batch size; past --deadline, what is left is skipped and marked so.
"""

from __future__ import annotations

import argparse
import inspect
import json
import platform
import statistics
import sys
import time
import traceback
from pathlib import Path


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def parse_sizes(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def count_flops(pipe, torch, width: int, height: int, chi) -> dict:
    """FLOPs per image: one transformer forward (one guidance branch), one VAE decode, the prompt encode."""
    from torch.utils.flop_counter import FlopCounterMode

    dev = pipe._execution_device
    tr = pipe.transformer
    cfg = tr.config
    f = pipe.vae_scale_factor
    out = {}
    with torch.no_grad():
        x = torch.randn(1, cfg.in_channels, height // f, width // f, device=dev, dtype=tr.dtype)
        enc = torch.randn(1, 300, cfg.caption_channels, device=dev, dtype=tr.dtype)
        mask = torch.ones(1, 300, device=dev, dtype=torch.int64)
        t = torch.full((1,), 999.0, device=dev)
        with FlopCounterMode(display=False) as fc:
            tr(x, encoder_hidden_states=enc, encoder_attention_mask=mask, timestep=t, return_dict=False)
        out["transformer_forward"] = fc.get_total_flops()
        z = torch.randn(1, cfg.in_channels, height // f, width // f, device=dev, dtype=pipe.vae.dtype)
        with FlopCounterMode(display=False) as fc:
            pipe.vae.decode(z, return_dict=False)
        out["vae_decode"] = fc.get_total_flops()
        with FlopCounterMode(display=False) as fc:
            pipe.encode_prompt("a photograph of an astronaut riding a horse", do_classifier_free_guidance=True,
                               device=dev, complex_human_instruction=chi)
        out["text_encoder_prompt_and_negative"] = fc.get_total_flops()
    return out


def timed_call(pipe, torch, prompt: str, batch: int, seed0: int, a) -> dict:
    events = []

    def on_step(_pipe, _i, _t, kwargs):
        ev = torch.cuda.Event(enable_timing=True)
        ev.record()
        events.append(ev)
        return kwargs

    gens = [torch.Generator("cpu").manual_seed(seed0 + i) for i in range(batch)]
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    start.record()
    images = pipe(prompt=prompt, num_images_per_prompt=batch, num_inference_steps=a.steps,
                  guidance_scale=a.guidance_scale, width=a.width, height=a.height, generator=gens,
                  output_type="pil", use_resolution_binning=False, callback_on_step_end=on_step).images
    end.record()
    torch.cuda.synchronize()
    total = time.perf_counter() - t0
    assert len(images) == batch, f"{len(images)} images for batch {batch}"
    run = {"total_seconds": total}
    if len(events) == a.steps and a.steps >= 2:
        s = [start.elapsed_time(e) / 1000 for e in events]
        durations = sorted(s[i] - s[i - 1] for i in range(1, len(s)))
        median = durations[len(durations) // 2]
        run.update(text_encoder_seconds=max(0.0, s[0] - median), transformer_seconds=s[-1] - s[0] + median,
                   step_seconds=median, vae_decode_seconds=start.elapsed_time(end) / 1000 - s[-1])
    return run


def summarise(batch: int, runs: list[dict], warmup: list[float], peak_alloc: int, peak_reserved: int,
              flops_per_image: float | None, peak_tflops: float) -> dict:
    mean = statistics.mean(r["total_seconds"] for r in runs)
    ips = batch / mean
    res = {"batch_size": batch, "error": None, "images_per_second": ips, "mean_seconds": mean,
           "min_seconds": min(r["total_seconds"] for r in runs), "max_seconds": max(r["total_seconds"] for r in runs)}
    for k in ("text_encoder_seconds", "transformer_seconds", "step_seconds", "vae_decode_seconds"):
        res[k] = statistics.mean(r[k] for r in runs) if all(k in r for r in runs) else None
    res.update(peak_memory_allocated_mib=peak_alloc >> 20, peak_memory_reserved_mib=peak_reserved >> 20,
               utilisation_percent=100 * ips * flops_per_image / (peak_tflops * 1e12) if flops_per_image else None,
               warmup_seconds=warmup, runs=runs)
    return res


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--batch-sizes", default="1,4,8,16")
    ap.add_argument("--compile-batch-sizes", default=None, help="default: --batch-sizes")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--guidance-scale", type=float, default=4.5)
    ap.add_argument("--width", type=int, default=1024)
    ap.add_argument("--height", type=int, default=1024)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--modes", default="eager,compile")
    ap.add_argument("--compile-mode", default="default", help="torch.compile mode (default, max-autotune, ...)")
    ap.add_argument("--dtype", default="bf16", choices=("bf16", "fp16"))
    ap.add_argument("--prompt", default="a photograph of an astronaut riding a horse on the moon")
    ap.add_argument("--deadline", type=float, default=None, help="UNIX time after which no new batch size starts")
    ap.add_argument("--peak-tflops", type=float, default=790.0)
    ap.add_argument("--no-flops", action="store_true")
    a = ap.parse_args()

    import torch
    import diffusers
    from diffusers import SanaPipeline

    dtype = torch.bfloat16 if a.dtype == "bf16" else torch.float16
    t0 = time.time()
    pipe = SanaPipeline.from_pretrained(a.model, torch_dtype=dtype).to("cuda")
    pipe.set_progress_bar_config(disable=True)
    load = time.time() - t0
    log(f"loaded {a.model} in {load:.1f}s; text encoder attention "
        f"{getattr(pipe.text_encoder.config, '_attn_implementation', '?')}")
    chi = inspect.signature(SanaPipeline.__call__).parameters["complex_human_instruction"].default
    report = {
        "tool": "benchmarks/diffusers_baseline.py",
        "model": {"folder": a.model, "dtype": a.dtype,
                  "random_sana": json.loads((Path(a.model) / "random-sana.json").read_text())
                  if (Path(a.model) / "random-sana.json").exists() else None},
        "device": "cuda:0",
        "environment": {"gpu_name": torch.cuda.get_device_name(0), "torch": torch.__version__,
                        "diffusers": diffusers.__version__, "cuda": torch.version.cuda, "python": platform.python_version()},
        "settings": {"width": a.width, "height": a.height, "steps": a.steps, "guidance_scale": a.guidance_scale,
                     "scheduler": type(pipe.scheduler).__name__, "warmup": a.warmup, "repeats": a.repeats,
                     "prompt": a.prompt, "compile_mode": a.compile_mode, "output_type": "pil"},
        "load_seconds": load,
        "timing_method": __doc__.split("\n\n")[1].replace("\n", " "),
        "flops": None,
        "modes": {},
    }
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)

    def write():
        out.write_text(json.dumps(report, indent=1))

    flops_per_image = None
    if not a.no_flops:
        try:
            fl = count_flops(pipe, torch, a.width, a.height, chi)
            branches = 2 if a.guidance_scale > 1 else 1
            fl["transformer_per_image"] = fl["transformer_forward"] * a.steps * branches
            fl["total_per_image_excluding_text_encoder"] = fl["transformer_per_image"] + fl["vae_decode"]
            fl["peak_tflops"] = a.peak_tflops
            report["flops"] = fl
            flops_per_image = fl["transformer_per_image"]
            log(f"FLOPs: transformer forward {fl['transformer_forward'] / 1e12:.3f} T, per image "
                f"{fl['transformer_per_image'] / 1e12:.1f} T, VAE decode {fl['vae_decode'] / 1e12:.2f} T, "
                f"text encoder {fl['text_encoder_prompt_and_negative'] / 1e12:.2f} T")
        except Exception as e:  # noqa: BLE001 - the timing still counts
            traceback.print_exc()
            report["flops"] = {"error": f"{type(e).__name__}: {e}"}
    write()

    eager_transformer, eager_decoder = pipe.transformer, pipe.vae.decoder
    call = 0
    for mode in [m.strip() for m in a.modes.split(",") if m.strip()]:
        sizes = parse_sizes(a.compile_batch_sizes or a.batch_sizes) if mode == "compile" else parse_sizes(a.batch_sizes)
        if mode == "compile":
            pipe.transformer = torch.compile(eager_transformer, mode=a.compile_mode, dynamic=False)
            pipe.vae.decoder = torch.compile(eager_decoder, mode=a.compile_mode, dynamic=False)
        else:
            pipe.transformer, pipe.vae.decoder = eager_transformer, eager_decoder
        results = report["modes"].setdefault(mode, [])
        for batch in sizes:
            if a.deadline is not None and time.time() > a.deadline:
                log(f"{mode} batch {batch}: skipped (deadline)")
                results.append({"batch_size": batch, "error": "skipped: out of time"})
                write()
                continue
            torch.cuda.reset_peak_memory_stats()
            warm, runs = [], []
            try:
                for r in range(a.warmup + a.repeats):
                    call += 1
                    run = timed_call(pipe, torch, f"{a.prompt}, take {call}", batch, 1000 * call, a)
                    (warm if r < a.warmup else runs).append(run["total_seconds"] if r < a.warmup else run)
                    if r < a.warmup:
                        log(f"{mode} batch {batch}: warm-up {run['total_seconds']:.2f}s")
            except torch.cuda.OutOfMemoryError as e:
                log(f"{mode} batch {batch}: out of memory: {e}")
                results.append({"batch_size": batch, "error": "out of device memory"})
                torch.cuda.empty_cache()
                write()
                continue
            except Exception as e:  # noqa: BLE001 - record and go on
                traceback.print_exc()
                results.append({"batch_size": batch, "error": f"{type(e).__name__}: {str(e)[:300]}"})
                write()
                continue
            res = summarise(batch, runs, warm, torch.cuda.max_memory_allocated(), torch.cuda.max_memory_reserved(),
                            flops_per_image, a.peak_tflops)
            results.append(res)
            log(f"{mode} batch {batch}: {res['images_per_second']:.3f} images/s ({res['mean_seconds']:.3f}s/call; "
                f"text {res['text_encoder_seconds'] or 0:.3f}s, steps {res['transformer_seconds'] or 0:.3f}s, "
                f"decode {res['vae_decode_seconds'] or 0:.3f}s), peak {res['peak_memory_reserved_mib']} MiB reserved, "
                f"util {res['utilisation_percent'] or 0:.1f}%")
            write()
    write()
    log(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
