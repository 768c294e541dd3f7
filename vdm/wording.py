"""Words in sentences a person reads: counts ("1 brush", "2 brushes") and choices ("a, b or c")."""

from __future__ import annotations

from collections.abc import Iterable


def counted(count: int, one: str, many: str | None = None) -> str:
    """`count` and the noun that agrees with it (`many` defaults to `one` + "s")."""
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def either(choices: Iterable[str]) -> str:
    """The choices as a sentence lists them: "a", "a or b", "a, b or c"."""
    words = list(choices)
    return " or ".join(filter(None, [", ".join(words[:-1]), words[-1]])) if words else ""
