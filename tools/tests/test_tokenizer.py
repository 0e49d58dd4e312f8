"""The Python CLIP tokenizer against OpenAI's reference ids, and the generated tiny merges file."""

import gzip
import json

from conftest import shared_path
from samclip_tools.config import TINY_BPE_MERGES, TINY_VOCAB_SIZE
from samclip_tools.tokenizer import (
    TINY_CORPUS_WORDS,
    SimpleTokenizer,
    gzip_deterministic,
    learn_merges,
    merges_file_text,
    parse_merges,
    pre_tokenize,
)


def test_matches_openai_reference_ids():
    tok = SimpleTokenizer.from_file(shared_path("data", "clip", "bpe_simple_vocab_16e6.txt.gz"))
    assert (tok.vocab_size, tok.start_token, tok.end_token) == (49408, 49406, 49407)
    with open(shared_path("data", "clip", "tokenizer-cases.jsonl"), encoding="utf-8") as f:
        cases = [json.loads(line) for line in f if line.strip()]
    assert len(cases) > 100
    for case in cases:
        assert [tok.start_token] + tok.encode(case["text"]) + [tok.end_token] == case["ids"], case["text"]
        assert tok.tokenize([case["text"]], 77)[0] == case["context77"], case["text"]


def test_pre_tokenize_follows_the_clip_pattern():
    assert pre_tokenize("<|startoftext|>it's 12 cats!! naïve") == ["<|startoftext|>", "it", "'s", "1", "2", "cats", "!!", "naïve"]


def test_generated_merges_are_deterministic_and_follow_the_id_rule():
    merges = learn_merges(TINY_CORPUS_WORDS, TINY_BPE_MERGES)
    assert merges == learn_merges(list(TINY_CORPUS_WORDS), TINY_BPE_MERGES)
    text = merges_file_text(merges)
    assert text.startswith("#version: 0.2\n") and text.count("\n") == TINY_BPE_MERGES and not text.endswith("\n")
    data = gzip_deterministic(text.encode("utf-8"))
    assert data == gzip_deterministic(text.encode("utf-8"))
    assert data[4:8] == b"\0\0\0\0"  # gzip mtime 0
    assert gzip.decompress(data).decode("utf-8") == text
    tok = SimpleTokenizer(merges)
    assert tok.vocab_size == TINY_VOCAB_SIZE
    assert tok.start_token == 512 + TINY_BPE_MERGES and tok.end_token == tok.start_token + 1
    ids = tok.tokenize(["a photo of a cat."], 77)[0]
    assert ids[0] == tok.start_token and ids[ids.index(tok.end_token) + 1 :] == [0] * (76 - ids.index(tok.end_token))
    assert max(ids) == tok.end_token  # the text tower pools at argmax(ids)


def test_a_trailing_newline_counts_as_a_merge_as_in_openai_simple_tokenizer():
    merges = learn_merges(TINY_CORPUS_WORDS, 10)
    assert SimpleTokenizer(parse_merges(merges_file_text(merges))).start_token == 512 + 10
    assert SimpleTokenizer(parse_merges(merges_file_text(merges) + "\n")).start_token == 512 + 11


def test_truncation_keeps_the_end_token_last():
    tok = SimpleTokenizer(learn_merges(TINY_CORPUS_WORDS, TINY_BPE_MERGES))
    ids = tok.tokenize(["cat " * 200], 77)[0]
    assert len(ids) == 77 and ids[0] == tok.start_token and ids[-1] == tok.end_token
