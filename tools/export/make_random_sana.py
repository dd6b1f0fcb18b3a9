"""Builds a Sana at its REAL size with random weights, in diffusers format, for throughput benchmarks.

    python tools/export/make_random_sana.py OUTPUT_DIR --config 1600M|600M [--dtype bf16] [--device cuda]
        [--tokenizer DIR] [--seed N] [--force]

No weights can be downloaded where the benchmarks run, but speed depends only on the shapes: every part is built
with diffusers' and transformers' own classes at the published configurations, initialised by those classes'
own initialisers from a fixed seed, directly on the GPU (seconds, where a CPU init of 4.5B parameters takes
minutes), cast to --dtype and saved with SanaPipeline.save_pretrained. The same folder feeds the diffusers baseline
(benchmarks/diffusers_baseline.py) and our exporter (export_sana.py), so both run the same state dicts.

- transformer: SanaTransformer2DModel, Sana_1600M_1024px (20 layers, 70 x 32 linear heads, 20 x 112 cross heads)
  or Sana_600M_1024px (28 layers, 36 x 32, 16 x 72); caption 2304, 32 latent channels, patch 1, sample size 32.
- vae: AutoencoderDC f32c32 as dc-ae-f32c32-sana-1.0 (6 stages 128..1024, ResBlock x3 + EfficientViT x3,
  interpolate upsampling, RMS norm, SiLU), scaling factor 0.41407.
- text encoder: Gemma2Model at Gemma-2-2b's size (26 layers, hidden 2304, 8/4 heads x 256, MLP 9216,
  vocabulary 256000, soft-capping 50/30).
- tokenizer: the tiny fixture's Gemma-style SentencePiece tokenizer (tests/fixtures/tiny-sana/diffusers/tokenizer):
  its ids are all valid Gemma ids, and the pipeline pads every prompt to the same length, so the text encoder's
  work is the real one whatever the vocabulary.
- scheduler: DPMSolverMultistepScheduler with the hub's Sana settings.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

from sana_common import build_sana_modules, log, parameter_count as count, replace_output, versions

REPO = Path(__file__).resolve().parents[2]
DEFAULT_TOKENIZER = REPO / "tests" / "fixtures" / "tiny-sana" / "diffusers" / "tokenizer"

TRANSFORMERS = {
    "1600M": dict(num_layers=20, num_attention_heads=70, attention_head_dim=32, num_cross_attention_heads=20,
                  cross_attention_head_dim=112, cross_attention_dim=2240),
    "600M": dict(num_layers=28, num_attention_heads=36, attention_head_dim=32, num_cross_attention_heads=16,
                 cross_attention_head_dim=72, cross_attention_dim=1152),
}
TRANSFORMER_COMMON = dict(in_channels=32, out_channels=32, caption_channels=2304, mlp_ratio=2.5, dropout=0.0,
                          attention_bias=False, sample_size=32, patch_size=1, norm_elementwise_affine=False,
                          norm_eps=1e-6, interpolation_scale=None)

DCAE_F32C32 = dict(
    in_channels=3,
    latent_channels=32,
    attention_head_dim=32,
    encoder_block_types=("ResBlock", "ResBlock", "ResBlock", "EfficientViTBlock", "EfficientViTBlock",
                         "EfficientViTBlock"),
    decoder_block_types=("ResBlock", "ResBlock", "ResBlock", "EfficientViTBlock", "EfficientViTBlock",
                         "EfficientViTBlock"),
    encoder_block_out_channels=(128, 256, 512, 512, 1024, 1024),
    decoder_block_out_channels=(128, 256, 512, 512, 1024, 1024),
    encoder_layers_per_block=(2, 2, 2, 3, 3, 3),
    decoder_layers_per_block=(3, 3, 3, 3, 3, 3),
    encoder_qkv_multiscales=((), (), (), (5,), (5,), (5,)),
    decoder_qkv_multiscales=((), (), (), (5,), (5,), (5,)),
    upsample_block_type="interpolate",
    downsample_block_type="Conv",
    decoder_norm_types="rms_norm",
    decoder_act_fns="silu",
    scaling_factor=0.41407,
)

GEMMA2_2B = dict(
    vocab_size=256000,
    hidden_size=2304,
    intermediate_size=9216,
    num_hidden_layers=26,
    num_attention_heads=8,
    num_key_value_heads=4,
    head_dim=256,
    query_pre_attn_scalar=256,
    max_position_embeddings=8192,
    sliding_window=4096,
    attn_logit_softcapping=50.0,
    final_logit_softcapping=30.0,
    hidden_activation="gelu_pytorch_tanh",
    rms_norm_eps=1e-6,
    initializer_range=0.02,
    pad_token_id=0,
    eos_token_id=1,
    bos_token_id=2,
)

SCHEDULER = dict(algorithm_type="dpmsolver++", solver_order=2, solver_type="midpoint",
                 prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=3.0, final_sigmas_type="zero",
                 lower_order_final=True, num_train_timesteps=1000, beta_start=0.0001, beta_end=0.02,
                 beta_schedule="linear", timestep_spacing="linspace", steps_offset=0, thresholding=False,
                 euler_at_final=False, use_karras_sigmas=False, use_lu_lambdas=False, variance_type=None)

DTYPES = {"fp32": "float32", "fp16": "float16", "bf16": "bfloat16"}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("output")
    ap.add_argument("--config", choices=sorted(TRANSFORMERS), default="1600M")
    ap.add_argument("--dtype", choices=sorted(DTYPES), default="bf16", help="dtype the weights are saved in")
    ap.add_argument("--device", default="cuda", help="where the modules are built and initialised")
    ap.add_argument("--tokenizer", default=str(DEFAULT_TOKENIZER))
    ap.add_argument("--seed", type=int, default=20250101)
    ap.add_argument("--force", action="store_true")
    args = ap.parse_args()

    import torch
    from diffusers import DPMSolverMultistepScheduler, SanaPipeline
    from transformers import AutoTokenizer, Gemma2Config

    out = Path(args.output)
    if not replace_output(out, args.force):
        return 2
    log(f"versions: {versions()}")
    dtype = getattr(torch, DTYPES[args.dtype])
    device = torch.device(args.device)
    t0 = time.time()
    tok = AutoTokenizer.from_pretrained(args.tokenizer)
    log(f"tokenizer {type(tok).__name__} from {args.tokenizer}: {len(tok)} tokens")

    text_encoder, transformer, vae = build_sana_modules(
        Gemma2Config(**GEMMA2_2B), {**TRANSFORMERS[args.config], **TRANSFORMER_COMMON}, DCAE_F32C32, args.seed,
        dtype=dtype, device=device)
    log(f"text encoder: Gemma2Model {count(text_encoder) / 1e9:.3f}B parameters; transformer: SanaTransformer2DModel "
        f"{args.config} {count(transformer) / 1e9:.3f}B; vae: AutoencoderDC f32c32 {count(vae) / 1e9:.3f}B (decoder "
        f"{count(vae.decoder) / 1e9:.3f}B), factor {vae.spatial_compression_ratio} ({time.time() - t0:.1f}s)")
    scheduler = DPMSolverMultistepScheduler(**SCHEDULER)
    pipe = SanaPipeline(tokenizer=tok, text_encoder=text_encoder, vae=vae, transformer=transformer,
                        scheduler=scheduler)
    t1 = time.time()
    pipe.save_pretrained(str(out))
    src_model = Path(args.tokenizer) / "tokenizer.model"
    if src_model.exists() and not (out / "tokenizer" / "tokenizer.model").exists():
        shutil.copy(src_model, out / "tokenizer" / "tokenizer.model")
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    info = {"config": args.config, "dtype": args.dtype, "seed": args.seed, "versions": versions(),
            "parameters": {"text_encoder": count(text_encoder), "transformer": count(transformer),
                           "vae": count(vae), "vae_decoder": count(vae.decoder)},
            "bytes": total}
    with open(out / "random-sana.json", "w", encoding="utf-8") as f:
        json.dump(info, f, indent=1)
    log(f"saved {out} ({total / 1e9:.2f} GB) in {time.time() - t1:.1f}s; total {time.time() - t0:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
