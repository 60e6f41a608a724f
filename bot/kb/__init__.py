"""Knowledge revisions: the platform-neutral layer moderators' tools are built on.

- `content`: YAML-shaped content of one entry or region (`Content`), and the `kb validate` rules for a draft of it;
- `revisions`: `RevisionService`, the one place that proposes, reviews, publishes, reverts, imports and exports
  revisions (used by the Telegram moderation conversation in handlers/ and by `awarebot kb` alike).

Nothing here knows a chat platform or a terminal: callers get values and typed exceptions, and word them.
"""
