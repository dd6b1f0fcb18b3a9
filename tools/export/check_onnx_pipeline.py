"""Runs the exported model folder with ONNX Runtime (CPU) in a small Python re-implementation of the Sana
pipeline and compares its images with the ones diffusers made (tests/fixtures/tiny-sana/reference).

    python tools/export/check_onnx_pipeline.py MODEL_DIR REFERENCE_DIR [--json SUMMARY.json] [--max-mean-diff 1.0]

What the C# runtime has to do, in Python, from the manifest alone (no diffusers here):
  tokenize (prompt.lower().strip(), CHI prefix, BOS, right padding with pad_id, truncation), text_encoder,
  keep rows [0] + [-299..-1], CFG/PAG batch, transformer per step, guidance in float32, DPM-Solver++ 2M
  (flow sigmas) or flow-match Euler in float32 numpy (own implementation of the formulas), latents /
  scaling_factor, vae_decoder, clamp(x / 2 + 0.5, 0, 1), round(x * 255).
Noise comes from torch.randn with per-image CPU generators (seed + i), as diffusers draws it.
Prints per case the mean and max abs pixel difference (0-255 units) and the share of identical uint8 values;
exits 1 when the mean abs difference of a case exceeds --max-mean-diff.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from sana_common import log, versions, write_json

import numpy as np

F32 = np.float32


# ------------------------------------------------------------------------------------------------- schedules
def flow_shift(s, shift):
    return shift * s / (1 + (shift - 1) * s)


def dpm_schedule(steps: int, shift: float):
    """DPMSolverMultistepScheduler with use_flow_sigmas, final_sigmas_type zero: (sigmas f32 [n+1], timesteps)."""
    s = 1.0 - np.linspace(1.0, 1.0 / 1000, steps + 1)  # float64
    s = flow_shift(s, shift)[::-1][:-1]
    timesteps = (s * 1000).astype(np.int64)  # truncation
    sigmas = np.concatenate([s, [0.0]]).astype(F32)
    return sigmas, timesteps


def euler_schedule(steps: int, shift: float):
    """FlowMatchEulerDiscreteScheduler(shift): (sigmas f32 [n+1], timesteps f32)."""
    # sigma range of the 1000 training steps, shifted, computed in float32 as the scheduler's constructor does
    s_min = F32(flow_shift(F32(1.0) / F32(1000.0), F32(shift)))
    s_max = F32(flow_shift(F32(1000.0) / F32(1000.0), F32(shift)))
    t = np.linspace(float(s_max) * 1000, float(s_min) * 1000, steps)  # float64
    s = flow_shift(t / 1000, shift).astype(F32)
    timesteps = (s * F32(1000)).astype(F32)
    return np.concatenate([s, [F32(0)]]).astype(F32), timesteps


class DpmSolver:
    """DPM-Solver++ (2M, midpoint) for flow prediction; first order on the first and the last step."""

    def __init__(self, sigmas):
        self.sigmas = sigmas
        self.i = 0
        self.prev_x0 = None

    @staticmethod
    def _lambda(sig):
        with np.errstate(divide="ignore"):
            return np.log(F32(1) - sig) - np.log(sig)

    def step(self, v, x):
        i, sg = self.i, self.sigmas
        s0, s1 = sg[i], sg[i + 1]
        x0 = x - s0 * v
        last = i == len(sg) - 2
        if s1 == 0:
            prev = x0
        else:
            a1 = F32(1) - s1
            h = self._lambda(s1) - self._lambda(s0)
            e = np.exp(-h) - F32(1)
            prev = (s1 / s0) * x - (a1 * e) * x0
            if self.prev_x0 is not None and not last:
                h0 = self._lambda(s0) - self._lambda(sg[i - 1])
                r0 = h0 / h
                d1 = (F32(1) / r0) * (x0 - self.prev_x0)
                prev = prev - F32(0.5) * (a1 * e) * d1
        self.prev_x0 = x0
        self.i += 1
        return prev.astype(F32)


class Euler:
    def __init__(self, sigmas):
        self.sigmas = sigmas
        self.i = 0

    def step(self, v, x):
        dt = self.sigmas[self.i + 1] - self.sigmas[self.i]
        self.i += 1
        return (x + dt * v).astype(F32)


# --------------------------------------------------------------------------------------------------- runtime
class OnnxSana:
    def __init__(self, model_dir: Path):
        import onnxruntime as ort
        from transformers import AutoTokenizer

        self.dir = model_dir
        self.m = json.loads((model_dir / "sana-model.json").read_text(encoding="utf-8"))
        so = ort.SessionOptions()
        so.log_severity_level = 3
        self.sess = {k: ort.InferenceSession(str(model_dir / self.m[k]["file"]), so,
                                             providers=["CPUExecutionProvider"])
                     for k in ("text_encoder", "transformer", "vae_decoder")}
        for k, s in self.sess.items():
            log(f"loaded {k}: inputs {[(i.name, i.type, i.shape) for i in s.get_inputs()]} "
                f"outputs {[(o.name, o.type, o.shape) for o in s.get_outputs()]}")
        self.tok = AutoTokenizer.from_pretrained(str(model_dir / "tokenizer"))
        t = self.m["tokenizer"]
        self.chi = "\n".join(t["complex_human_instruction"])
        self.pad, self.max_seq = t["pad_id"], t["max_sequence_length"]
        self.chi_count = len(self.tok(self.chi).input_ids) if self.chi else 0
        self._embed_cache: dict = {}

    def token_ids(self, text: str, chi: bool):
        text = text.lower().strip()
        if chi and self.chi:
            length = self.chi_count + self.max_seq - 2
            text = self.chi + text
        else:
            length = self.max_seq
        ids = self.tok(text, add_special_tokens=True).input_ids[:length]
        mask = [1] * len(ids) + [0] * (length - len(ids))
        ids = ids + [self.pad] * (length - len(ids))
        return np.array([ids], np.int64), np.array([mask], np.int64)

    def embed(self, text: str, chi: bool):
        key = (text, chi)
        if key not in self._embed_cache:
            ids, mask = self.token_ids(text, chi)
            h = self.sess["text_encoder"].run(None, {"input_ids": ids, "attention_mask": mask})[0]
            keep = [0] + list(range(ids.shape[1] - (self.max_seq - 1), ids.shape[1]))
            self._embed_cache[key] = (h[:, keep].astype(F32), mask[:, keep])
        return self._embed_cache[key]

    def generate(self, case: dict, noise: np.ndarray, record: dict | None = None) -> np.ndarray:
        n = noise.shape[0]
        g, p = F32(case["guidance_scale"]), F32(case.get("pag_scale") or 0.0)
        cfg, pag = g > 1, p > 0
        pe, pm = self.embed(case["prompt"], True)
        parts_e, parts_m, ptb = [], [], []
        if cfg:
            ne, nm = self.embed(case["negative_prompt"], False)
            parts_e.append(np.repeat(ne, n, 0))
            parts_m.append(np.repeat(nm, n, 0))
            ptb += [0.0] * n
        parts_e.append(np.repeat(pe, n, 0))
        parts_m.append(np.repeat(pm, n, 0))
        ptb += [0.0] * n
        if pag:
            parts_e.append(np.repeat(pe, n, 0))
            parts_m.append(np.repeat(pm, n, 0))
            ptb += [1.0] * n
        enc, encm = np.concatenate(parts_e), np.concatenate(parts_m)
        sample_mask = np.array(ptb, F32)
        layer_mask = np.zeros(self.m["transformer"]["num_layers"], F32)
        if pag:
            layer_mask[case["pag_layer_indices"]] = 1
        k = len(parts_e)
        shift = float(case["scheduler_config"].get("flow_shift", case["scheduler_config"].get("shift", 3.0)))
        if case["scheduler"] == "dpm":
            sigmas, timesteps = dpm_schedule(case["num_inference_steps"], shift)
            solver = DpmSolver(sigmas)
        else:
            sigmas, timesteps = euler_schedule(case["num_inference_steps"], shift)
            solver = Euler(sigmas)
        if record is not None:
            record["sigmas"], record["timesteps"] = sigmas, timesteps
            record["prompt_embeds"], record["negative_prompt_embeds"] = pe, (ne if cfg else None)
        x = noise.astype(F32)
        scale = F32(self.m["transformer"]["timestep_scale"])
        for t in timesteps:
            xin = np.concatenate([x] * k)
            tt = np.full((xin.shape[0],), F32(t) * scale, F32)
            v = self.sess["transformer"].run(None, {
                "hidden_states": xin, "encoder_hidden_states": enc, "encoder_attention_mask": encm,
                "timestep": tt, "pag_layer_mask": layer_mask, "pag_sample_mask": sample_mask})[0].astype(F32)
            chunks = np.split(v, k)
            if cfg and pag:
                vu, vc, vp = chunks
                v = vu + g * (vc - vu) + p * (vc - vp)
            elif cfg:
                vu, vc = chunks
                v = vu + g * (vc - vu)
            elif pag:
                vc, vp = chunks
                v = vc + p * (vc - vp)
            else:
                v = chunks[0]
            x = solver.step(v, x)
        if record is not None:
            record["final_latents"] = x
        sf = F32(self.m["vae_decoder"]["scaling_factor"])
        img = self.sess["vae_decoder"].run(None, {"latent": (x / sf).astype(F32)})[0]
        img = np.clip(img * F32(0.5) + F32(0.5), 0, 1)
        return img.transpose(0, 2, 3, 1).astype(F32)


# ----------------------------------------------------------------------------------------------------- checks
def check_tokens(rt: OnnxSana, ref: Path) -> dict:
    tokens = json.loads((ref / "tokens.json").read_text(encoding="utf-8"))
    res = {}
    hf = sum(rt.tok(e["text"], add_special_tokens=True).input_ids == e["ids"] for e in tokens["plain"])
    res["transformers_plain"] = f"{hf}/{len(tokens['plain'])}"
    try:
        from tokenizers import Tokenizer

        fast = Tokenizer.from_file(str(rt.dir / "tokenizer" / "tokenizer.json"))
        ok = sum(fast.encode(e["text"]).ids == e["ids"] for e in tokens["plain"])
        res["tokenizers_json_plain"] = f"{ok}/{len(tokens['plain'])}"
    except Exception as e:  # noqa: BLE001
        res["tokenizers_json_plain"] = f"error {type(e).__name__}: {e}"
    try:
        import sentencepiece as spm

        sp = spm.SentencePieceProcessor(model_file=str(rt.dir / "tokenizer" / "tokenizer.model"))
        ok = sum([sp.bos_id()] + list(sp.encode(e["text"])) == e["ids"] for e in tokens["plain"])
        res["sentencepiece_model_plain"] = f"{ok}/{len(tokens['plain'])}"
    except Exception as e:  # noqa: BLE001
        res["sentencepiece_model_plain"] = f"error {type(e).__name__}: {e}"
    ok = 0
    for e in tokens["pipeline"]:
        ids, mask = rt.token_ids(e["prompt"], e["kind"] == "prompt")
        good = ids[0].tolist() == e["input_ids"] and mask[0].tolist() == e["attention_mask"]
        ok += good
        if not good:
            log(f"  pipeline tokens differ for {e['kind']} {e['prompt'][:40]!r}")
    res["pipeline"] = f"{ok}/{len(tokens['pipeline'])}"
    res["chi_token_count"] = f"runtime {rt.chi_count}, reference {tokens['chi_token_count']}"
    log(f"tokens: {res}")
    return res


def check_schedules(ref: Path) -> dict:
    entries = json.loads((ref / "schedulers.json").read_text(encoding="utf-8"))
    worst_sigma, bad_t, walk_diff = 0.0, 0, 0.0
    for e in entries:
        fn = dpm_schedule if e["scheduler"] == "dpm" else euler_schedule
        sigmas, timesteps = fn(e["steps"], e["shift"])
        worst_sigma = max(worst_sigma, float(np.abs(sigmas - np.array(e["sigmas"], F32)).max()))
        if e["scheduler"] == "dpm":
            bad_t += int(timesteps.tolist() != e["timesteps"])
        else:
            bad_t += int(not np.array_equal(timesteps, np.array(e["timesteps"], F32)))
        if "walk" in e:
            w = e["walk"]
            shape = w["shape"]
            x = np.array(w["initial_sample"], F32).reshape(shape)
            solver = DpmSolver(sigmas) if e["scheduler"] == "dpm" else Euler(sigmas)
            for mo, want in zip(w["model_outputs"], w["prev_samples"]):
                x = solver.step(np.array(mo, F32).reshape(shape), x)
                walk_diff = max(walk_diff, float(np.abs(x.reshape(-1) - np.array(want, F32)).max()))
    res = {"max_sigma_diff": worst_sigma, "schedules_with_different_timesteps": bad_t,
           "max_walk_diff": walk_diff, "schedules": len(entries)}
    log(f"schedules (numpy re-implementation vs diffusers): {res}")
    return res


def torch_noise(seeds: list[int], shape: list[int]) -> np.ndarray:
    import torch

    return np.concatenate([torch.randn([1] + shape[1:], generator=torch.Generator("cpu").manual_seed(s),
                                       dtype=torch.float32).numpy() for s in seeds])


def check_cases(rt: OnnxSana, ref: Path) -> list[dict]:
    from PIL import Image

    cases = json.loads((ref / "cases.json").read_text(encoding="utf-8"))["cases"]
    out = []
    for case in cases:
        if "error" in case:
            log(f"case {case['name']}: skipped (no reference: {case['error']})")
            continue
        t0 = time.time()
        record: dict = {}
        noise = torch_noise(case["seeds"], case["latent_shape"])
        img = rt.generate(case, noise, record)
        dt = time.time() - t0
        want = np.load(ref / case["files"]["images_npy"])
        d = np.abs(img - want) * 255
        u8 = np.round(img * 255).astype(np.uint8)
        png = np.stack([np.asarray(Image.open(ref / f).convert("RGB")) for f in case["files"]["images_png"]])
        du = np.abs(u8.astype(np.int32) - png.astype(np.int32))
        lat = np.load(ref / case["files"]["final_latents"])
        r = {"name": case["name"], "seconds": round(dt, 3), "mean_abs_diff_255": float(d.mean()),
             "max_abs_diff_255": float(d.max()), "uint8_mean_abs_diff": float(du.mean()),
             "uint8_max_abs_diff": int(du.max()), "uint8_identical_fraction": float((du == 0).mean()),
             "final_latents_max_abs_diff": float(np.abs(record["final_latents"] - lat).max())}
        if "timesteps" in case:
            r["timesteps_equal"] = [float(t) for t in record["timesteps"]] == [float(t) for t in case["timesteps"]]
        if "prompt_embeds" in case["files"]:
            pe = np.load(ref / case["files"]["prompt_embeds"])
            r["prompt_embeds_max_abs_diff"] = float(np.abs(record["prompt_embeds"] - pe).max())
            if record["negative_prompt_embeds"] is not None:
                ne = np.load(ref / case["files"]["negative_prompt_embeds"])
                r["negative_prompt_embeds_max_abs_diff"] = float(np.abs(record["negative_prompt_embeds"] - ne).max())
        if "initial_noise" in case["files"]:
            r["initial_noise_equal"] = bool(np.array_equal(noise, np.load(ref / case["files"]["initial_noise"])))
        log(f"case {case['name']}: mean abs pixel diff {r['mean_abs_diff_255']:.4f}/255, max "
            f"{r['max_abs_diff_255']:.3f}/255, uint8 identical {100 * r['uint8_identical_fraction']:.2f}% "
            f"(max {r['uint8_max_abs_diff']}), final latents max diff {r['final_latents_max_abs_diff']:.2e}, "
            f"{dt:.2f}s" + (f", embeds diff {r['prompt_embeds_max_abs_diff']:.2e}" if "prompt_embeds_max_abs_diff"
                            in r else ""))
        out.append(r)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("reference")
    ap.add_argument("--json", default=None, help="write the summary here")
    ap.add_argument("--max-mean-diff", type=float, default=1.0, help="fail above this mean abs diff (0-255)")
    args = ap.parse_args()
    model, ref = Path(args.model), Path(args.reference)
    log(f"versions: {versions()}")
    summary: dict = {"versions": versions()}
    failed = False
    try:
        summary["schedules"] = check_schedules(ref)
    except Exception as e:  # noqa: BLE001
        import traceback

        traceback.print_exc()
        summary["schedules"] = f"error {type(e).__name__}: {e}"
        failed = True
    rt = OnnxSana(model)
    try:
        summary["tokens"] = check_tokens(rt, ref)
    except Exception as e:  # noqa: BLE001
        import traceback

        traceback.print_exc()
        summary["tokens"] = f"error {type(e).__name__}: {e}"
        failed = True
    cases = check_cases(rt, ref)
    summary["cases"] = cases
    if cases:
        mean = float(np.mean([c["mean_abs_diff_255"] for c in cases]))
        worst = max(c["max_abs_diff_255"] for c in cases)
        ident = float(np.mean([c["uint8_identical_fraction"] for c in cases]))
        summary["overall"] = {"mean_abs_diff_255": mean, "max_abs_diff_255": worst,
                              "uint8_identical_fraction": ident, "cases": len(cases)}
        log(f"OVERALL: ONNX loop vs diffusers over {len(cases)} cases: mean abs pixel diff {mean:.4f}/255, "
            f"max {worst:.3f}/255, uint8 identical {100 * ident:.2f}%")
        failed |= any(c["mean_abs_diff_255"] > args.max_mean_diff for c in cases)
    else:
        failed = True
    if args.json:
        write_json(args.json, summary)
    log("CHECK " + ("FAILED" if failed else "OK"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
