#!/usr/bin/env python3
"""Checks the tokenizer.json that Lathe's BPE trainer wrote from corpus.txt against Hugging Face `tokenizers`, and
records HF's answers for the Swift tests (Tests/TokenizerTests/BPETrainerTests.swift).

    python3 -m venv /tmp/tokvenv && /tmp/tokvenv/bin/pip install tokenizers==0.23.3
    LATHE_WRITE_BPE_FIXTURE=1 swift test --filter BPETrainerTests.retrainingReproducesTheFixture   # writes tokenizer.json
    /tmp/tokvenv/bin/python Tests/Fixtures/bpe-trainer/check_with_hf.py

Checks (exits non-zero if one fails):
  - HF loads tokenizer.json, and saving it again (`to_str(pretty=True)`) gives the same bytes: the file is in HF's
    own format, field for field;
  - HF's BpeTrainer, given the same settings and the corpus cut at the special tokens (Lathe's trainer cuts them out;
    HF's would pre-tokenize "<|im_end|>" as text), learns the same vocabulary and the same merges in the same order.

Writes:
  expected.json    [{"text", "ids"}]: HF's `encode(text, add_special_tokens=False).ids` for the test strings, with the
                   tokenizer.json as committed;
  hf_merges.json   the merges HF's trainer learned, [["a", "b"], ...], one per line.
"""

import json
import os
import sys

import tokenizers
from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers, trainers

PINNED_VERSION = "0.23.3"
if tokenizers.__version__ != PINNED_VERSION and os.environ.get("TOKENIZERS_ANY_VERSION") != "1":
    sys.exit(f"tokenizers {tokenizers.__version__} found, the fixture was made with {PINNED_VERSION} "
             "(set TOKENIZERS_ANY_VERSION=1 to run anyway)")

HERE = os.path.dirname(os.path.abspath(__file__))
# The settings BPETrainerTests trains the fixture with.
VOCAB_SIZE = 1024
MIN_FREQUENCY = 2
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
QWEN_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                r"|\s*[\r\n]+|\s+(?!\S)|\s+")

TEST_STRINGS = [
    # prose close to and far from the corpus
    "The lathe reads every token before lunch.",
    "A careful engineer explains twenty-one questions with great care!",
    "Our team ignores a long report in 2024, costing $2476.54...",
    "Completely unrelated vocabulary: xylophone quartz zephyr.",
    "It's true: we'll see what they've done, and I'm sure you'd agree. DON'T SHOUT, it'S fine.",
    # whitespace
    "",
    " ",
    "    ",
    "\t",
    "\n",
    "\r\n",
    "\n\n\n",
    "  leading and trailing  ",
    "tabs\tinside\t\tthe\tline",
    "line one\nline two\r\nline three\n\n\nend",
    "spaces before newline   \nnext",
    "  \n  \n\t\n",
    "a\u00a0b\u3000c\u2028d\u0085e",
    # digits and numbers
    "0123456789",
    "3.14159 and 2.71828",
    "1,000,000 runs at 99.9%",
    "date 2019-05-20 at 07:30",
    "١٢٣ ½ Ⅻ ² ⑤",
    # code
    "def train(corpus, vocab_size=4096):\n    return merge(counts)\n",
    "for (int i = 0; i < n; ++i) { sum += a[i]; }",
    "https://example.com/api/v2/models?name=qwen&limit=10#top",
    "<div class=\"row\">{{ item.name }}</div>",
    "fn main() {\r\n    println!(\"{}\", 1 + 2);\r\n}\r\n",
    # accents, NFC/NFD
    "Café, naïve, résumé, façade, Ångström",
    "Cafe\u0301, nai\u0308ve, re\u0301sume\u0301",
    "Die Straße ist ruhig; Jürgen fährt.",
    # scripts
    "你好，世界！今天天气很好。",
    "机器学习模型需要大量的数据来训练",
    "こんにちは、世界。日本語の文章",
    "東京は大きな都市です",
    "안녕하세요 세계. 오늘은 날씨가 좋아서",
    "\u1112\u1161\u11ab\u1100\u116e\u11a8\u110b\u1165",
    "مرحبا بالعالم",
    "Привет, мир! Москва — столица.",
    "Γειά σου κόσμε",
    "नमस्ते दुनिया",
    # emoji
    "emoji 😀🎉👍🏽 ok",
    "👨‍👩‍👧 family and 🇫🇷 flag",
    "❤️ and ☕ and 🤖✅🔥",
    # special tokens inside text
    "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n4<|im_end|>",
    "before<|endoftext|>after",
    "<|endoftext|><|endoftext|>",
    "x<|im_end|>y <|im_start|> z",
    "<|im_en and <|im_start",
    "<<|im_end|>>",
    # unseen and long
    "Pneumonoultramicroscopicsilicovolcanoconiosis",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝕞𝕒𝕥𝕙",
    "zero\u200bwidth and bom\ufeff",
    "x" * 100,
    " " * 70 + "end",
    "=" * 60 + "\n",
    "The old machine counts the first paragraph in 2024 😀. The compiler splits the brass fittings for 3.5 hours.\n\n"
    "你好，世界！ Le garçon a mangé une crème brûlée à la fenêtre.<|endoftext|>Numbers: 265126 4408108 9;",
]


def hf_trained():
    """HF's trainer on the same pre-tokens: the corpus cut at the special tokens, each piece one training text."""
    with open(os.path.join(HERE, "corpus.txt"), encoding="utf-8", newline="") as f:
        text = f.read()
    pieces = [text]
    for s in SPECIALS:
        pieces = [p for piece in pieces for p in piece.split(s)]
    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False),
    ])
    trainer = trainers.BpeTrainer(vocab_size=VOCAB_SIZE, min_frequency=MIN_FREQUENCY, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), special_tokens=SPECIALS)
    tok.train_from_iterator(pieces, trainer=trainer)
    return json.loads(tok.to_str())["model"]


def write_lines(path, items):
    with open(path, "w", encoding="utf-8") as f:
        f.write("[\n" + ",\n".join(json.dumps(x, ensure_ascii=False) for x in items) + "\n]\n")


def main():
    failures = []
    path = os.path.join(HERE, "tokenizer.json")
    with open(path, encoding="utf-8") as f:
        ours_text = f.read()
    tok = Tokenizer.from_str(ours_text)

    resaved = tok.to_str(pretty=True)
    if resaved != ours_text:
        a, b = ours_text.split("\n"), resaved.split("\n")
        k = next((i for i in range(min(len(a), len(b))) if a[i] != b[i]), min(len(a), len(b)))
        failures.append(f"HF re-saves tokenizer.json differently from line {k + 1}: "
                        f"ours {a[k] if k < len(a) else '<end>'!r}, HF {b[k] if k < len(b) else '<end>'!r}")

    ours = json.loads(ours_text)["model"]
    hf = hf_trained()
    hf_merges = [list(m) for m in hf["merges"]]
    write_lines(os.path.join(HERE, "hf_merges.json"), hf_merges)
    our_merges = [list(m) for m in ours["merges"]]
    if our_merges != hf_merges:
        k = next((i for i in range(min(len(our_merges), len(hf_merges))) if our_merges[i] != hf_merges[i]), None)
        failures.append(f"merges differ from HF's trainer ({len(our_merges)} vs {len(hf_merges)}), first at {k}: "
                        f"ours {our_merges[k] if k is not None else None}, HF {hf_merges[k] if k is not None else None}")
    # HF numbers its specials first; shifted by their count, every model token must have the same id.
    shifted = {t: i - len(SPECIALS) for t, i in hf["vocab"].items() if t not in SPECIALS}
    if shifted != ours["vocab"]:
        failures.append("vocabulary differs from HF's trainer's (ids shifted by the special tokens)")

    cases = []
    for text in TEST_STRINGS:
        ids = tok.encode(text, add_special_tokens=False).ids
        cases.append({"text": text, "ids": ids})
    write_lines(os.path.join(HERE, "expected.json"), cases)

    print(f"tokenizers {tokenizers.__version__}: vocab {tok.get_vocab_size()}, {len(our_merges)} merges, "
          f"{len(cases)} test strings written")
    print(f"re-saved by HF identical: {resaved == ours_text}; merges identical to HF's trainer: "
          f"{our_merges == hf_merges}")
    for f in failures:
        print("FAIL:", f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
