#!/usr/bin/env python3
"""Regenerates the tokenizer fixtures that Tests/TokenizerTests checks the Swift `Tokenizer` against.

Regenerate (from the repository root; the venv lives outside the repo and needs no torch):

    python3 -m venv /tmp/tokvenv && /tmp/tokvenv/bin/pip install tokenizers==0.23.3
    /tmp/tokvenv/bin/python Tests/Fixtures/tokenizers/generate_tokenizer_fixtures.py

Generated with Hugging Face `tokenizers` 0.23.3 (the script refuses any other version unless
TOKENIZERS_ANY_VERSION=1 is set, so that fixtures stay comparable).

Writes, next to this script:
  qwen/tokenizer.json          Qwen2/Qwen3 layout: NFC, Split(Qwen regex, Isolated) + ByteLevel(use_regex false),
                               ByteLevel decoder and post-processor, merges as ["a","b"] pairs, empty-string
                               continuing_subword_prefix / end_of_word_suffix as Qwen ships them, special
                               <|endoftext|> <|im_start|> <|im_end|>, non-special <think> </think> (normalized false)
                               and a non-special normalized=true token given in NFD form.
  gpt2/tokenizer.json          GPT-2 layout: no normalizer, ByteLevel(add_prefix_space false, use_regex true),
                               legacy "a b" merges, <|endoftext|> both in the vocab and as a special added token.
  gpt2-options/tokenizer.json  the gpt2 vocab with ByteLevel add_prefix_space true, ignore_merges, and added tokens
                               using lstrip / rstrip / single_word, overlapping contents and a raw U+FEFF.
  bpe-unk/, bpe-byte-fallback/ tiny hand-made vocabularies lacking most bytes: unk_token with fuse_unk, ignore_merges,
                               byte_fallback, and an added token whose content is already in the vocabulary.
  */expected.json              [{"text", "ids", "decoded", "decoded_skip_special"}] from
                               tok.encode(text, add_special_tokens=False).ids and tok.decode(ids, skip_special_tokens=...)
  */decode_expected.json       [{"ids", "decoded", "decoded_skip_special"}] for id sequences that are not encodings
                               (partial UTF-8 sequences, lone bytes, unknown ids) to pin down U+FFFD replacement.
"""

import json
import os
import sys
import unicodedata

import tokenizers
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

PINNED_VERSION = "0.23.3"
if tokenizers.__version__ != PINNED_VERSION and os.environ.get("TOKENIZERS_ANY_VERSION") != "1":
    sys.exit(f"tokenizers {tokenizers.__version__} found, fixtures were made with {PINNED_VERSION} "
             "(set TOKENIZERS_ANY_VERSION=1 to regenerate anyway)")

HERE = os.path.dirname(os.path.abspath(__file__))

QWEN_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                r"|\s*[\r\n]+|\s+(?!\S)|\s+")
VOCAB_SIZE = 1000

CORPUS = [
    # English prose
    "The quick brown fox jumps over the lazy dog. The dog didn't care; it was asleep in the sun.",
    "It's a truth universally acknowledged that a single model in possession of a good tokenizer "
    "must be in want of a training loop. We'll see what they've done, and what you'd do instead.",
    "Once upon a time, there was a small workshop where people built tools out of wood and metal. "
    "Every morning the lathe would start, the shavings would fly, and the smell of oil filled the room.",
    "She said: \"I'm not sure this is the right way.\" He answered, 'Then let's try another one!'",
    "Tokenization splits text into pieces; byte-level BPE merges the most frequent pairs of bytes first.",
    "In the beginning the Universe was created. This has made a lot of people very angry and been "
    "widely regarded as a bad move.",
    "Questions? Answers! Maybe... or maybe not -- who knows; (parentheses), [brackets], {braces}.",
    # Code
    "def tokenize(text):\n    words = text.split()\n    return [w.lower() for w in words if w]\n",
    "for (int i = 0; i < n; ++i) {\n\tsum += values[i] * weights[i];\n}\n",
    "import Foundation\n\nlet url = URL(fileURLWithPath: \"/tmp/model.safetensors\")\nprint(url.path)\n",
    "SELECT id, name FROM users WHERE age >= 18 ORDER BY name;",
    "if x == 0 and y != 1:\n        raise ValueError(f\"bad value: {x!r}\")\n",
    "<html><body><p class=\"note\">Hello &amp; welcome</p></body></html>",
    "https://example.com/docs/index.html?lang=en&page=2#section-3",
    # Numbers
    "In 2024 there were 365 days, 52 weeks and 8,760 hours; pi is about 3.14159 and e is 2.71828.",
    "Call 555-0100 before 09:30 or after 17:45. Order #12345 costs $1,299.99 (VAT 20%).",
    "0 1 2 3 4 5 6 7 8 9 10 11 12 100 1000 10000 123456789",
    # Accented / other Latin
    "Café, naïve, résumé, façade, jalapeño, Ångström, Zürich, São Paulo, Kraków, Øresund.",
    "Le garçon a mangé une crème brûlée à la fenêtre. ¿Dónde está la estación? Ça va très bien.",
    # CJK, Japanese, Korean, Arabic, Cyrillic, Greek
    "你好，世界！今天天气很好，我们去公园散步吧。中文分词是一个有趣的问题。",
    "こんにちは、世界。日本語の文章にはひらがなとカタカナと漢字が混ざっています。",
    "안녕하세요 세계. 한국어 문장은 띄어쓰기를 사용합니다.",
    "مرحبا بالعالم. اللغة العربية تكتب من اليمين إلى اليسار.",
    "Привет, мир! Это простой тест. Γειά σου κόσμε, αυτό είναι ένα τεστ.",
    # Emoji
    "Emoji time: 😀 😂 🎉 👍 🚀 ❤️ and a family 👨‍👩‍👧 with a flag 🇫🇷.",
    # Chat-ish
    "user: What is 2+2?\nassistant: 2+2 is 4.\nuser: Thanks!\n",
    "    indented line\n\n\nafter blank lines\r\nwindows line\n",
]


# Probes: text whose pre-tokenization depends on the details (which characters are \s, \p{L}, \p{N}; case-insensitive
# contractions; the long s). Trained on, they give the vocabulary merges inside HF's pieces that a tokenizer
# splitting differently could not reproduce, so the test strings below detect such mistakes in the ids.
PROBE_SPACES = ["\u00a0", "\u3000", "\u0085", "\u2028", "\u2029", "\u1680", "\u2002", "\u2009", "\u202f", "\u205f",
                "\x0b", "\x0c", "\t"]
PROBE_NON_SPACES = ["\u200b", "\ufeff", "\u180e", "\x1c", "\x1f", "\u00ad", "\u2060"]
PROBE_NUMBERS = ["½", "²", "Ⅻ", "١", "⑤", "٣"]
PROBE_LETTERS = ["ʰ", "ー", "ǅ", "ª", "ˈ", "ς"]  # Lm, Lm, Lt, Lo, Lm, Ll
PROBES = (
    [f"a{w}b x {w}y z{w}{w}q r {w} s{w}!t {w}{w}u!{w}v" for w in PROBE_SPACES + PROBE_NON_SPACES]
    + [f"n{c}m {c}k !{c}? {c}{c}x 7{c}" for c in PROBE_NUMBERS + PROBE_LETTERS]
    + ["ſelf ſelf it'ſ 'ſelf ſtill 'ſtill", "'TIS 'Tis TIS Tis DON'T WON'T 'LLAMA LLAMA 'VERY VERY 'DUNNO DUNNO",
       "'Sure Sure 'REally REally 'Mine Mine 'Ve Ve"]
)

def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAC + 1)) + list(range(0xAE, 0xFF + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


BYTE_CHAR = bytes_to_unicode()

LONG_PARAGRAPH = (
    "Lathe is a small workbench for fine-tuning mixture-of-experts language models with LoRA adapters. "
    "It reads safetensors checkpoints, tokenizes prompts exactly as the reference implementation does, "
    "and keeps every step reproducible: the same seed, the same data order, the same numbers. "
    "When a run diverges, it writes a report (loss curve, gradient norms, expert load) so that someone "
    "can tell, at a glance, whether the learning rate was 2e-4 or 3e-5 too high. It's not magic; it's "
    "careful bookkeeping -- and a lot of tests.\n\nSecond paragraph: naïve café owners don't tokenize, "
    "they serve coffee ☕ at 7:30am, 365 days a year."
)

TEST_STRINGS = [
    # whitespace
    "",
    " ",
    "   ",
    "\t",
    " \t \t",
    "  leading spaces",
    "trailing spaces   ",
    "\tTabbed\tline\t",
    "\n",
    "\r\n",
    "\n\n\n",
    "\r",
    "a\rb",
    "line one\nline two\r\nline three\n\n\nend",
    "spaces before newline   \nnext",
    "  \n  \n\t\n",
    "a \n b",
    "x  \ty   z",
    "end with space ",
    "!!!\n\n",
    " !!!\n",
    "?!\r\n\r\nok",
    # Unicode whitespace and near-whitespace: proves which characters count as \s
    "\u00a0nbsp\u00a0 ideographic\u3000space nel\u0085 ls\u2028ps\u2029",
    "a\u00a0\u00a0b",
    "\u3000\u3000全角",
    "zero\u200bwidth bom\ufeff vt\x0b ff\x0c fs\x1c us\x1f",
    "en\u2002em\u2003thin\u2009narrow\u202fmath\u205fogham\u1680mongolian\u180eend",
    *[f"a{w}b x {w}y z{w}{w}q r {w} s{w}!t {w}{w}u!{w}v {w}" for w in PROBE_SPACES + PROBE_NON_SPACES],
    " ".join(f"n{c}m {c}k !{c}? {c}{c}x 7{c}" for c in PROBE_NUMBERS),
    " ".join(f"n{c}m {c}k !{c}? {c}{c}x 7{c}" for c in PROBE_LETTERS),
    "ſelf it'ſelf 'ſtill 'TIS 'Tis WON'T 'LLAMA 'VERY 'DUNNO 'Sure 'REally 'Mine 'Ve",
    # numbers
    "12345",
    "3.14159",
    "1,000,000",
    "Room 101, 2024-06-30 at 09:45.",
    "digits ١٢٣ ½ Ⅻ ² ³ ⑤",
    # contractions
    "I'm",
    "DON'T",
    "you'LL",
    "we've they're she'd it's I'M He'S We'Re",
    "'s 're 'll 've 'd 'm 't",
    "rock'n'roll o'clock",
    "long s: it'\u017f",
    "'\u017felf 'Sure 'TIS 'REally 'LLama 'VEry 'Dunno 'Mine x'\u017fx",
    "'''quoted'''",
    # punctuation and code
    "Hello, world!!! ... ??? -- *** ((()))",
    "def foo(x):\n    return x * 2  # comment\n",
    "for (int i = 0; i < n; ++i) { sum += a[i]; }",
    "https://example.com/path?query=1&b=two#frag",
    "email: someone@example.org, path: C:\\Users\\me\\file.txt",
    # accents and normalisation (NFC input, then the same text in NFD which must be normalised)
    "café naïve résumé Ångström",
    unicodedata.normalize("NFD", "café naïve résumé Ångström"),
    "Kelvin \u212a, Angstrom \u212b, Ohm \u2126",
    "q\u0307 e\u0301\u0327 combining marks \u0301alone",
    "ﬁne ﬂour (ligatures stay under NFC)",
    "\uc5b4\u11a8 \uac00\u11a8 (Hangul LV syllable + trailing jamo compose under NFC)",
    "\u0f40\u0f7a\u0f73 \u03b1\u0345\u0344 (non-starter decompositions are reordered)",
    "\ufeffBOM first, then \ufeff again and \n\ufeff after a newline",
    "MiXeD CaSe WoRdS",
    # scripts
    "你好，世界！这是一个测试。",
    "日本語のテキスト、カタカナとひらがな。",
    "한국어 텍스트입니다",
    unicodedata.normalize("NFD", "한국어 텍스트입니다"),
    "مرحبا بالعالم",
    "Ελληνικά και Русский",
    # emoji
    "emoji 😀🎉👍🏽",
    "👨‍👩‍👧‍👦 family",
    "🇺🇸🇯🇵 flags",
    "❤️‍🔥 heart on fire",
    # special and added tokens
    "hello<|im_end|>world",
    "<|im_start|>user\nhi<|im_end|>\n",
    "<|im_en",
    "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n"
    "<|im_start|>assistant\n",
    "<think>\nreasoning\n</think>\n\nanswer",
    "<|endoftext|><|endoftext|>",
    "<|im_start|><|im_start|>x",
    "<<|im_end|>>",
    "<|im_end|>!!! <|im_end|>! x<|im_end|>!!",
    "CafeBar Cafe\u0301Bar CaféBar",
    " <mask> x <mask>",
    "a\ufeff<bom>b \ufeff<bom>",
    "the [[note]] and a[[note]]b",
    # unseen words, falls back to bytes
    "xyzzyquux zxqvbnm",
    "Pneumonoultramicroscopicsilicovolcanoconiosis",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝕞𝕒𝕥𝕙",
    # long pre-tokens (BPE on words longer than 48 bytes takes the priority-queue path)
    "x" * 120,
    "ab" * 70,
    "=" * 64 + "\n",
    "中文分词是一个有趣的问题" * 3,
    " " * 300 + "end",
    # long text
    LONG_PARAGRAPH,
    " " * 40 + "x" + "\n" * 7 + "-" * 30,
]


SMALL_STRINGS = [
    "", " ", "the theme of the thesis", "The other thing", "hello world", "café naïve Ångström", "I'm 12 years old.",
    "日本語", "emoji 😀 ok", "\n\n", "tab\there", "ÀÃ", "x" * 60, "<unk> stays text", "«quotes» and 3.14",
    "mixed ASCII and ü ö ä", "\u00a0nbsp", "the\u0301 combining",
    "ises, ises and isesises",
    "ĀĀ ĀĀĀ",  # byte_fallback: HF emits the fallback bytes of the second "Ā" before the unk of the first's 0x80
]


def tiny_bpe(unk, fuse_unk, byte_fallback, ignore_merges=False):
    """A byte-level BPE whose vocabulary has only some bytes, to exercise unk_token / fuse_unk / byte_fallback, and
    two tokens that no merge builds ("ises", "Ġises"), which only ignore_merges produces."""
    base = [BYTE_CHAR[b] for b in b"abcdefghijklmnopqrstuvwxyzT .',"] + ["Ã"]  # "Ã" = byte 0xC3
    merges = [("t", "h"), ("h", "e"), ("th", "e"), ("Ġ", "t"), ("Ġt", "he"), ("e", "s"), ("i", "s"), ("Ġ", "o"), ("Ã", "Ã")]
    vocab = {"<unk>": 0}
    for t in base:
        vocab.setdefault(t, len(vocab))
    if byte_fallback:
        # <0xC4> and <0xC5> are missing: the characters U+0100...U+0143 that stand for bytes 0x00-0x20, 0x7F-0xA0
        # and 0xAD fall back to unk (unfused) instead.
        for b in range(0xC4):
            vocab[f"<0x{b:02X}>"] = len(vocab)
    for a, b in merges:
        vocab.setdefault(a + b, len(vocab))
    vocab["ises"] = len(vocab)
    vocab["Ġises"] = len(vocab)
    bl = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": True}
    return {
        # An added token that is already in the vocabulary keeps its vocabulary id, whatever the file says.
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [{"id": 5000, "content": "the", "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": False}],
        "normalizer": None,
        "pre_tokenizer": bl, "post_processor": None, "decoder": bl,
        "model": {"type": "BPE", "dropout": None, "unk_token": "<unk>" if unk else None,
                  "continuing_subword_prefix": None, "end_of_word_suffix": None, "fuse_unk": fuse_unk,
                  "byte_fallback": byte_fallback, "ignore_merges": ignore_merges, "vocab": vocab,
                  "merges": [[a, b] for a, b in merges]},
    }


def train(pre_tokenizer, normalizer, special_tokens):
    tok = Tokenizer(models.BPE())
    if normalizer is not None:
        tok.normalizer = normalizer
    tok.pre_tokenizer = pre_tokenizer
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE,
        min_frequency=1,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        special_tokens=special_tokens,
        show_progress=False,
    )
    tok.train_from_iterator(CORPUS + PROBES * 4, trainer=trainer)
    return tok


def write_json(path, cases):
    """One case per line: small, and a diff shows which cases changed."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write("[\n" + ",\n".join(json.dumps(c, ensure_ascii=False) for c in cases) + "\n]\n")


def byte_id(tok, b):
    return tok.token_to_id(BYTE_CHAR[b])


def decode_cases(tok, specials):
    """Id sequences that are not whole encodings: partial UTF-8, lone bytes, unknown ids, specials between them."""
    four = "\U0001d518".encode("utf-8")  # 𝔘, never seen in training: four byte-level tokens
    b = [byte_id(tok, x) for x in four]
    e_acute = [byte_id(tok, x) for x in "é".encode("utf-8")]
    cases = [
        [],
        b,
        b[:1],
        b[:2],
        b[:3],
        b[1:],
        b[3:],
        b[:2] + b[:4],
        b[:3] + [byte_id(tok, ord("A"))] + b[3:],
        [byte_id(tok, 0xFF)],
        [byte_id(tok, 0xC0), byte_id(tok, 0x80)],
        [byte_id(tok, 0xE0), byte_id(tok, 0x80), byte_id(tok, 0x80)],
        [byte_id(tok, 0xED), byte_id(tok, 0xA0), byte_id(tok, 0x80)],  # UTF-8 encoded surrogate
        [byte_id(tok, 0xF4), byte_id(tok, 0x90), byte_id(tok, 0x80), byte_id(tok, 0x80)],  # > U+10FFFF
        [byte_id(tok, 0xF0), byte_id(tok, 0x9F), byte_id(tok, 0x98)],
        e_acute[:1] + e_acute,
        [byte_id(tok, x) for x in b"\x00\x01\x7f\x0a\x20\x09"],
        [123456789, byte_id(tok, ord("o")), 987654, byte_id(tok, ord("k"))],
    ]
    for s in specials:
        sid = tok.token_to_id(s)
        cases.append(b[:2] + [sid] + b[2:])
        cases.append([sid, sid] + e_acute + [sid])
    added = [t for t in tok.get_added_tokens_decoder().items()]
    cases.append([i for i, _ in sorted(added)])
    out = []
    for ids in cases:
        out.append({
            "ids": ids,
            "decoded": tok.decode(ids, skip_special_tokens=False),
            "decoded_skip_special": tok.decode(ids, skip_special_tokens=True),
        })
    return out


def expected(tok, strings):
    out = []
    for text in strings:
        ids = tok.encode(text, add_special_tokens=False).ids
        out.append({
            "text": text,
            "ids": ids,
            "decoded": tok.decode(ids, skip_special_tokens=False),
            "decoded_skip_special": tok.decode(ids, skip_special_tokens=True),
        })
    return out


def finish(name, tok, patch_model=None, merges_as_strings=False, specials=(), strings=None, decode=True):
    """Save, patch the JSON the way the real model files look, reload from the written JSON and record outputs."""
    data = json.loads(tok.to_str()) if isinstance(tok, Tokenizer) else tok
    model = data["model"]
    if patch_model:
        patch_model(model)
    if merges_as_strings:
        model["merges"] = [f"{a} {b}" for a, b in model["merges"]]
    text = json.dumps(data, ensure_ascii=False, indent=1) + "\n"
    path = os.path.join(HERE, name, "tokenizer.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    reloaded = Tokenizer.from_file(path)  # expected outputs always come from the file exactly as written
    write_json(os.path.join(HERE, name, "expected.json"), expected(reloaded, strings or TEST_STRINGS))
    if decode:
        write_json(os.path.join(HERE, name, "decode_expected.json"), decode_cases(reloaded, specials))
    return reloaded


def qwen_model_fields(model):
    # Qwen2/Qwen3 tokenizer.json spell these as empty strings, not null.
    model["continuing_subword_prefix"] = ""
    model["end_of_word_suffix"] = ""
    model["fuse_unk"] = False
    model["byte_fallback"] = False
    model["ignore_merges"] = False


def main():
    # --- Qwen2 / Qwen3 ---
    qwen_pre = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False),
    ])
    qwen = train(qwen_pre, normalizers.NFC(), special_tokens=[])
    qwen.post_processor = tokenizers.processors.ByteLevel(add_prefix_space=False, trim_offsets=False,
                                                          use_regex=False)
    qwen.decoder = decoders.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)
    qwen_specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    qwen.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in qwen_specials])
    qwen.add_tokens([
        AddedToken("<think>", special=False, normalized=False),
        AddedToken("</think>", special=False, normalized=False),
        # normalized=true: matched after NFC, decoded from its NFC form through the ByteLevel decoder
        AddedToken("Cafe\u0301Bar", special=False, normalized=True),
    ])
    finish("qwen", qwen, patch_model=qwen_model_fields, specials=qwen_specials)

    # --- GPT-2 ---
    gpt2 = train(pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True), None,
                 special_tokens=["<|endoftext|>"])
    gpt2.post_processor = tokenizers.processors.ByteLevel(trim_offsets=False)
    gpt2_json = finish("gpt2", gpt2, patch_model=qwen_model_fields, merges_as_strings=True,
                       specials=["<|endoftext|>"])

    # --- GPT-2 vocab with add_prefix_space, ignore_merges and lstrip / rstrip / single_word added tokens ---
    opts = Tokenizer.from_str(gpt2_json.to_str())
    opts.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True, use_regex=True)
    opts.add_special_tokens([AddedToken("<mask>", special=True, lstrip=True, rstrip=False, normalized=False)])
    opts.add_tokens([
        AddedToken("[[note]]", special=False, single_word=True, normalized=True),
        AddedToken("<|im_end|>", special=False, rstrip=True, normalized=False),
        # overlaps <|im_end|>: added tokens are matched leftmost-longest
        AddedToken("<|im_end|>!!", special=False, normalized=False),
        # a raw U+FEFF in tokenizer.json (swift-corelibs-foundation's JSONSerialization would drop it)
        AddedToken("\ufeff<bom>", special=False, normalized=False),
    ])
    finish("gpt2-options", opts, patch_model=lambda m: m.update(ignore_merges=True), merges_as_strings=False,
           specials=["<|endoftext|>", "<mask>"])

    # --- Tiny hand-made vocabularies that lack most bytes: unk_token (fused) + ignore_merges, and byte_fallback ---
    finish("bpe-unk", tiny_bpe(unk=True, fuse_unk=True, byte_fallback=False, ignore_merges=True),
           strings=SMALL_STRINGS, decode=False)
    finish("bpe-byte-fallback", tiny_bpe(unk=True, fuse_unk=False, byte_fallback=True), strings=SMALL_STRINGS,
           decode=False)

    total = 0
    for root, _, files in os.walk(HERE):
        for f in files:
            total += os.path.getsize(os.path.join(root, f))
    print(f"tokenizers {tokenizers.__version__}: wrote {len(TEST_STRINGS)} cases per tokenizer, "
          f"{total // 1024} KB in {HERE}")


if __name__ == "__main__":
    main()
