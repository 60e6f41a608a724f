"""Normalisation: case, accents, punctuation, contractions — one definition of "the same words"."""

import pytest

from bot.text import fold, normalize


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("What IS Sex Trafficking?!", "what is sex trafficking"),
        ("He\u2019s taken my ID!!", "he is taken my id"),
        ("i cant leave", "i can not leave"),
        ("I can't leave", "i can not leave"),
        ("Im 15", "i am 15"),
        ("won't let me go", "will not let me go"),
        ("the trafficker's goal", "the trafficker goal"),
        ("  lots   of\tspace\n", "lots of space"),
        ("Épouse vendue", "epouse vendue"),
        ("ﬁnance", "finance"),  # NFKC folds the ligature
        ("😀😀", ""),
        ("", ""),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_fold_keeps_other_scripts() -> None:
    assert fold("ПОМОГИТЕ") == "помогите"
    assert normalize("帮帮我") == "帮帮我"


def test_invisible_format_characters_are_removed_first() -> None:
    from bot.text import normalize, strip_invisible

    # zero-width space, soft hyphen, word joiner, zero-width joiner, bidi marks and isolates, BOM
    for mark in ("\u200b", "\u00ad", "\u2060", "\u200d", "\u200e", "\u200f", "\u2066", "\u2069", "\ufeff"):
        assert normalize(f"pass{mark}port") == "passport", repr(mark)
    assert strip_invisible("ok") == "ok"
    assert normalize("they lo\u00adcked me in") == normalize("they locked me in")


def test_marks_of_scripts_that_need_them_are_kept() -> None:
    from bot.text import fold

    assert fold("Épouse café") == "epouse cafe"
    assert fold("हिन्दी") != fold("हनद")  # Devanagari keeps its vowel signs and virama
