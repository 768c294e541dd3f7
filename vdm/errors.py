"""The one exception type for bad input: its message is a single sentence meant for the user."""


class VdmError(Exception):
    """Bad input or an unusable resource, explained in one sentence (no traceback is shown)."""


class Rejected(VdmError):
    """A selection or patch that a pipeline stage refuses; batch jobs record it and go on."""

    def __init__(self, stage: str, reason: str) -> None:
        super().__init__(reason)
        self.stage = stage
        self.reason = reason


def short_reason(exc: object, limit: int = 160) -> str:
    """First line of an exception's text, trimmed, for quoting inside a one-sentence message."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def printable(text: str) -> str:
    """A path or name as it can be printed: bytes the OS gave that are not UTF-8 are shown as \\xNN."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
