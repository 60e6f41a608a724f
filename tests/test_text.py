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
