"""Labelled evaluation sets: `answers: [{text, entry}]`, `referral: [text]`, `urgent: [text]`,
`near_miss: [{text, entry}]`, `off_topic: [text]`, `smalltalk: [text]`, optional `lang:` (held-out sets in
tests/heldout/; training examples in knowledge/examples use the richer format of bot/examples.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

KINDS = ("answers", "referral", "urgent", "near_miss", "off_topic", "smalltalk")
HELDOUT_DIR = Path(__file__).resolve().parent.parent / "tests" / "heldout"


class SetError(ValueError):
    """A labelled set is missing or malformed."""


@dataclass(frozen=True, slots=True)
class LabelledSet:
    name: str
    path: str
    answers: tuple[tuple[str, str], ...]  # (text, entry id)
    referral: tuple[str, ...]
    urgent: tuple[str, ...]
    near_miss: tuple[tuple[str, str], ...]  # (text, entry id)
    off_topic: tuple[str, ...]
    smalltalk: tuple[str, ...] = ()
    lang: str = "en"

    def texts(self) -> list[str]:
        """Every question of the set, all kinds, in file order."""
        return (
            [t for t, _ in self.answers] + list(self.referral) + list(self.urgent)
            + [t for t, _ in self.near_miss] + list(self.off_topic) + list(self.smalltalk)
        )

    def sizes(self) -> dict[str, int]:
        return {kind: len(getattr(self, kind)) for kind in KINDS}


def _pairs(items: object, kind: str, where: str) -> tuple[tuple[str, str], ...]:
    if items is None:
        return ()
    if not isinstance(items, list):
        raise SetError(f"{where}: '{kind}' must be a list of {{text, entry}}")
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("text"), str) or not isinstance(item.get("entry"), str):
            raise SetError(f"{where}: {kind}[{i}] must be a mapping with text and entry")
        out.append((item["text"], item["entry"]))
    return tuple(out)


def _texts(items: object, kind: str, where: str) -> tuple[str, ...]:
    if items is None:
        return ()
    if not isinstance(items, list) or not all(isinstance(t, str) for t in items):
        raise SetError(f"{where}: '{kind}' must be a list of texts")
    return tuple(items)


def load_set(path: Path, name: str | None = None) -> LabelledSet:
    where = str(path)
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise SetError(f"{where}: cannot read: {exc}") from exc
    except yaml.YAMLError as exc:
        raise SetError(f"{where}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise SetError(f"{where}: expected a mapping with {', '.join(KINDS)}")
    lang = data.pop("lang", "en")
    if not isinstance(lang, str):
        raise SetError(f"{where}: 'lang' must be a language code such as en")
    unknown = set(data) - set(KINDS)
    if unknown:
        raise SetError(f"{where}: unknown kind(s): {', '.join(sorted(unknown))}")
    labelled = LabelledSet(
        name=name or Path(path).stem,
        path=where,
        answers=_pairs(data.get("answers"), "answers", where),
        referral=_texts(data.get("referral"), "referral", where),
        urgent=_texts(data.get("urgent"), "urgent", where),
        near_miss=_pairs(data.get("near_miss"), "near_miss", where),
        off_topic=_texts(data.get("off_topic"), "off_topic", where),
        smalltalk=_texts(data.get("smalltalk"), "smalltalk", where),
        lang=lang,
    )
    if not any(labelled.sizes().values()):
        raise SetError(f"{where}: the set is empty")
    return labelled


def check_entries(labelled: LabelledSet, entry_ids: set[str]) -> list[str]:
    """Expected entry ids that the knowledge does not have (a stale set would silently score zero)."""
    expected = {e for _, e in labelled.answers} | {e for _, e in labelled.near_miss}
    return sorted(expected - entry_ids)


def heldout_sets(folder: Path = HELDOUT_DIR) -> list[LabelledSet]:
    """Every held-out set (tests/heldout/*.yaml), by file name."""
    return [load_set(path) for path in sorted(folder.glob("*.yaml"))]


def examples_set(path: Path, name: str | None = None) -> LabelledSet:
    """A knowledge/examples file read as a labelled set (answers, referral, urgent, near-miss, off-topic,
    smalltalk flattened; `general` lines have no expected reply and are left out)."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    smalltalk = data.get("smalltalk") or {}
    return LabelledSet(
        name=name or Path(path).stem,
        path=str(path),
        answers=_pairs(data.get("answers"), "answers", str(path)),
        referral=_texts(data.get("referral"), "referral", str(path)),
        urgent=_texts(data.get("urgent"), "urgent", str(path)),
        near_miss=_pairs(data.get("near_miss"), "near_miss", str(path)),
        off_topic=_texts(data.get("off_topic"), "off_topic", str(path)),
        smalltalk=tuple(t for texts in smalltalk.values() for t in texts or ()),
        lang=str(data.get("lang", "en")),
    )
