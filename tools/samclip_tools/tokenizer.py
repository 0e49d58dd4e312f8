"""CLIP's byte-level BPE tokenizer (a port of OpenAI's SimpleTokenizer without ftfy) and a
deterministic learner for the small merges file that tiny bundles carry instead of OpenAI's.

Ids follow SimpleTokenizer: the 256 byte symbols, their `</w>` forms, one id per merge, then
<|startoftext|> and <|endoftext|>. OpenAI's file yields 48,894 merges → start 49406, end 49407.
"""

import gzip
import html
import io
import re
import unicodedata
from collections import Counter
from typing import Dict, Iterable, List, Sequence, Tuple

MAX_MERGES = 49152 - 256 - 2  # SimpleTokenizer reads merges[1:48895]
START = "<|startoftext|>"
END = "<|endoftext|>"
CONTRACTIONS = ("'s", "'t", "'re", "'ve", "'m", "'ll", "'d")


def bytes_to_unicode() -> Dict[int, str]:
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, (chr(c) for c in cs)))


def _is_letter(ch: str) -> bool:
    return unicodedata.category(ch).startswith("L")


def _is_number(ch: str) -> bool:
    return unicodedata.category(ch).startswith("N")


def pre_tokenize(text: str) -> List[str]:
    """SimpleTokenizer's regex, alternative by alternative:
    <|startoftext|>|<|endoftext|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+
    (written out because Python's `re` has no \\p classes)."""
    out: List[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        matched = next((s for s in (START, END) + CONTRACTIONS if text.startswith(s, i)), None)
        if matched is not None:
            out.append(matched)
            i += len(matched)
        elif _is_letter(ch):
            j = i + 1
            while j < n and _is_letter(text[j]):
                j += 1
            out.append(text[i:j])
            i = j
        elif _is_number(ch):
            out.append(ch)
            i += 1
        elif ch.isspace():
            i += 1
        else:
            j = i + 1
            while j < n and not (text[j].isspace() or _is_letter(text[j]) or _is_number(text[j])):
                j += 1
            out.append(text[i:j])
            i = j
    return out


# The parts of ftfy.fix_text (default settings) that change text a CLIP prompt plausibly holds:
# curly quotes, Latin ligatures, full-width forms, then NFC. Mojibake repair is not reproduced.
_UNCURL = {ord(c): "'" for c in "\u2018\u2019\u201a\u201b"} | {ord(c): '"' for c in "\u201c\u201d\u201e\u201f"}
_LIGATURES = {"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl", "\ufb05": "\u017ft", "\ufb06": "st"}


def _fix_text(text: str) -> str:
    text = text.translate(_UNCURL)
    text = "".join(_LIGATURES.get(ch, ch) for ch in text)
    text = "".join(unicodedata.normalize("NFKC", ch) if "\uff01" <= ch <= "\uff5e" or ch == "\u3000" else ch for ch in text)
    return unicodedata.normalize("NFC", text)


def basic_clean(text: str) -> str:
    return html.unescape(html.unescape(_fix_text(text))).strip()


def whitespace_clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _pairs(word: Tuple[str, ...]) -> set:
    return set(zip(word, word[1:]))


def parse_merges(text: str) -> List[Tuple[str, ...]]:
    """SimpleTokenizer's rule exactly: lines 1..48894 after the header, each split on whitespace.
    An empty line inside that range (a short file's trailing newline) is a merge too, of no symbols,
    and takes an id, so merges files we write end without a newline."""
    return [tuple(line.split()) for line in text.split("\n")[1 : 1 + MAX_MERGES]]


class SimpleTokenizer:
    def __init__(self, merges: Sequence[Tuple[str, ...]]) -> None:
        self.byte_encoder = bytes_to_unicode()
        vocab = list(self.byte_encoder.values())
        vocab = vocab + [v + "</w>" for v in vocab]
        vocab.extend("".join(m) for m in merges)
        vocab.extend([START, END])
        self.encoder = {tok: i for i, tok in enumerate(vocab)}
        self.bpe_ranks = {tuple(m): i for i, m in enumerate(merges)}
        self.cache = {START: START, END: END}
        self.start_token = self.encoder[START]
        self.end_token = self.encoder[END]
        self.vocab_size = len(vocab)

    @classmethod
    def from_bytes(cls, data: bytes) -> "SimpleTokenizer":
        """From a merges file's bytes, gzipped or plain."""
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        return cls(parse_merges(data.decode("utf-8")))

    @classmethod
    def from_file(cls, path: str) -> "SimpleTokenizer":
        with open(path, "rb") as f:
            return cls.from_bytes(f.read())

    def bpe(self, token: str) -> str:
        if token in self.cache:
            return self.cache[token]
        word: Tuple[str, ...] = tuple(token[:-1]) + (token[-1] + "</w>",)
        pairs = _pairs(word)
        if not pairs:
            return token + "</w>"
        while True:
            bigram = min(pairs, key=lambda p: self.bpe_ranks.get(p, float("inf")))
            if bigram not in self.bpe_ranks:
                break
            first, second = bigram
            new_word: List[str] = []
            i = 0
            while i < len(word):
                try:
                    j = word.index(first, i)
                except ValueError:
                    new_word.extend(word[i:])
                    break
                new_word.extend(word[i:j])
                i = j
                if word[i] == first and i < len(word) - 1 and word[i + 1] == second:
                    new_word.append(first + second)
                    i += 2
                else:
                    new_word.append(word[i])
                    i += 1
            word = tuple(new_word)
            if len(word) == 1:
                break
            pairs = _pairs(word)
        result = " ".join(word)
        self.cache[token] = result
        return result

    def encode(self, text: str) -> List[int]:
        ids: List[int] = []
        for token in pre_tokenize(whitespace_clean(basic_clean(text)).lower()):
            token = "".join(self.byte_encoder[b] for b in token.encode("utf-8"))
            ids.extend(self.encoder[t] for t in self.bpe(token).split(" "))
        return ids

    def tokenize(self, texts: Iterable[str], context_length: int = 77) -> List[List[int]]:
        """[start, ids…, end] per text, truncated to context_length with the end token kept last, 0-padded."""
        rows = []
        for text in texts:
            ids = [self.start_token] + self.encode(text) + [self.end_token]
            if len(ids) > context_length:
                ids = ids[: context_length - 1] + [self.end_token]
            rows.append(ids + [0] * (context_length - len(ids)))
        return rows


# A fixed English word list (class names, prompt-template words, common words): the training data
# of the tiny tokenizer's merges.
TINY_CORPUS_WORDS = """
a an the of in on at to and or with for from by is are this that it photo picture image drawing
painting sketch rendering close up view good bad small large big little cropped bright dark blurry
clean dirty one two three many some several object objects thing things scene background
cat dog car truck bus bicycle motorcycle person people man woman child bird horse sheep cow
elephant bear zebra giraffe backpack umbrella handbag tie suitcase frisbee skis snowboard ball
kite bat glove skateboard surfboard racket bottle glass cup fork knife spoon bowl banana apple
sandwich orange broccoli carrot pizza donut cake chair couch plant bed table toilet tv laptop
mouse remote keyboard phone microwave oven toaster sink refrigerator book clock vase scissors
teddy hair drier toothbrush tree sky road grass water building house window door wall floor
street sign light traffic fire hydrant stop parking meter bench grocery groceries food fruit
vegetable bag box store shelf red green blue yellow white black brown gray pink purple
""".split()


def learn_merges(words: Sequence[str], num_merges: int) -> List[Tuple[str, str]]:
    """Classic BPE on byte-level symbols with `</w>` on each word's last symbol; the most frequent
    pair wins, ties broken by the lexicographically smallest pair, so the result is deterministic."""
    byte_encoder = bytes_to_unicode()
    counts = Counter(words)
    vocab: Dict[Tuple[str, ...], int] = {}
    for w, c in counts.items():
        symbols = [byte_encoder[b] for b in w.encode("utf-8")]
        symbols[-1] += "</w>"
        vocab[tuple(symbols)] = vocab.get(tuple(symbols), 0) + c
    merges: List[Tuple[str, str]] = []
    while len(merges) < num_merges:
        pair_counts: Counter = Counter()
        for word, c in vocab.items():
            for p in zip(word, word[1:]):
                pair_counts[p] += c
        if not pair_counts:
            raise ValueError(f"the word list yields only {len(merges)} merges; {num_merges} requested")
        best = min(pair_counts, key=lambda p: (-pair_counts[p], p))
        merges.append(best)
        merged: Dict[Tuple[str, ...], int] = {}
        for word, c in vocab.items():
            out: List[str] = []
            i = 0
            while i < len(word):
                if i < len(word) - 1 and (word[i], word[i + 1]) == best:
                    out.append(word[i] + word[i + 1])
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            merged[tuple(out)] = merged.get(tuple(out), 0) + c
        vocab = merged
    return merges


def merges_file_text(merges: Sequence[Tuple[str, str]]) -> str:
    """CLIP's merges format: a '#version: 0.2' header, one 'a b' line per merge, no final newline
    (see parse_merges)."""
    return "\n".join(["#version: 0.2"] + [f"{a} {b}" for a, b in merges])


def gzip_deterministic(data: bytes) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as f:
        f.write(data)
    return buf.getvalue()
