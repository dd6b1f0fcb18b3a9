"""Records what diffusers produces with the tiny Sana, as reference data for the C# runtime's tests.

    python tools/export/make_fixtures.py TINY_DIFFUSERS_DIR REFERENCE_DIR

Writes into REFERENCE_DIR (see the README.md it writes there for every file):
  tokens.json       tokenizer ids: plain texts, and exactly what SanaPipeline tokenizes (CHI, padding, truncation)
  schedulers.json   sigmas/timesteps of DPMSolverMultistepScheduler and FlowMatchEulerDiscreteScheduler, and
                    step-by-step walks of scheduler.step on recorded arrays
  noise.json + noise/*.npy   torch.randn on CPU generators for many seeds and shapes
  cases.json + cases/*      SanaPipeline / SanaPAGPipeline runs: PNG and float images, latents, embeddings
Everything runs on the CPU in float32 with torch.use_deterministic_algorithms. The text encoder is loaded with
eager attention, as the exported graph has it (the log says what the default attention would change).
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import time
from pathlib import Path

from sana_common import default_chi, log, versions, write_json
import tiny_corpus

import numpy as np
import torch

MAX_SEQ = 300
NOISE_SEEDS = [0, 1, 42, 123456789, 2**32 + 42, 2**63 - 1, 2**64 - 1]
NOISE_SHAPES = [[1], [5], [15], [16], [17], [31], [1, 8, 16, 16], [1, 4, 3, 5], [1, 32, 32, 32]]
SCHEDULE_STEPS = [1, 2, 3, 4, 10, 20, 28, 50]
SCHEDULE_SHIFTS = [1.0, 3.0, 7.0]
WALKS = [("dpm", 4, 3.0, 11), ("dpm", 20, 7.0, 12), ("euler", 4, 3.0, 13), ("euler", 10, 1.0, 14)]

CASES = [
    dict(name="sana_dpm_cfg_20steps", pipeline="SanaPipeline", prompt="a red cat sitting on a blue mat",
         negative_prompt="", steps=20, guidance=4.5, height=64, width=64, seed=0, n=2, scheduler="dpm",
         detailed=True),
    dict(name="sana_dpm_cfg_negative_wide", pipeline="SanaPipeline",
         prompt="  A Mountain Lake at Sunrise, PHOTOREALISTIC  ", negative_prompt="blurry, low quality", steps=5,
         guidance=4.5, height=32, width=96, seed=42, n=3, scheduler="dpm"),
    dict(name="sana_dpm_nocfg_2steps", pipeline="SanaPipeline", prompt="café naïve 東京 🚀 🐱‍👤",
         negative_prompt="", steps=2, guidance=1.0, height=64, width=64, seed=123456789, n=2, scheduler="dpm"),
    dict(name="sana_dpm_1step_tall", pipeline="SanaPipeline", prompt="a tall tower", negative_prompt="",
         steps=1, guidance=4.5, height=96, width=32, seed=7, n=2, scheduler="dpm"),
    dict(name="sana_empty_prompt", pipeline="SanaPipeline", prompt="", negative_prompt="", steps=2,
         guidance=4.5, height=32, width=32, seed=0, n=2, scheduler="dpm"),
    dict(name="sana_long_prompt_truncated", pipeline="SanaPipeline", prompt=tiny_corpus.long_prompt(),
         negative_prompt="Ugly, Deformed  ", steps=2, guidance=4.5, height=64, width=64, seed=2**32 + 5, n=2,
         scheduler="dpm"),
    dict(name="sana_euler_cfg", pipeline="SanaPipeline", prompt="a glowing neon sign in a rainy city street",
         negative_prompt="", steps=5, guidance=4.5, height=64, width=64, seed=1, n=2, scheduler="euler"),
    dict(name="sana_euler_nocfg_20steps_max_seed", pipeline="SanaPipeline", prompt="an ancient stone bridge",
         negative_prompt="", steps=20, guidance=1.0, height=32, width=64, seed=2**64 - 2, n=2, scheduler="euler"),
    dict(name="pag_dpm_cfg_layer0", pipeline="SanaPAGPipeline",
         prompt="a small fluffy white cat curled up on a windowsill", negative_prompt="", steps=5, guidance=4.5,
         pag_scale=3.0, pag_applied_layers=["transformer_blocks.0"], height=64, width=64, seed=3, n=2,
         scheduler="dpm"),
    dict(name="pag_euler_nocfg_layer0", pipeline="SanaPAGPipeline", prompt="a busy market at dusk",
         negative_prompt="", steps=4, guidance=1.0, pag_scale=3.0, pag_applied_layers=["transformer_blocks.0"],
         height=64, width=64, seed=5, n=2, scheduler="euler"),
    dict(name="pag_dpm_cfg_two_layers", pipeline="SanaPAGPipeline", prompt="a golden dragon over a misty lake",
         negative_prompt="blurry, low quality", steps=20, guidance=4.5, pag_scale=3.0,
         pag_applied_layers=["transformer_blocks.0", "transformer_blocks.2"], height=32, width=96, seed=9, n=3,
         scheduler="dpm"),
]


def flat(t: torch.Tensor) -> list[float]:
    return [float(v) for v in t.detach().float().reshape(-1).tolist()]


# ------------------------------------------------------------------------------------------------------ load
def load_pipeline(tiny: Path):
    from diffusers import SanaPipeline
    from transformers import Gemma2Model

    te = Gemma2Model.from_pretrained(str(tiny / "text_encoder"), attn_implementation="eager").eval()
    pipe = SanaPipeline.from_pretrained(str(tiny), text_encoder=te)
    pipe.set_progress_bar_config(disable=True)
    log(f"pipeline: tokenizer {type(pipe.tokenizer).__name__}, text encoder attn "
        f"{pipe.text_encoder.config._attn_implementation}, scheduler {type(pipe.scheduler).__name__}")
    try:
        default_te = Gemma2Model.from_pretrained(str(tiny / "text_encoder")).eval()
        ids = pipe.tokenizer("a red cat", return_tensors="pt")
        with torch.no_grad():
            a = te(**ids)[0]
            b = default_te(**ids)[0]
        log(f"text encoder default attention is {default_te.config._attn_implementation!r}; max abs diff vs eager "
            f"on a short prompt: {float((a - b).abs().max()):.3e}")
    except Exception as e:  # noqa: BLE001 - information only
        log(f"(default-attention comparison skipped: {type(e).__name__}: {e})")
    return pipe


class EncoderCalls:
    """Records the (input_ids, attention_mask) every text-encoder call receives."""

    def __init__(self, module):
        self.calls: list[tuple[torch.Tensor, torch.Tensor]] = []
        self.handle = module.register_forward_pre_hook(self._hook, with_kwargs=True)

    def _hook(self, module, args, kwargs):
        ids = args[0] if args else kwargs["input_ids"]
        self.calls.append((ids.clone(), kwargs["attention_mask"].clone()))

    def close(self):
        self.handle.remove()


# ---------------------------------------------------------------------------------------------------- tokens
def make_tokens(pipe, tiny: Path, ref: Path, chi: list[str]) -> None:
    import sentencepiece as spm

    tok = pipe.tokenizer
    sp = spm.SentencePieceProcessor(model_file=str(tiny / "tokenizer" / "tokenizer.model"))
    plain = []
    same = 0
    for text in tiny_corpus.plain_texts(chi):
        ids = tok(text, add_special_tokens=True).input_ids
        spm_ids = [sp.bos_id()] + list(sp.encode(text))
        entry = {"text": text, "ids": ids, "pieces": tok.convert_ids_to_tokens(ids),
                 "sentencepiece_ids_equal": ids == spm_ids}
        if ids != spm_ids:
            entry["sentencepiece_ids"] = spm_ids
            log(f"  tokens: transformers and sentencepiece differ for {text[:40]!r}")
        same += ids == spm_ids
        plain.append(entry)
    log(f"tokens: {len(plain)} plain texts, sentencepiece agrees on {same}")

    chi_text = "\n".join(chi)
    chi_count = len(tok.encode(chi_text))
    max_all = chi_count + MAX_SEQ - 2
    rec = EncoderCalls(pipe.text_encoder)
    pipeline = []
    try:
        for prompt in tiny_corpus.PIPELINE_PROMPTS + [tiny_corpus.long_prompt()]:
            rec.calls.clear()
            pipe.encode_prompt(prompt, do_classifier_free_guidance=False, device="cpu", max_sequence_length=MAX_SEQ,
                               complex_human_instruction=chi)
            ids, mask = rec.calls[0]
            text = chi_text + prompt.lower().strip()
            full = len(tok(text).input_ids)
            pipeline.append({"kind": "prompt", "prompt": prompt, "chi": True, "tokenized_text": text,
                             "max_length": int(ids.shape[1]), "untruncated_token_count": full,
                             "truncated": full > ids.shape[1], "input_ids": ids[0].tolist(),
                             "attention_mask": mask[0].tolist()})
        for neg in tiny_corpus.NEGATIVE_PROMPTS:
            rec.calls.clear()
            pipe.encode_prompt("x", do_classifier_free_guidance=True, negative_prompt=neg, device="cpu",
                               max_sequence_length=MAX_SEQ, complex_human_instruction=chi)
            ids, mask = rec.calls[1]
            text = neg.lower().strip()
            pipeline.append({"kind": "negative", "prompt": neg, "chi": False, "tokenized_text": text,
                             "max_length": int(ids.shape[1]), "untruncated_token_count": len(tok(text).input_ids),
                             "truncated": False, "input_ids": ids[0].tolist(), "attention_mask": mask[0].tolist()})
    finally:
        rec.close()
    for e in pipeline:
        log(f"  pipeline tokens [{e['kind']}] {e['prompt'][:30]!r}: length {e['max_length']}, "
            f"{sum(e['attention_mask'])} real, truncated {e['truncated']}")
        if e["kind"] == "prompt" and e["max_length"] != max_all:
            log(f"  WARNING: expected max_length_all {max_all}")
    write_json(ref / "tokens.json", {
        "tokenizer": type(tok).__name__,
        "special_ids": {"pad": tok.pad_token_id, "eos": tok.eos_token_id, "bos": tok.bos_token_id,
                        "unk": tok.unk_token_id},
        "vocab_size": len(tok),
        "complex_human_instruction": chi,
        "chi_token_count": chi_count,
        "max_length_all": max_all,
        "select_index": [0] + list(range(-(MAX_SEQ - 1), 0)),
        "plain": plain,
        "pipeline": pipeline,
        "versions": versions(),
    }, indent=None)


# ------------------------------------------------------------------------------------------------ schedulers
def new_scheduler(kind: str, base_config, shift: float):
    from diffusers import DPMSolverMultistepScheduler, FlowMatchEulerDiscreteScheduler

    if kind == "dpm":
        return DPMSolverMultistepScheduler.from_config(base_config, flow_shift=shift)
    return FlowMatchEulerDiscreteScheduler(shift=shift)


def make_schedulers(pipe, ref: Path) -> None:
    base = pipe.scheduler.config
    entries = []
    walks = {(k, s, sh): seed for k, s, sh, seed in WALKS}
    for kind in ("dpm", "euler"):
        for steps in SCHEDULE_STEPS:
            for shift in SCHEDULE_SHIFTS:
                sch = new_scheduler(kind, base, shift)
                sch.set_timesteps(steps)
                entry = {"scheduler": kind, "steps": steps, "shift": shift, "class": type(sch).__name__,
                         "sigmas": [float(v) for v in sch.sigmas.tolist()],
                         "timesteps": [t for t in sch.timesteps.tolist()],
                         "timesteps_dtype": str(sch.timesteps.dtype).replace("torch.", ""),
                         "sigmas_dtype": str(sch.sigmas.dtype).replace("torch.", "")}
                if (kind, steps, shift) in walks:
                    entry["walk"] = step_walk(kind, base, steps, shift, walks[(kind, steps, shift)])
                entries.append(entry)
    e = next(x for x in entries if x["scheduler"] == "dpm" and x["steps"] == 20 and x["shift"] == 3.0)
    log(f"schedulers: {len(entries)} schedules; dpm 20 steps shift 3 timesteps {e['timesteps']}")
    write_json(ref / "schedulers.json", entries, indent=None)


def step_walk(kind: str, base, steps: int, shift: float, seed: int) -> dict:
    sch = new_scheduler(kind, base, shift)
    sch.set_timesteps(steps)
    g = torch.Generator("cpu").manual_seed(seed)
    shape = [1, 2, 2, 2]
    sample = torch.randn(shape, generator=g)
    outputs = [torch.randn(shape, generator=g) for _ in range(len(sch.timesteps))]
    initial = sample.clone()
    prev = []
    for i, t in enumerate(sch.timesteps):
        sample = sch.step(outputs[i], t, sample, return_dict=False)[0]
        prev.append(flat(sample))
    return {"seed": seed, "shape": shape, "initial_sample": flat(initial),
            "model_outputs": [flat(o) for o in outputs], "prev_samples": prev}


# ----------------------------------------------------------------------------------------------------- noise
def make_noise(ref: Path) -> None:
    ndir = ref / "noise"
    ndir.mkdir(parents=True, exist_ok=True)
    cases = []
    for seed in NOISE_SEEDS:
        for shape in NOISE_SHAPES:
            name = f"noise/seed{seed}_{'x'.join(str(d) for d in shape)}.npy"
            entry = {"seed": seed, "seed_string": str(seed), "seed_low32": seed & 0xFFFFFFFF, "shape": shape}
            try:
                g = torch.Generator("cpu").manual_seed(seed)
                x = torch.randn(shape, generator=g, dtype=torch.float32)
                np.save(ref / name, x.numpy())
                entry["file"] = name
                entry["first"] = [float(v) for v in x.reshape(-1)[:4].tolist()]
            except Exception as e:  # noqa: BLE001 - a refused seed is part of the record
                entry["error"] = f"{type(e).__name__}: {e}"
                log(f"  noise seed {seed} shape {shape}: {entry['error']}")
            cases.append(entry)
    sequential = []
    for sizes in ([5, 20], [20, 5]):
        g = torch.Generator("cpu").manual_seed(42)
        files = []
        for k, n in enumerate(sizes):
            x = torch.randn([n], generator=g, dtype=torch.float32)
            name = f"noise/seq_seed42_{'_'.join(map(str, sizes))}_call{k}.npy"
            np.save(ref / name, x.numpy())
            files.append(name)
        sequential.append({"seed": 42, "sizes": sizes, "files": files})
    same = np.array_equal(np.load(ref / "noise/seed42_1x8x16x16.npy"),
                          np.load(ref / f"noise/seed{2**32 + 42}_1x8x16x16.npy"))
    log(f"noise: {len(cases)} cases; seed 2**32+42 equals seed 42: {same}")
    write_json(ref / "noise.json", {"torch": torch.__version__, "dtype": "float32", "device": "cpu",
                                    "call": "torch.randn(shape, generator=torch.Generator('cpu').manual_seed(seed), "
                                            "dtype=torch.float32)",
                                    "seed_2pow32_plus_42_equals_42": bool(same),
                                    "cases": cases, "sequential": sequential})


# ----------------------------------------------------------------------------------------------------- cases
def pag_layer_indices(pag_pipe, cfg: bool) -> list[int]:
    original = pag_pipe.transformer.attn_processors
    pag_pipe._set_pag_attn_processor(pag_applied_layers=pag_pipe.pag_applied_layers, do_classifier_free_guidance=cfg)
    idx = [i for i, b in enumerate(pag_pipe.transformer.transformer_blocks)
           if type(b.attn1.processor).__name__.startswith("PAG")]
    pag_pipe.transformer.set_attn_processor(original)
    return idx


def run_case(pipe, case: dict, chi: list[str], ref: Path) -> dict:
    from diffusers import SanaPAGPipeline, SanaPipeline

    cdir = ref / "cases"
    name = case["name"]
    sch = new_scheduler(case["scheduler"], pipe.scheduler.config, 3.0)
    comps = dict(tokenizer=pipe.tokenizer, text_encoder=pipe.text_encoder, vae=pipe.vae,
                 transformer=pipe.transformer, scheduler=sch)
    if case["pipeline"] == "SanaPAGPipeline":
        p = SanaPAGPipeline(**comps, pag_applied_layers=case["pag_applied_layers"])
    else:
        p = SanaPipeline(**comps)
    p.set_progress_bar_config(disable=True)
    n = case["n"]
    seeds = [case["seed"] + i for i in range(n)]
    gens = [torch.Generator("cpu").manual_seed(s) for s in seeds]
    step_latents: list[torch.Tensor] = []

    def on_step(_pipe, i, t, kw):
        step_latents.append(kw["latents"].detach().clone())
        return {}

    kwargs = dict(prompt=case["prompt"], negative_prompt=case["negative_prompt"],
                  num_inference_steps=case["steps"], guidance_scale=case["guidance"], num_images_per_prompt=n,
                  height=case["height"], width=case["width"], generator=gens, output_type="np",
                  use_resolution_binning=False, max_sequence_length=MAX_SEQ, complex_human_instruction=chi,
                  callback_on_step_end=on_step, callback_on_step_end_tensor_inputs=["latents"])
    entry = {k: v for k, v in case.items() if k != "detailed"}
    entry.update({"num_inference_steps": case["steps"], "guidance_scale": case["guidance"], "num_images": n,
                  "seeds": seeds, "seeds_string": [str(s) for s in seeds],
                  "use_resolution_binning": False, "max_sequence_length": MAX_SEQ,
                  "complex_human_instruction": "diffusers default (tokens.json complex_human_instruction)",
                  "clean_caption": False, "output_type": "np",
                  "scheduler_class": type(sch).__name__,
                  "scheduler_config": dict(sch.config),
                  "latent_shape": [n, pipe.transformer.config.in_channels, case["height"] // pipe.vae_scale_factor,
                                   case["width"] // pipe.vae_scale_factor]})
    del entry["steps"], entry["guidance"], entry["n"]
    if case["pipeline"] == "SanaPAGPipeline":
        kwargs["pag_scale"] = case["pag_scale"]
        entry["pag_adaptive_scale"] = 0.0
        entry["pag_layer_indices"] = pag_layer_indices(p, case["guidance"] > 1.0)
    else:
        entry["pag_scale"] = 0.0
        entry["pag_applied_layers"] = []
        entry["pag_layer_indices"] = []
    detailed = case.get("detailed", False)
    tcalls = []
    hook = None
    if detailed:
        def thook(module, args, kw, output):
            if not tcalls:
                tcalls.append({"hidden_states": args[0].detach().clone() if args else kw["hidden_states"].clone(),
                               "encoder_hidden_states": kw["encoder_hidden_states"].detach().clone(),
                               "encoder_attention_mask": kw["encoder_attention_mask"].detach().clone(),
                               "timestep": kw["timestep"].detach().clone(),
                               "velocity": output[0].detach().clone()})
        hook = pipe.transformer.register_forward_hook(thook, with_kwargs=True)
    t0 = time.time()
    try:
        images = p(**kwargs).images
    finally:
        if hook is not None:
            hook.remove()
    dt = time.time() - t0
    files = {"images_png": [], "images_npy": f"cases/{name}.npy", "final_latents": f"cases/{name}_final_latents.npy"}
    np.save(ref / files["images_npy"], images.astype(np.float32))
    for i, img in enumerate(p.numpy_to_pil(images)):
        fn = f"cases/{name}_{i}.png"
        img.save(ref / fn)
        files["images_png"].append(fn)
    np.save(ref / files["final_latents"], step_latents[-1].numpy())
    entry["timesteps"] = [t for t in sch.timesteps.tolist()]
    entry["sigmas"] = [float(v) for v in sch.sigmas.tolist()]
    if detailed:
        np.save(cdir / f"{name}_latents_per_step.npy", torch.stack(step_latents).numpy())
        files["latents_per_step"] = f"cases/{name}_latents_per_step.npy"
        init = torch.cat([torch.randn((1,) + tuple(entry["latent_shape"][1:]),
                                      generator=torch.Generator("cpu").manual_seed(s)) for s in seeds])
        np.save(cdir / f"{name}_initial_noise.npy", init.numpy())
        files["initial_noise"] = f"cases/{name}_initial_noise.npy"
        pe, pm, ne, nm = p.encode_prompt(case["prompt"], True, negative_prompt=case["negative_prompt"],
                                         num_images_per_prompt=1, device="cpu", max_sequence_length=MAX_SEQ,
                                         complex_human_instruction=chi)
        for key, val in (("prompt_embeds", pe), ("prompt_attention_mask", pm), ("negative_prompt_embeds", ne),
                         ("negative_prompt_attention_mask", nm)):
            arr = val.detach().numpy()
            arr = arr.astype(np.int64) if "mask" in key else arr.astype(np.float32)
            np.save(cdir / f"{name}_{key}.npy", arr)
            files[key] = f"cases/{name}_{key}.npy"
        if tcalls:
            for key, val in tcalls[0].items():
                arr = val.detach().numpy()
                arr = arr.astype(np.int64) if "mask" in key else arr.astype(np.float32)
                np.save(cdir / f"{name}_step0_transformer_{key}.npy", arr)
                files[f"step0_transformer_{key}"] = f"cases/{name}_step0_transformer_{key}.npy"
    entry["files"] = files
    entry["image_stats"] = {"mean": float(images.mean()), "std": float(images.std()),
                            "min": float(images.min()), "max": float(images.max()),
                            "saturated_fraction": float(np.mean((images <= 0) | (images >= 1)))}
    entry["seconds"] = round(dt, 3)
    log(f"case {name}: {n} images {case['height']}x{case['width']}, {case['steps']} steps, {dt:.2f}s, "
        f"mean {images.mean():.3f} std {images.std():.3f}, pag layers {entry['pag_layer_indices']}")
    return entry


def make_cases(pipe, ref: Path, chi: list[str], only: str | None) -> None:
    (ref / "cases").mkdir(parents=True, exist_ok=True)
    out = []
    for case in CASES:
        if only and not re.search(only, case["name"]):
            continue
        try:
            out.append(run_case(pipe, case, chi, ref))
        except Exception as e:  # noqa: BLE001 - record and go on with the other cases
            import traceback

            traceback.print_exc()
            log(f"case {case['name']}: FAILED: {type(e).__name__}: {e}")
            out.append({"name": case["name"], "error": f"{type(e).__name__}: {e}"})
    # distinct images across cases with the same seed make sure the prompt matters
    write_json(ref / "cases.json", {"versions": versions(), "vae_scale_factor": pipe.vae_scale_factor,
                                    "vae_scaling_factor": float(pipe.vae.config.scaling_factor),
                                    "text_encoder_attn_implementation": "eager",
                                    "cases": out})


# ---------------------------------------------------------------------------------------------------- readme
README = """# Reference data recorded from diffusers with the tiny Sana

Made by `tools/export/make_fixtures.py` (run by `tools/export/regenerate_fixtures.sh` on the GPU machine, on its
CPU, float32, `torch.use_deterministic_algorithms(True)`) from the tiny random diffusers folder
(`../diffusers/`, built by `tools/export/make_tiny_sana.py`). `../model/` is that folder exported by
`tools/export/export_sana.py` (the sana-onnx/1 model folder, docs/model-folder.md). Versions: {versions}.

## tokens.json
- `special_ids` (pad 0, eos 1, bos 2, unk 3), `vocab_size`, `complex_human_instruction` (diffusers' default CHI,
  8 lines, joined with "\\n" before tokenizing), `chi_token_count` = len(tokenizer.encode(CHI)) (BOS included),
  `max_length_all` = chi_token_count + 300 - 2, `select_index` = [0] + range(-299, 0) (rows kept of the
  encoder output and of the mask).
- `plain`: {{text, ids, pieces, sentencepiece_ids_equal[, sentencepiece_ids]}}: `tokenizer(text,
  add_special_tokens=True).input_ids` of the transformers tokenizer the pipeline loads (BOS first, no EOS);
  `sentencepiece_ids` is [bos] + SentencePiece's own encoding of tokenizer.model, written only where it differs.
- `pipeline`: exactly the input_ids / attention_mask SanaPipeline fed the text encoder (recorded by a hook):
  `kind` "prompt" (prompt.lower().strip() after the CHI, padded right with 0 to max_length_all, truncated)
  or "negative" (no CHI, length 300). `tokenized_text`, `max_length`, `untruncated_token_count`, `truncated`.

## schedulers.json
A list of {{scheduler: "dpm"|"euler", steps, shift, class, sigmas, timesteps, timesteps_dtype, sigmas_dtype}}:
"dpm" is DPMSolverMultistepScheduler.from_config(the folder's scheduler_config, flow_shift=shift), "euler" is
FlowMatchEulerDiscreteScheduler(shift=shift), both after set_timesteps(steps). sigmas has steps+1 entries (last
0). DPM timesteps are int64, Euler timesteps float32. Four entries also hold `walk`: {{seed, shape [1,2,2,2],
initial_sample, model_outputs[step], prev_samples[step]}} (flat, C order): scheduler.step(model_outputs[i],
timesteps[i], sample) from initial_sample, the sample after each step.

## noise.json + noise/
`cases`: {{seed, seed_string, seed_low32, shape, file, first}}: torch.randn(shape,
generator=torch.Generator("cpu").manual_seed(seed), dtype=float32) saved as float32 .npy. `sequential`: two
randn calls on one generator (seed 42; sizes 5 then 20, and 20 then 5), one file per call.

## cases.json + cases/
Each case is one SanaPipeline or SanaPAGPipeline call with the tiny components: prompt, negative_prompt,
num_inference_steps, guidance_scale (1.0 = CFG off), pag_scale (0 = off), pag_applied_layers (diffusers names)
and pag_layer_indices (the blocks diffusers matched), height, width, num_images (num_images_per_prompt), seed and
seeds (generator=[torch.Generator("cpu").manual_seed(seed + i) for i in range(num_images)]),
scheduler ("dpm" = the folder's DPMSolverMultistepScheduler, "euler" = FlowMatchEulerDiscreteScheduler(shift=3)),
scheduler_config, timesteps, sigmas, latent_shape; always use_resolution_binning=False,
max_sequence_length=300, the default CHI, clean_caption=False, output_type="np".
Files (under cases/):
- `NAME_I.png`: image I as diffusers saves it (round(x * 255) of the float image).
- `NAME.npy`: the float32 pipeline output [num_images, H, W, 3] in [0, 1] (before uint8).
- `NAME_final_latents.npy`: the latents after the last step [num_images, C, h, w] (before / scaling_factor).
- For sana_dpm_cfg_20steps also: `_latents_per_step.npy` [steps, n, C, h, w] (after each step),
  `_initial_noise.npy` [n, C, h, w], `_prompt_embeds.npy` [1, 300, D] / `_prompt_attention_mask.npy` [1, 300]
  (int64) and the negative ones (what encode_prompt returned, rows already selected), and the first transformer
  call: `_step0_transformer_hidden_states` [2n, C, h, w] (CFG batch [uncond, cond]), `_encoder_hidden_states`,
  `_encoder_attention_mask`, `_timestep` (float32, what the transformer got), `_velocity` (its output).
`image_stats` and `seconds` are for orientation. The text encoder ran with eager attention (as exported).
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("tiny")
    ap.add_argument("reference")
    ap.add_argument("--only", default=None, help="regex: run only the matching cases")
    ap.add_argument("--skip", default="", help="comma list of tokens,schedulers,noise,cases to skip")
    args = ap.parse_args()
    tiny, ref = Path(args.tiny), Path(args.reference)
    if ref.exists():
        shutil.rmtree(ref)
    ref.mkdir(parents=True)
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.manual_seed(0)
    log(f"versions: {versions()}; torch threads {torch.get_num_threads()}")
    chi = default_chi()
    pipe = load_pipeline(tiny)
    skip = set(filter(None, args.skip.split(",")))
    failures = []
    for label, fn in (("tokens", lambda: make_tokens(pipe, tiny, ref, chi)),
                      ("schedulers", lambda: make_schedulers(pipe, ref)),
                      ("noise", lambda: make_noise(ref)),
                      ("cases", lambda: make_cases(pipe, ref, chi, args.only))):
        if label in skip:
            continue
        t0 = time.time()
        try:
            fn()
            log(f"{label}: done in {time.time() - t0:.1f}s")
        except Exception as e:  # noqa: BLE001 - go on with the rest
            import traceback

            traceback.print_exc()
            failures.append(label)
            log(f"{label}: FAILED: {type(e).__name__}: {e}")
    v = versions()
    (ref / "README.md").write_text(README.format(
        versions=", ".join(f"{k} {v[k]}" for k in ("torch", "diffusers", "transformers", "tokenizers"))),
        encoding="utf-8")
    total = sum(p.stat().st_size for p in ref.rglob("*") if p.is_file())
    log(f"reference folder {ref}: {total / 1e6:.2f} MB; failures: {failures or 'none'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
