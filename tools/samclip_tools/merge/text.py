"""The toy world's tokenizer: CLIP's byte-level BPE (samclip_tools.tokenizer) with merges learned
from the training captions and the prompt templates, so every world word is a single token."""

import re
from typing import List, Sequence, Tuple

import torch

from ..tokenizer import SimpleTokenizer, gzip_deterministic, learn_merges, merges_file_text, pre_tokenize

# The templates evaluation prompts with (the bundle's default set is the first one).
TEMPLATES = ("a photo of a {}.",)


def _words(texts: Sequence[str]) -> List[str]:
    return [w for t in texts for w in pre_tokenize(t.lower()) if re.fullmatch(r"[a-z]+", w)]


def _merges_available(words: Sequence[str]) -> int:
    """How many merges the word list yields before every word is one symbol (binary search over
    learn_merges, which fails past that point)."""
    lo, hi = 0, sum(len(w) for w in set(words))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        try:
            learn_merges(words, mid)
            lo = mid
        except ValueError:
            hi = mid - 1
    return lo


def learn_caption_merges(captions: Sequence[str], max_merges: int) -> List[Tuple[str, str]]:
    words = _words(list(captions) + [t.format("") for t in TEMPLATES])
    return learn_merges(words, min(max_merges, _merges_available(words)))


def merges_bytes(merges: Sequence[Tuple[str, str]]) -> bytes:
    """The gzip'd merges file a bundle carries (tokenizer/bpe_vocab.txt.gz)."""
    return gzip_deterministic(merges_file_text(merges).encode("utf-8"))


def vocab_size(merges: Sequence[Tuple[str, str]]) -> int:
    return 512 + len(merges) + 2


def tokenize(tokenizer: SimpleTokenizer, texts: Sequence[str], context_length: int) -> torch.Tensor:
    return torch.tensor(tokenizer.tokenize(texts, context_length), dtype=torch.int64)
