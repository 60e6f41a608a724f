"""Anonymous usage counting: which kind of reply a sent reply stands for. Counts only, never text or user ids."""

from __future__ import annotations

from bot.replies import Reply, ReplyKind

# Events counted per day (Store.count_event): an answer served (with its entry id), a fallback, an urgent reply,
# a hotline card.
EVENTS = ("served", "fallback", "urgent", "referral")


def stats_event(reply: Reply) -> tuple[str, str | None] | None:
    """The count-only event a sent reply stands for: (event, entry id or None); None for replies not counted."""
    if reply.kind is ReplyKind.ANSWER and reply.entry_id:
        return "served", reply.entry_id
    return {
        ReplyKind.FALLBACK: ("fallback", None),
        ReplyKind.URGENT: ("urgent", None),
        ReplyKind.REFERRAL: ("referral", None),
    }.get(reply.kind)
