"""Light markup used in knowledge and replies: `**bold**` and plain lines; rendered as plain text or Telegram HTML."""

from __future__ import annotations

import html
import re

_BOLD = re.compile(r"\*\*(.+?)\*\*", re.DOTALL)
# `\*` is a literal asterisk and `\\` a literal backslash: how text someone typed is quoted inside a message
# (see `literal`), so their `**` can neither start bold nor pair with the bold of the referral block below.
_ESCAPE = re.compile(r"\\([\\*])")
_STAR, _BACKSLASH = "\ue000", "\ue001"  # private-use placeholders while bold is matched


def literal(text: str) -> str:
    """`text` as light markup that shows exactly these characters (asterisks and backslashes escaped)."""
    return text.replace("\\", "\\\\").replace("*", "\\*")


def _protect(text: str) -> str:
    return _ESCAPE.sub(lambda m: _STAR if m.group(1) == "*" else _BACKSLASH, text)


def _restore(text: str) -> str:
    return text.replace(_STAR, "*").replace(_BACKSLASH, "\\")


def to_plain(text: str) -> str:
    """What a person reads in a console: markup removed."""
    return _restore(_BOLD.sub(r"\1", _protect(text)))


def to_html(text: str) -> str:
    """Telegram HTML: every character escaped, then bold restored."""
    return _restore(_BOLD.sub(r"<b>\1</b>", html.escape(_protect(text), quote=False)))


def has_unbalanced_markup(text: str) -> bool:
    """True when `**` markers do not pair up (it would show stray asterisks)."""
    return _protect(text).count("**") % 2 == 1
