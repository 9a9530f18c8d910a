"""The matcher's exceptions. Each says where the problem is and what was expected."""

from __future__ import annotations

from pathlib import Path


class MatcherError(Exception):
    """Base of every error the matcher raises."""


class KnowledgeBaseError(MatcherError):
    """A knowledge base that cannot be loaded: one problem, with its file and line."""

    def __init__(self, message: str, *, file: Path | None = None, line: int | None = None):
        self.message = message
        self.file = file
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ""
        if self.file is not None:
            where = f"{self.file}:{self.line}: " if self.line else f"{self.file}: "
        return f"{where}{self.message}"


class KnowledgeBaseErrors(KnowledgeBaseError):
    """Several problems found while loading one base; `problems` lists each of them."""

    def __init__(self, problems: list[KnowledgeBaseError]):
        self.problems = tuple(problems)
        first = problems[0]
        super().__init__(first.message, file=first.file, line=first.line)

    def __str__(self) -> str:
        lines = [KnowledgeBaseError.__str__(p) for p in self.problems]
        if len(lines) == 1:
            return lines[0]
        return f"ошибок в базе знаний: {len(lines)}.\n" + "\n".join(lines)
