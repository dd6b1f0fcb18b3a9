"""Builds a tiny random-weight Sana in diffusers format, for tests.

    python tools/export/make_tiny_sana.py OUTPUT_DIR [--force]

OUTPUT_DIR receives what SanaPipeline.save_pretrained writes (model_index.json, tokenizer/, text_encoder/,
transformer/, vae/, scheduler/) plus tokenizer/tokenizer.model. Every part is made with diffusers' and
transformers' own classes from fixed seeds:
- tokenizer: a Gemma-style SentencePiece BPE model trained here (no Gemma tokenizer can be downloaded): identity
  normalisation, no dummy prefix, extra whitespace kept, digits split, byte fallback, ids pad 0 eos 1 bos 2 unk 3,
  user-defined <mask> <start_of_turn> <end_of_turn>; loaded with transformers and saved with save_pretrained so
  the folder has both tokenizer.model and tokenizer.json.
- text encoder: Gemma2Model, 2 layers, hidden 32, 2 heads x 16 (1 key/value head), eager attention.
- transformer: SanaTransformer2DModel, 3 layers, 2 x 8 linear-attention heads, 2 x 8 cross heads, 8 latent channels.
- vae: AutoencoderDC with 3 stages (spatial compression 4), 8 latent channels, EfficientViT block in the last stage.
- scheduler: DPMSolverMultistepScheduler with the Sana hub defaults.
Needs torch, diffusers (PYTHONPATH), transformers, sentencepiece. Runs in seconds on a CPU.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from sana_common import build_sana_modules, default_chi, log, parameter_count, replace_output, versions, write_json
import tiny_corpus

SEED = 20250101
TOKENIZER_VOCAB = 1536

SPM_OPTIONS = dict(
    model_type="bpe",
    vocab_size=TOKENIZER_VOCAB,
    hard_vocab_limit=False,
    character_coverage=0.9995,
    byte_fallback=True,
    normalization_rule_name="identity",
    add_dummy_prefix=False,
    remove_extra_whitespaces=False,
    split_digits=True,
    allow_whitespace_only_pieces=True,
    pad_id=0,
    eos_id=1,
    bos_id=2,
    unk_id=3,
    pad_piece="<pad>",
    eos_piece="<eos>",
    bos_piece="<bos>",
    unk_piece="<unk>",
    user_defined_symbols=["<mask>", "<start_of_turn>", "<end_of_turn>"],
    num_threads=1,
    max_sentence_length=16384,
    shuffle_input_sentence=False,
    minloglevel=2,
)

TOKENIZER_CONFIG = {
    "tokenizer_class": "GemmaTokenizer",
    "add_bos_token": True,
    "add_eos_token": False,
    "bos_token": "<bos>",
    "eos_token": "<eos>",
    "pad_token": "<pad>",
    "unk_token": "<unk>",
    "additional_special_tokens": ["<start_of_turn>", "<end_of_turn>"],
    "clean_up_tokenization_spaces": False,
    "spaces_between_special_tokens": False,
    "padding_side": "right",
    "sp_model_kwargs": {},
}

GEMMA2 = dict(
    hidden_size=32,
    intermediate_size=64,
    num_hidden_layers=2,
    num_attention_heads=2,
    num_key_value_heads=1,
    head_dim=16,
    query_pre_attn_scalar=16,
    max_position_embeddings=8192,
    sliding_window=4096,
    attn_logit_softcapping=50.0,
    final_logit_softcapping=30.0,
    hidden_activation="gelu_pytorch_tanh",
    rms_norm_eps=1e-6,
    initializer_range=0.2,
    pad_token_id=0,
    eos_token_id=1,
    bos_token_id=2,
)

TRANSFORMER = dict(
    in_channels=8,
    out_channels=8,
    num_attention_heads=2,
    attention_head_dim=8,
    num_layers=3,
    num_cross_attention_heads=2,
    cross_attention_head_dim=8,
    cross_attention_dim=16,
    caption_channels=GEMMA2["hidden_size"],
    mlp_ratio=2.5,
    dropout=0.0,
    attention_bias=False,
    sample_size=32,
    patch_size=1,
    norm_elementwise_affine=False,
    norm_eps=1e-6,
    interpolation_scale=None,
)

VAE = dict(
    in_channels=3,
    latent_channels=8,
    attention_head_dim=8,
    encoder_block_types=("ResBlock", "ResBlock", "EfficientViTBlock"),
    decoder_block_types=("ResBlock", "ResBlock", "EfficientViTBlock"),
    encoder_block_out_channels=(8, 16, 32),
    decoder_block_out_channels=(8, 16, 32),
    encoder_layers_per_block=(1, 1, 1),
    decoder_layers_per_block=(1, 1, 1),
    encoder_qkv_multiscales=((), (), (5,)),
    decoder_qkv_multiscales=((), (), (5,)),
    upsample_block_type="interpolate",
    downsample_block_type="Conv",
    decoder_norm_types="rms_norm",
    decoder_act_fns="silu",
    scaling_factor=0.41407,
)

# The hub's Sana scheduler_config.json (Efficient-Large-Model/Sana_*_diffusers).
SCHEDULER = dict(
    algorithm_type="dpmsolver++",
    solver_order=2,
    solver_type="midpoint",
    prediction_type="flow_prediction",
    use_flow_sigmas=True,
    flow_shift=3.0,
    final_sigmas_type="zero",
    lower_order_final=True,
    num_train_timesteps=1000,
    beta_start=0.0001,
    beta_end=0.02,
    beta_schedule="linear",
    timestep_spacing="linspace",
    steps_offset=0,
    thresholding=False,
    euler_at_final=False,
    use_karras_sigmas=False,
    use_lu_lambdas=False,
    variance_type=None,
)


def train_spm(work: Path, chi: list[str]) -> Path:
    import sentencepiece as spm

    lines = tiny_corpus.training_corpus(chi)
    log(f"tokenizer corpus: {len(lines)} lines, {sum(len(x) for x in lines)} characters")
    spm.SentencePieceTrainer.train(sentence_iterator=iter(lines), model_prefix=str(work / "spm"), **SPM_OPTIONS)
    model = work / "spm.model"
    sp = spm.SentencePieceProcessor(model_file=str(model))
    log(f"sentencepiece model: {sp.get_piece_size()} pieces; first: {[sp.id_to_piece(i) for i in range(8)]}")
    return model


def spm_ids(sp, text: str) -> list[int]:
    return [sp.bos_id()] + list(sp.encode(text))


def compare_with_spm(tok, sp, texts: list[str], label: str) -> int:
    bad = 0
    for t in texts:
        hf = tok(t, add_special_tokens=True).input_ids
        ref = spm_ids(sp, t)
        if hf != ref:
            bad += 1
            if bad <= 5:
                log(f"  [{label}] differs from sentencepiece for {t[:50]!r}: hf={hf[:16]} spm={ref[:16]}")
    log(f"[{label}] transformers vs sentencepiece: {len(texts) - bad}/{len(texts)} texts give identical ids")
    return bad


def load_tokenizer(folder: Path, sp, probe: list[str]):
    """Loads the tokenizer from tokenizer.model + tokenizer_config.json the ways transformers offers; the first
    whose vocabulary has every piece wins (transformers 5's GemmaTokenizer(vocab_file=...) gave 5 tokens once)."""
    import transformers

    attempts = [("AutoTokenizer.from_pretrained", lambda: transformers.AutoTokenizer.from_pretrained(str(folder)))]
    for cls_name in ("GemmaTokenizerFast", "GemmaTokenizer"):
        cls = getattr(transformers, cls_name, None)
        if cls is not None:
            attempts.append((f"{cls_name}.from_pretrained", lambda cls=cls: cls.from_pretrained(str(folder))))
    chosen = None
    for name, make in attempts:
        try:
            tok = make()
        except Exception as e:  # noqa: BLE001 - try the next way, report all
            log(f"tokenizer via {name}: failed: {type(e).__name__}: {e}")
            continue
        size = len(tok)
        log(f"tokenizer via {name}: {type(tok).__name__}, len={size}, vocab_size={tok.vocab_size}, "
            f"bos={tok.bos_token_id} eos={tok.eos_token_id} pad={tok.pad_token_id} unk={tok.unk_token_id}")
        if size != sp.get_piece_size():
            log(f"  rejected: {size} tokens, the SentencePiece model has {sp.get_piece_size()}")
            continue
        compare_with_spm(tok, sp, probe, name)
        if chosen is None:
            chosen = tok
    if chosen is None:
        raise RuntimeError("no way of loading the tokenizer gave the full vocabulary")
    return chosen


def build_models(vocab_size: int):
    from diffusers import DPMSolverMultistepScheduler
    from transformers import Gemma2Config

    text_encoder, transformer, vae = build_sana_modules(
        Gemma2Config(vocab_size=vocab_size, **GEMMA2), TRANSFORMER, VAE, SEED)
    log(f"text encoder: Gemma2Model, attn={text_encoder.config._attn_implementation}, "
        f"{parameter_count(text_encoder)} parameters")
    log(f"transformer: {parameter_count(transformer)} parameters")
    log(f"vae: {parameter_count(vae)} parameters, spatial compression {vae.spatial_compression_ratio}")
    scheduler = DPMSolverMultistepScheduler(**SCHEDULER)
    return text_encoder, transformer, vae, scheduler


def smoke(folder: Path, tok) -> None:
    import numpy as np
    import torch
    from diffusers import SanaPipeline
    from transformers import Gemma2Model

    te = Gemma2Model.from_pretrained(str(folder / "text_encoder"), attn_implementation="eager")
    pipe = SanaPipeline.from_pretrained(str(folder), text_encoder=te)
    log(f"reloaded with SanaPipeline.from_pretrained: tokenizer {type(pipe.tokenizer).__name__}, "
        f"scheduler {type(pipe.scheduler).__name__}, vae factor {pipe.vae_scale_factor}")
    for t in ("a red cat", "café 東京 🚀"):
        a = pipe.tokenizer(t).input_ids
        b = tok(t).input_ids
        log(f"  pipeline tokenizer ids for {t!r}: {a} ({'same' if a == b else 'DIFFERENT from'} the loaded one)")
    t0 = time.time()
    img = pipe(prompt="a red cat", num_inference_steps=4, height=64, width=64, guidance_scale=4.5,
               generator=torch.Generator("cpu").manual_seed(0), use_resolution_binning=False,
               output_type="np").images
    dt = time.time() - t0
    sat = float(np.mean((img <= 0.0) | (img >= 1.0)))
    log(f"smoke run 64x64 4 steps CFG: {dt:.2f}s, image mean {img.mean():.3f} std {img.std():.3f} "
        f"min {img.min():.3f} max {img.max():.3f}, saturated fraction {sat:.3f}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("output")
    ap.add_argument("--force", action="store_true", help="replace OUTPUT if it exists")
    ap.add_argument("--no-smoke", action="store_true", help="skip the reload-and-generate check")
    args = ap.parse_args()

    import sentencepiece as spm
    from diffusers import SanaPipeline

    out = Path(args.output)
    if not replace_output(out, args.force):
        return 2
    log(f"versions: {versions()}")
    chi = default_chi()

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        model = train_spm(work, chi)
        sp = spm.SentencePieceProcessor(model_file=str(model))
        tok_dir = work / "tokenizer"
        tok_dir.mkdir()
        shutil.copy(model, tok_dir / "tokenizer.model")
        write_json(tok_dir / "tokenizer_config.json", TOKENIZER_CONFIG)
        probe = tiny_corpus.plain_texts(chi) + tiny_corpus.training_corpus(chi)[:300]
        tok = load_tokenizer(tok_dir, sp, probe)

        text_encoder, transformer, vae, scheduler = build_models(sp.get_piece_size())
        pipe = SanaPipeline(tokenizer=tok, text_encoder=text_encoder, vae=vae, transformer=transformer,
                            scheduler=scheduler)
        pipe.save_pretrained(str(out))
        saved_tok = out / "tokenizer"
        if not (saved_tok / "tokenizer.model").exists():
            shutil.copy(model, saved_tok / "tokenizer.model")
            log("tokenizer.model was not written by save_pretrained: copied")

    saved_tok = out / "tokenizer"
    log(f"tokenizer folder: {sorted(p.name for p in saved_tok.iterdir())}")
    if not (saved_tok / "tokenizer.json").exists():
        raise RuntimeError("save_pretrained wrote no tokenizer.json")
    sp = spm.SentencePieceProcessor(model_file=str(saved_tok / "tokenizer.model"))
    reloaded = load_tokenizer(saved_tok, sp, tiny_corpus.plain_texts(chi))
    if len(reloaded) != sp.get_piece_size():
        raise RuntimeError(f"reloaded tokenizer has {len(reloaded)} tokens, expected {sp.get_piece_size()}")
    with open(out / "model_index.json", encoding="utf-8") as f:
        log(f"model_index.json: {json.load(f)}")
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    log(f"tiny diffusers folder {out}: {total / 1e6:.2f} MB")
    if not args.no_smoke:
        smoke(out, reloaded)
    return 0


if __name__ == "__main__":
    sys.exit(main())
