"""Text for the tiny tokenizer: a generated training corpus and the texts the fixtures tokenize.

Everything here is deterministic (a fixed random.Random seed), so a rebuild trains the same SentencePiece model.
No torch needed: this module also runs on the development machine.
"""

from __future__ import annotations

import random

_ADJECTIVES = """red blue green yellow orange purple pink brown black white gray golden silver small large tiny huge
old young ancient modern bright dark quiet noisy happy sad calm wild soft hard warm cold wet dry shiny dusty fluffy
smooth rough round square tall short long narrow wide heavy light rusty wooden glass stone paper velvet misty sunny
rainy snowy foggy vivid pale deep shallow gentle fierce elegant simple detailed concrete colorful glowing towering
diverse busy bustling peaceful curled sleeping blooming enhanced cozy dramatic cinematic realistic photorealistic
surreal abstract minimalist vintage futuristic neon cyberpunk magical mysterious serene majestic tropical frozen"""

_NOUNS = """cat dog bird fish horse tiger lion bear fox wolf rabbit owl eagle dragon robot astronaut wizard knight
princess child woman man people crowd city street road bridge river lake mountain forest tree flower garden house
castle tower window windowsill door room kitchen table chair lamp book cup bottle car bus train ship boat plane
rocket planet moon star sun sky cloud rain snow storm ocean beach island desert field village market shop cafe
painting portrait landscape scene sign poster camera light shadow reflection glass skyscraper lamp pot pots
flowers shape sizes textures colors shapes relationships details description prompt image generation evaluation
commentary example examples clothing bus dusk sunrise sunset night morning evening afternoon winter summer spring
autumn fog mist smoke fire water ice stone metal wood paper fabric silk leather"""

_VERBS = """sits sleeps runs walks flies swims stands waits looks glows shines floats rests jumps dances sings reads
writes paints watches holds carries climbs crosses passes drives sails orbits rises falls grows blooms hides
smiles laughs dreams wanders explores guards covers surrounds features creates refines enhances transforms"""

_PREPOSITIONS = "on in under over near beside behind above below across through along around between inside".split()

_DETERMINERS = "a the one two three several many some every this that".split()

_MULTILINGUAL = [
    "Le café est très bon, naïve idée à la française.",
    "Crème brûlée, façade, garçon, élève, où, déjà vu.",
    "Die Straße ist groß und schön, Grüße aus München.",
    "El niño está en la montaña, mañana será más fácil.",
    "Ação, coração, informação, São Paulo.",
    "Zürich, Köln, Malmö, Ærø, Łódź, Kraków.",
    "東京タワーの夜景はとても美しいです。",
    "東京 東京 京都 大阪 日本 日本語 猫 犬 花 山 川",
    "你好，世界。这是一只猫。",
    "猫 猫 狗 花 山 水 火 日 月 人",
    "한국어 문장입니다. 고양이가 잔다.",
    "Привет, мир! Кошка спит.",
    "Γειά σου κόσμε.",
    "🚀 rocket 🚀 launch 🌕 moon 🐱 cat 🐶 dog 🌸 flower",
    "I ❤️ New York 🗽 and 🍕 pizza 😀😃😄",
    "ninja cat 🐱‍👤 and 👩‍🚀 astronaut, family 👨‍👩‍👧",
]

_RARE_LINES = [
    "Rare symbols: ∑ ∫ √ ≈ ≠ ∞ Ω µ ß ¿ ¡ § ¶ © ® ™",
    "Math: α β γ δ ε θ λ π σ φ ψ ω",
    "Thai: สวัสดี, Hindi: नमस्ते, Arabic: مرحبا, Hebrew: שלום",
]


def _sentence(rng: random.Random) -> str:
    adj = _ADJECTIVES.split()
    nouns = _NOUNS.split()
    verbs = _VERBS.split()
    kind = rng.randrange(7)
    det = rng.choice(_DETERMINERS)
    if kind == 0:
        s = f"{det} {rng.choice(adj)} {rng.choice(nouns)} {rng.choice(verbs)} {rng.choice(_PREPOSITIONS)} the {rng.choice(adj)} {rng.choice(nouns)}."
    elif kind == 1:
        s = f"{rng.choice(adj)}, {rng.choice(adj)} {rng.choice(nouns)} with {rng.choice(adj)} {rng.choice(nouns)}"
    elif kind == 2:
        s = f"In {rng.randrange(1800, 2100)}, {rng.randrange(2, 99)} {rng.choice(nouns)}s {rng.choice(verbs)} {rng.choice(_PREPOSITIONS)} the {rng.choice(nouns)}."
    elif kind == 3:
        s = f"A {rng.choice(adj)} {rng.choice(nouns)}, {rng.choice(adj)} {rng.choice(nouns)} and {rng.choice(adj)} {rng.choice(nouns)}; price ${rng.randrange(1, 999)}.{rng.randrange(0, 99):02d}"
    elif kind == 4:
        s = f"- User Prompt: {det} {rng.choice(nouns)} {rng.choice(verbs)} -> Enhanced: {det} {rng.choice(adj)} {rng.choice(nouns)} {rng.choice(verbs)} {rng.choice(_PREPOSITIONS)} a {rng.choice(adj)} {rng.choice(nouns)}."
    elif kind == 5:
        s = f"{rng.choice(nouns)}  {rng.choice(nouns)}   {rng.choice(adj)}    ({rng.randrange(0, 10)}) \"{rng.choice(nouns)}\" '{rng.choice(adj)}'!?"
    else:
        s = f"{rng.choice(adj)} {rng.choice(nouns)} at {rng.randrange(0, 24)}:{rng.randrange(0, 60):02d}, {rng.randrange(1, 31)}/{rng.randrange(1, 13)}/{rng.randrange(1990, 2030)}"
    r = rng.random()
    if r < 0.25:
        s = s[:1].upper() + s[1:]
    elif r < 0.3:
        s = s.upper()
    elif r < 0.4:
        s = s.title()
    return s


def training_corpus(chi_lines: list[str], seed: int = 1234, sentences: int = 6000) -> list[str]:
    """Lines to train the tiny SentencePiece model on (no line contains a newline)."""
    rng = random.Random(seed)
    lines: list[str] = []
    for _ in range(40):
        lines.extend(chi_lines)
    for _ in range(sentences):
        lines.append(_sentence(rng))
    for _ in range(25):
        lines.extend(_MULTILINGUAL)
    lines.extend(_RARE_LINES)
    rng.shuffle(lines)
    return [line for line in lines if line]


def plain_texts(chi_lines: list[str]) -> list[str]:
    """Texts whose add_special_tokens=True ids go into tokens.json "plain"."""
    chi = "\n".join(chi_lines)
    long_text = " ".join(
        _sentence(random.Random(i)) for i in range(60)
    )
    return [
        "",
        " ",
        "   ",
        "\n",
        "\n\n",
        "\t",
        "a",
        "A",
        "hello world",
        "Hello World",
        "HELLO WORLD",
        " leading space",
        "trailing space ",
        "double  space   triple",
        "line one\nline two\n\nline four",
        "café",
        "naïve",
        "Crème brûlée à la façon de Zürich",
        "Straße",
        "東京タワー",
        "你好，世界",
        "한국어",
        "Привет",
        "🚀",
        "🐱‍👤",
        "I ❤️ NY 🗽",
        "12345",
        "3.14159 and 2,718 and 1e-9",
        "year 2024-01-15 at 10:30",
        "MiXeD CaSe TeXt",
        "Ω≈ç√∫ ∞ ≠",
        "<start_of_turn>user\nhello<end_of_turn>",
        "a red cat sitting on a blue mat",
        chi,
        chi + "a red cat sitting on a blue mat",
        long_text,
    ]


def long_prompt() -> str:
    """A prompt long enough to be cut by the pipeline's truncation (more than 300 tokens after the CHI)."""
    rng = random.Random(99)
    return " ".join(_sentence(rng) for _ in range(80))


PIPELINE_PROMPTS = [
    "a red cat sitting on a blue mat",
    "  A Mountain Lake at Sunrise, PHOTOREALISTIC  ",
    "café naïve 東京 🚀 🐱‍👤",
    "",
]

NEGATIVE_PROMPTS = ["", "blurry, low quality", "Ugly, Deformed  "]
