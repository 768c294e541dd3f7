"""Settings declared once: a config dataclass field carries its help, its range or choices and, when
users set it, its command-line flag; `vdm` commands generate their options from those fields
(vdm.app.options) and the config checks its own values against the same declaration.

Light on purpose (dataclasses only): every config module and the CLI import it.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields
from typing import Any

from vdm.errors import VdmError
from vdm.wording import either

SETTING = "vdm.setting"  # the key of a field's metadata that holds its Setting


@dataclass(frozen=True)
class Setting:
    """What a config field means to a user: words, limits, and the flag that sets it (if any)."""

    help: str
    label: str  # a few words for messages ("Poisson depth")
    flag: str | None = None  # "--poisson-depth"; None: not a command-line option
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] = ()

    def describe(self) -> str:
        """The help with its limits, as --help shows it."""
        if self.choices:
            return f"{self.help.rstrip('.')}: {either(self.choices)}."
        return self.help


def setting(
    default: Any = MISSING,
    *,
    help: str,
    label: str,
    flag: str | None = None,
    min: float | None = None,
    max: float | None = None,
    choices: tuple[str, ...] = (),
    factory: Any = MISSING,
) -> Any:
    """A dataclass field declared with its Setting (default, or `factory` for a mutable default)."""
    metadata = {SETTING: Setting(help, label, flag, min, max, tuple(choices))}
    if factory is not MISSING:
        return field(default_factory=factory, metadata=metadata)
    return field(default=default, metadata=metadata)


def setting_of(config_type: type, name: str) -> Setting:
    """The Setting of one field of a config class."""
    return next(f.metadata[SETTING] for f in fields(config_type) if f.name == name)


def check_settings(config: Any) -> None:
    """Refuse a value outside its declared range or choices, in one sentence naming its flag."""
    for item in fields(config):
        declared = item.metadata.get(SETTING)
        value = getattr(config, item.name)
        if declared is None or value is None:
            continue
        flag = f" ({declared.flag})" if declared.flag else ""
        if declared.choices and value not in declared.choices:
            raise VdmError(f"Unknown {declared.label} '{value}'{flag}: use {either(declared.choices)}.")
        low, high = declared.min, declared.max
        if (low is not None and value < low) or (high is not None and value > high):
            raise VdmError(f"{declared.label.capitalize()} {value}{flag} is outside {_range(low, high)}.")


def _range(low: float | None, high: float | None) -> str:
    if high is None:
        return f"{low:g} and more"
    if low is None:
        return f"{high:g} and less"
    return f"{low:g}..{high:g}"
