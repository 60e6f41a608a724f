"""Light markup used in knowledge and replies: `**bold**` and plain lines; rendered as plain text or Telegram HTML."""

from __future__ import annotations

import html
import re

_BOLD = re.compile(r"\*\*(.+?)\*\*", re.DOTALL)


def to_plain(text: str) -> str:
    """What a person reads in a console: markup removed."""
    return _BOLD.sub(r"\1", text)


def to_html(text: str) -> str:
    """Telegram HTML: every character escaped, then bold restored."""
    return _BOLD.sub(r"<b>\1</b>", html.escape(text, quote=False))


def has_unbalanced_markup(text: str) -> bool:
    """True when `**` markers do not pair up (it would show stray asterisks)."""
    return text.count("**") % 2 == 1
