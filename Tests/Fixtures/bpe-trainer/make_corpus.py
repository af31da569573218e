#!/usr/bin/env python3
"""Writes corpus.txt, the small training corpus of the BPE trainer fixture (Tests/TokenizerTests/BPETrainerTests).

Deterministic (fixed seed, no third-party packages):

    python3 Tests/Fixtures/bpe-trainer/make_corpus.py

About 120 KB of mixed text: English prose, code, numbers, accented Latin, CJK, Japanese, Korean, Arabic, Cyrillic,
Greek, emoji, runs of spaces, tabs and newlines (LF and CRLF), NFD text that NFC must compose, and chat turns that
write the special tokens <|endoftext|>, <|im_start|>, <|im_end|> inside the text (the trainer must cut them out).
"""

import os
import random
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
rng = random.Random(20240611)

SUBJECTS = ["the lathe", "a small workshop", "the tokenizer", "every model", "our team", "the old machine",
            "a careful engineer", "the training loop", "this experiment", "the reviewer", "my neighbour",
            "the compiler", "a quiet student", "the river", "the market"]
VERBS = ["turns", "reads", "writes", "measures", "repeats", "explains", "ignores", "builds", "tests", "merges",
         "splits", "counts", "remembers", "forgets", "prints"]
OBJECTS = ["the wooden bowl", "every token", "the same numbers", "a long report", "the brass fittings",
           "its own mistakes", "the evaluation set", "three small files", "the learning rate", "a new vocabulary",
           "the morning news", "twenty-one questions", "the first paragraph", "a strange error", "the results"]
TAILS = ["before lunch", "without a word", "again and again", "in the evening", "with great care",
         "for the second time", "as if nothing happened", "while it rains", "at 7:30 sharp", "on Tuesday",
         "because it can", "and then stops", "until it works", "in 2024", "for 3.5 hours"]
CONTRACTIONS = ["It's", "We'll", "They've", "I'm", "You'd", "She's", "Don't", "Can't", "WON'T", "it'S"]

CODE = [
    "def train(corpus, vocab_size=4096):\n    counts = count_words(corpus)\n    return merge(counts, vocab_size)\n",
    "for (int i = 0; i < n; ++i) {\n\tsum += values[i] * weights[i];\n}\n",
    "let tokenizer = try Tokenizer(contentsOf: url)\nlet ids = tokenizer.encode(\"hello world\")\nprint(ids)\n",
    "SELECT id, name, score FROM results WHERE score >= 0.95 ORDER BY score DESC;\n",
    "if x == 0 and y != 1:\n        raise ValueError(f\"bad value: {x!r}\")\n",
    "    # indented comment\n    return [w.lower() for w in words if w]\n\n",
    "<div class=\"row\"><span>{{ item.name }}</span>&nbsp;<a href=\"/items/42\">more</a></div>\n",
    "fn main() {\r\n    println!(\"{}\", 1 + 2);\r\n}\r\n",
    "const total = items.reduce((acc, x) => acc + x.price * x.qty, 0);\n",
    "https://example.com/api/v2/models?name=qwen&limit=10#top\n",
]

FOREIGN = [
    "Le garçon a mangé une crème brûlée à la fenêtre. Ça va très bien, merci.",
    "¿Dónde está la estación? El niño juega en el jardín con su pequeño perro.",
    "Die Straße ist heute sehr ruhig; Jürgen fährt mit dem Fahrrad zur Bäckerei.",
    "Café, naïve, résumé, façade, jalapeño, Ångström, Zürich, São Paulo, Kraków, Øresund.",
    "你好，世界！今天天气很好，我们去公园散步吧。中文分词是一个有趣的问题。",
    "机器学习模型需要大量的数据来训练，分词器把文本切成小块。",
    "こんにちは、世界。日本語の文章にはひらがなとカタカナと漢字が混ざっています。",
    "東京は大きな都市です。毎朝、電車はとても混んでいます。",
    "안녕하세요 세계. 한국어 문장은 띄어쓰기를 사용합니다.",
    "오늘은 날씨가 좋아서 공원에 산책하러 갔습니다.",
    "مرحبا بالعالم. اللغة العربية تكتب من اليمين إلى اليسار.",
    "Привет, мир! Это простой тест. Москва — столица России.",
    "Γειά σου κόσμε, αυτό είναι ένα τεστ. Η θάλασσα είναι ήρεμη.",
    "नमस्ते दुनिया। यह एक छोटा सा परीक्षण है।",
]

EMOJI = ["😀", "😂", "🎉", "👍", "🚀", "❤️", "👨‍👩‍👧", "🇫🇷", "🔥", "✅", "🤖", "☕"]


def sentence():
    s = f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(TAILS)}"
    s = s[0].upper() + s[1:]
    r = rng.random()
    if r < 0.15:
        s = f"{rng.choice(CONTRACTIONS)} true: {s.lower()}"
    elif r < 0.25:
        s += f", costing ${rng.randint(1, 9999)}.{rng.randint(0, 99):02d}"
    elif r < 0.32:
        s += f" ({rng.randint(1, 100)}% of {rng.randint(100, 99999)} runs)"
    elif r < 0.38:
        s += " " + rng.choice(EMOJI)
    return s + rng.choice([".", ".", ".", "!", "?", "..."])


def paragraph():
    return " ".join(sentence() for _ in range(rng.randint(2, 6)))


def document():
    parts = []
    for _ in range(rng.randint(2, 5)):
        r = rng.random()
        if r < 0.45:
            parts.append(paragraph())
        elif r < 0.65:
            parts.append(rng.choice(CODE).rstrip("\n"))
        elif r < 0.85:
            parts.append(rng.choice(FOREIGN) + " " + rng.choice(FOREIGN))
        elif r < 0.92:
            nums = " ".join(str(rng.randint(0, 10 ** rng.randint(1, 7))) for _ in range(rng.randint(3, 9)))
            parts.append(f"Numbers: {nums}; date {rng.randint(1990, 2030)}-{rng.randint(1, 12):02d}-"
                         f"{rng.randint(1, 28):02d}.")
        else:
            # NFD text: the trainer must count it as its NFC form.
            parts.append(unicodedata.normalize("NFD", rng.choice(FOREIGN[:4])))
    sep = rng.choice(["\n\n", "\n", "\n\n\n", "\r\n", "  \n", "\n\t"])
    text = sep.join(parts)
    if rng.random() < 0.1:
        text = " " * rng.randint(2, 12) + text + " " * rng.randint(1, 5)
    return text


def chat():
    q = sentence()
    a = paragraph()
    return (f"<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n{q}<|im_end|>\n"
            f"<|im_start|>assistant\n{a}<|im_end|>")


def main():
    docs = []
    size = 0
    while size < 120_000:
        d = chat() if rng.random() < 0.25 else document()
        docs.append(d)
        size += len(d.encode("utf-8"))
    text = "<|endoftext|>".join(docs) + "\n"
    with open(os.path.join(HERE, "corpus.txt"), "w", encoding="utf-8", newline="") as f:
        f.write(text)
    print(f"corpus.txt: {len(text.encode('utf-8'))} bytes, {len(docs)} documents")


if __name__ == "__main__":
    main()
