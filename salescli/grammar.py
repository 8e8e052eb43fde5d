"""Messages that read right for one and for many: ``plural(1, "open deal")`` is
``1 open deal``, ``plural(3, "activity")`` is ``3 activities``, ``inflect(1, "is")`` is
``is``, ``article("amount")`` is ``an amount``.
"""

from __future__ import annotations

# Plurals no rule makes, and the small words that agree with a count.
_IRREGULAR = {"is": "are", "was": "were", "has": "have", "it": "them", "this": "these", "that": "those", "its": "their"}
# Vowels that sound like "you" or "won", and silent h: the article goes by the sound.
_A_BEFORE = ("uni", "use", "usu", "one", "eu")
_AN_BEFORE = ("hour", "honest", "honor", "honour")


def inflect(count: int | float, word: str) -> str:
    """``word`` as it agrees with ``count``: the last word of a noun phrase takes the plural."""
    if count == 1:
        return word
    head, space, last = word.rpartition(" ")
    return head + space + _plural_of(last)


def plural(count: int | float, noun: str) -> str:
    """``1 deal``, ``0 deals``, ``1,200 activities``."""
    shown = f"{count:,}" if isinstance(count, int) else str(count)
    return f"{shown} {inflect(count, noun)}"


def article(phrase: str) -> str:
    """``a deal``, ``an amount``, ``an open stage``, ``a units target``."""
    word = phrase.lower()
    vowel = word[:1] in ("a", "e", "i", "o", "u") and not word.startswith(_A_BEFORE)
    return f"{'an' if vowel or word.startswith(_AN_BEFORE) else 'a'} {phrase}"


def _plural_of(word: str) -> str:
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if word.endswith("y") and word[-2:-1] not in ("a", "e", "i", "o", "u"):
        return word[:-1] + "ies"
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    return word + "s"
