"""Counts in sentences a person reads: "1 brush", "2 brushes"."""

from __future__ import annotations


def counted(count: int, one: str, many: str | None = None) -> str:
    """`count` and the noun that agrees with it (`many` defaults to `one` + "s")."""
    return f"{count:,} {one if count == 1 else (many or one + 's')}"
