"""Problems found in knowledge files, reported with file and line."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a knowledge file, where a person can find it."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


class KnowledgeError(Exception):
    """Knowledge failed validation; nothing of it may be served."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(self.report())

    def report(self) -> str:
        """Every problem as 'file:line: message', one per line, then how many were found."""
        lines = [str(p) for p in self.problems]
        lines.append(f"{len(self.problems)} problem(s) found; knowledge not loaded.")
        return "\n".join(lines)
