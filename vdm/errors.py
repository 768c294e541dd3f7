"""The one exception type for bad input: its message is a single sentence meant for the user."""

import re


def printable(text: str) -> str:
    """A path or name as `ls` prints it: bytes the OS gave that are not UTF-8 (held in a str as
    lone surrogates, Python's surrogateescape) are shown as \\xNN, never as \\udcNN."""
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate no OS byte gives (from JSON's \\ud800, say)
        raw = text.encode("utf-8", "backslashreplace")
    return raw.decode("utf-8", "backslashreplace")


class VdmError(Exception):
    """Bad input or an unusable resource, explained in one sentence (no traceback is shown). The
    sentence is kept printable: a path with bytes that are not UTF-8 in it reads as `ls` shows it."""

    def __init__(self, message: object = "") -> None:
        super().__init__(printable(str(message)))


class Rejected(VdmError):
    """A selection or patch that a pipeline stage refuses; batch jobs record it and go on."""

    def __init__(self, stage: str, reason: str) -> None:
        super().__init__(reason)
        self.stage = stage
        self.reason = str(self)


def short_reason(exc: object, limit: int = 160) -> str:
    """First line of an exception's text, trimmed, for quoting inside a one-sentence message."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


_NUMBER = re.compile(r"(?<![\w.\-])[-+]?\d+(?:[.,]\d+)*(?:e[-+]?\d+)?(?![\w])")
_FILE = re.compile(r"(?:[\w.~+-]*/)+[\w.+-]+|[\w.+-]+\.(?:ply|json|obj|glb|gltf|stl|off|exr|png|jpg)\b")


def reason_cause(reason: str) -> str:
    """A rejection's reason with its files as FILE and its figures as N: the cause many rejections
    share ("a.ply ... 2 components" and "b.ply ... 3 components" are one), for counting them together."""
    return _NUMBER.sub("N", _FILE.sub("FILE", reason))
