#!/usr/bin/env python3
"""Checks Lathe's chat template against transformers' apply_chat_template and writes template_expected.json.

tokenizer_config.json here is what `TokenizerConfig.json()` writes (its Swift test keeps it current). With the Qwen
fixture tokenizer.json beside it, AutoTokenizer must load it, and apply_chat_template must render the conversations
below; the Swift test (ChatTemplateTests.matchesTransformersApplyChatTemplate) compares Lathe's rendering, ids and loss
mask to what this script records, without Python.

Usage (transformers 5.23 was used for the committed file):
    python Tests/Fixtures/chat/check_chat_template.py            # compare with template_expected.json
    python Tests/Fixtures/chat/check_chat_template.py --write    # rewrite it
"""
import json
import os
import shutil
import sys
import tempfile

from transformers import AutoTokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
QWEN = os.path.join(HERE, "..", "tokenizers", "qwen", "tokenizer.json")
EXPECTED = os.path.join(HERE, "template_expected.json")


def m(role, content):
    return {"role": role, "content": content}


CASES = [
    ("single_turn", [m("user", "Hi"), m("assistant", "Hello!")], False),
    ("system", [m("system", "You are terse."), m("user", "2+2?"), m("assistant", "4")], False),
    ("multi_turn", [m("system", "Be kind."), m("user", "Hello"), m("assistant", "Hi there."),
                    m("user", "How are you?"), m("assistant", "Fine, thanks!")], False),
    ("generation_prompt", [m("system", "S"), m("user", "Tell me a joke.")], True),
    ("generation_prompt_after_turns", [m("user", "a"), m("assistant", "b"), m("user", "c")], True),
    ("unicode", [m("user", "Café ☕ 日本語 😀"), m("assistant", "Cafe\u0301 — naïve façade ✓")], False),
    ("empty_assistant", [m("user", "Say nothing."), m("assistant", "")], False),
    ("whitespace", [m("user", "  indented\n\tcode  "), m("assistant", "line one\nline two\n\n  end  ")], False),
    ("special_text_in_content", [m("user", "What is <|im_end|>?"), m("assistant", "A token: <|im_start|>.")], False),
    ("system_midway", [m("user", "x"), m("system", "Now be formal."), m("assistant", "Certainly.")], False),
    ("assistant_only", [m("assistant", "I speak first.")], False),
    ("numbers_and_punctuation", [m("user", "Sum 123 and 4567?"), m("assistant", "4690. Done!!")], False),
    # The one place Lathe's ids differ from tokenizing the whole text: HF joins the header's "\n" with a leading one.
    ("leading_newline", [m("user", "\nstarts with a break"), m("assistant", "\n\nanswer")], False),
]

# The shipped template with transformers' {% generation %} markers around what Lathe trains on, to read
# transformers' own assistant mask (return_assistant_tokens_mask); it must render the same text.
TAGGED = (
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' }}"
    "{%- if message['role'] == 'assistant' %}"
    "{% generation %}{{- message['content'] + '<|im_end|>' }}{% endgeneration %}"
    "{%- else %}{{- message['content'] + '<|im_end|>' }}{%- endif %}"
    "{{- '\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)


def segmented(tok, messages, add_generation_prompt):
    """Each segment through the tokenizer separately, as Lathe's ChatTemplate.encode does."""
    start, end = tok.convert_tokens_to_ids("<|im_start|>"), tok.convert_tokens_to_ids("<|im_end|>")
    ids = []
    for msg in messages:
        ids += [start] + tok.encode(msg["role"] + "\n", add_special_tokens=False)
        ids += tok.encode(msg["content"], add_special_tokens=False) + [end] + tok.encode("\n", add_special_tokens=False)
    if add_generation_prompt:
        ids += [start] + tok.encode("assistant\n", add_special_tokens=False)
    return ids


def main():
    with tempfile.TemporaryDirectory() as d:
        shutil.copy(QWEN, os.path.join(d, "tokenizer.json"))
        shutil.copy(os.path.join(HERE, "tokenizer_config.json"), os.path.join(d, "tokenizer_config.json"))
        tok = AutoTokenizer.from_pretrained(d)
    assert type(tok).__name__ in ("Qwen2Tokenizer", "Qwen2TokenizerFast"), type(tok).__name__
    assert (tok.eos_token, tok.pad_token, tok.bos_token) == ("<|im_end|>", "<|endoftext|>", None)
    assert (tok.eos_token_id, tok.pad_token_id) == (1002, 1000)
    assert tok("Hi")["input_ids"] == tok.encode("Hi", add_special_tokens=False), "no BOS/EOS is added"

    out = []
    for name, messages, gen in CASES:
        text = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=gen)
        ids = tok.apply_chat_template(messages, tokenize=True, add_generation_prompt=gen, return_dict=True)["input_ids"]
        tagged = tok.apply_chat_template(messages, chat_template=TAGGED, tokenize=True, add_generation_prompt=gen,
                                         return_dict=True, return_assistant_tokens_mask=True)
        assert tok.apply_chat_template(messages, chat_template=TAGGED, tokenize=False,
                                       add_generation_prompt=gen) == text, name
        assert tagged["input_ids"] == ids, name
        seg = segmented(tok, messages, gen)
        assert (seg == ids) == (name != "leading_newline"), name
        out.append({"name": name, "messages": messages, "add_generation_prompt": gen, "text": text, "ids": ids,
                    "assistant_masks": list(tagged["assistant_masks"]), "segmented_ids": seg})

    rendered = "[\n" + ",\n".join(json.dumps(c, ensure_ascii=False) for c in out) + "\n]\n"  # a case a line
    if "--write" in sys.argv:
        with open(EXPECTED, "w", encoding="utf-8") as f:
            f.write(rendered)
        print(f"wrote {EXPECTED}: {len(out)} conversations")
        return
    with open(EXPECTED, encoding="utf-8") as f:
        if f.read() != rendered:
            sys.exit(f"{EXPECTED} differs from what transformers renders now (rerun with --write if intended)")
    print(f"ok: {len(out)} conversations match {os.path.basename(EXPECTED)} "
          f"(transformers {__import__('transformers').__version__})")


if __name__ == "__main__":
    main()
