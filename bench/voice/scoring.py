"""Word error rate and sentence accuracy, on text normalised so only the words count."""

from __future__ import annotations

import re
from collections.abc import Sequence

_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_ORDINALS = {"1st": "first", "2nd": "second", "3rd": "third", "4th": "fourth"}
# Spellings a recogniser may choose for the same spoken word.
_SAME = {"okay": "ok", "alright": "all right"}


def number_words(number: int) -> str:
    """0..999 in words ("forty five"); larger numbers stay digits."""
    if number < 20:
        return _ONES[number]
    if number < 100:
        tens, ones = divmod(number, 10)
        return _TENS[tens] + (f" {_ONES[ones]}" if ones else "")
    if number < 1000:
        hundreds, rest = divmod(number, 100)
        return f"{_ONES[hundreds]} hundred" + (f" {number_words(rest)}" if rest else "")
    return str(number)


def words(text: str) -> list[str]:
    """Lower case, digits spelt out, hyphens split, punctuation dropped."""
    text = text.lower().replace("-", " ").replace("—", " ")
    for short, long in _ORDINALS.items():
        text = re.sub(rf"\b{short}\b", long, text)
    text = re.sub(r"(?<=\d),(?=\d{3})", "", text)
    text = re.sub(r"\d+", lambda m: f" {number_words(int(m.group()))} ", text)
    text = re.sub(r"[^a-z' ]+", " ", text).replace("'", "")
    out: list[str] = []
    for word in text.split():
        out += _SAME.get(word, word).split()
    return out


def edits(reference: Sequence[str], hypothesis: Sequence[str]) -> int:
    """Word-level Levenshtein distance: substitutions, deletions and insertions."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, start=1):
        current = [i]
        for j, hyp in enumerate(hypothesis, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref != hyp)))
        previous = current
    return previous[-1]


def score(references: Sequence[str], hypotheses: Sequence[str]) -> tuple[float, float]:
    """Word error rate over all lines (errors / reference words) and the share of lines
    heard word for word."""
    errors = total = exact = 0
    for reference, hypothesis in zip(references, hypotheses, strict=True):
        ref, hyp = words(reference), words(hypothesis)
        distance = edits(ref, hyp)
        errors += distance
        total += len(ref)
        exact += distance == 0
    return errors / max(total, 1), exact / max(len(references), 1)
