"""YAML loading that remembers line numbers, so every error can name file and line.

Parsing uses libyaml's C loader when PyYAML was built with it (`yaml.CSafeLoader`, about ten times faster than the
pure-Python SafeLoader), with the same safe constructors plus line tracking; syntax errors are placed where the
mistake is (an unclosed quote or bracket is reported on the line that opened it, not where YAML gave up).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.errors import KnowledgeError, Problem


class LineDict(dict[str, Any]):
    """A mapping that knows the 1-based line it started on and the line of each key."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        """The 1-based line of `key`, or of the mapping itself when the key is absent."""
        return self.key_lines.get(key, self.line)


class LineList(list[Any]):
    """A sequence that knows the 1-based line of each item."""

    line: int = 0
    item_lines: list[int]


_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BaseDumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _LineLoader(_BaseLoader):  # type: ignore[valid-type,misc]
    """A safe loader (C when available) whose mappings and sequences remember their lines."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            key = str(key)
        if key in result:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


def _construct_str(loader: _LineLoader, node: yaml.ScalarNode) -> str:
    # Dates and numbers stay text where the schema wants text ("reviewed: 2026-11-28" is parsed by us).
    return str(loader.construct_scalar(node))


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_str)


def _unclosed_quote(text: str, problem_line: int) -> int | None:
    """The 1-based line where a quoted text that runs on to `problem_line` was opened, if there is one.

    Quoted values in the knowledge never span lines (long text uses `|` blocks), so a quoted scalar that does is a
    quote left open: YAML reads on to the next quote character and fails there, often many lines later.
    """
    opened: int | None = None
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            if isinstance(token, yaml.ScalarToken) and token.style in ('"', "'"):
                if token.end_mark.line > token.start_mark.line and token.end_mark.line + 1 >= problem_line - 1:
                    opened = token.start_mark.line + 1
    except yaml.YAMLError:
        pass
    return opened


def _syntax_problem(text: str, file: str, exc: yaml.MarkedYAMLError) -> Problem:
    """One Problem at the line where the mistake is, saying what it is and where YAML noticed it."""
    problem_line = exc.problem_mark.line + 1 if exc.problem_mark else None
    context_line = exc.context_mark.line + 1 if exc.context_mark else None
    reason = exc.problem or str(exc)
    context = exc.context or ""
    if "quoted scalar" in context and context_line is not None:
        return Problem(file, context_line, f"invalid YAML: a quote opened on this line is never closed ({reason})")
    if context.startswith("while parsing a flow") and context_line is not None and context_line != problem_line:
        return Problem(file, context_line, f"invalid YAML: a [ or {{ opened on this line is not closed where "
                                           f"expected (YAML noticed at line {problem_line}: {reason})")
    if problem_line is not None:
        opened = _unclosed_quote(text, problem_line)
        if opened is not None and opened < problem_line:
            return Problem(file, opened, f"invalid YAML: a quote opened on this line is not closed on it (YAML read "
                                         f"on to line {problem_line} and failed there: {reason})")
    return Problem(file, problem_line or context_line, f"invalid YAML: {reason}")


def parse_yaml(text: str, file: str) -> Any:
    """Parse YAML text with line tracking; a syntax error becomes a KnowledgeError with exactly one Problem, at the
    line of the mistake (file and 1-based line)."""
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        raise KnowledgeError([_syntax_problem(text, file, exc)]) from None
    except yaml.YAMLError as exc:
        raise KnowledgeError([Problem(file, None, f"invalid YAML: {exc}")]) from None


def load_yaml(path: Path) -> Any:
    """Read and parse one YAML file (UTF-8)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise KnowledgeError([Problem(str(path), None, f"cannot read file: {exc}")]) from None
    return parse_yaml(text, str(path))


def dump_yaml(data: Any) -> str:
    """Readable YAML for export: block style, key order kept, long text as literal blocks. Written by libyaml's C
    emitter when available (the same text as the pure-Python one, about six times faster)."""

    class _Dumper(_BaseDumper):  # type: ignore[valid-type,misc]
        pass

    def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    _Dumper.add_representer(str, _str)
    _Dumper.add_representer(LineDict, _Dumper.represent_dict)
    _Dumper.add_representer(LineList, _Dumper.represent_list)
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
