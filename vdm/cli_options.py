"""`vdm` commands whose options are generated from config dataclasses (vdm.settings): a command
parameter annotated with a config class becomes one option per flagged field of that config (and of
the configs nested in it), and the command receives the config built from them.

Options the user does not give stay None here, so the config's own defaults apply; a config with a
preset field (`PRESET`, e.g. TrainConfig's `--recipe`) is built from its preset first and the flags the
user typed override it. Every command also takes -v/--verbose after its name.
"""

from __future__ import annotations

import functools
import inspect
import logging
import typing
from collections.abc import Callable
from dataclasses import MISSING, dataclass, fields, is_dataclass, replace
from typing import Annotated, Any

import typer

from vdm.errors import printable
from vdm.settings import SETTING, Setting

KEYWORD = inspect.Parameter.KEYWORD_ONLY
CONTEXT = "vdm_context"  # the parameter through which typer hands the command its context
NOISY_LOGGERS = ("trimesh", "PIL", "matplotlib", "urllib3", "filelock")


class PrintablePaths(logging.Filter):
    """Log lines show a path as `ls` does: bytes that are not UTF-8 as \\xNN (vdm.errors.printable)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = printable(record.getMessage()), ()
        return True


def configure_logging(verbose: bool) -> None:
    """INFO (or DEBUG with -v) on stderr through rich; third-party chatter kept at WARNING."""
    from rich.console import Console
    from rich.logging import RichHandler

    handler = RichHandler(console=Console(stderr=True), show_time=False, show_path=verbose)
    handler.addFilter(PrintablePaths())
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO, format="%(message)s", handlers=[handler], force=True
    )
    for noisy in NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(logging.WARNING)


@dataclass(frozen=True)
class Exclude:
    """`Annotated[Config, Exclude("stitch", "bake.frame")]`: a command that takes Config without the
    options of the named nested configs or fields, dotted for a nested config's field (they keep
    their defaults)."""

    names: tuple[str, ...]

    def __init__(self, *names: str) -> None:
        object.__setattr__(self, "names", names)


@dataclass(frozen=True)
class _Option:
    """One generated option: where its value goes in the config, and how typer shows it."""

    path: tuple[str, ...]  # field names from the config down, e.g. ("validation", "every")
    param: str  # the python parameter name typer sees
    setting: Setting
    kind: Any  # the field's type without None
    default: Any  # MISSING: a required option
    from_factory: bool  # the default is made at run time (shown in the help, not as a value)


def _without_none(kind: Any) -> Any:
    args = [a for a in typing.get_args(kind) if a is not type(None)]
    return args[0] if type(None) in typing.get_args(kind) and len(args) == 1 else kind


def _default(item: Any) -> Any:
    if item.default is not MISSING:
        return item.default
    return item.default_factory() if item.default_factory is not MISSING else MISSING


def config_options(config_type: type, base: Any = None) -> list[_Option]:
    """The options of a config class: its flagged fields and those of the configs nested in it, with
    their defaults read from `base` (an instance: a command's own defaults) or the class."""
    hints = typing.get_type_hints(config_type)
    found = []
    for item in fields(config_type):
        declared = item.metadata.get(SETTING)
        kind = _without_none(hints[item.name])
        default = getattr(base, item.name) if base is not None else _default(item)
        from_factory = base is None and item.default is MISSING and item.default_factory is not MISSING
        if declared is None and is_dataclass(kind):
            nested = config_options(kind, default if isinstance(default, kind) else None)
            found += [replace(o, path=(item.name, *o.path)) for o in nested]
        elif declared is not None and declared.flag:
            param = declared.flag.removeprefix("--").replace("-", "_")
            found.append(_Option((item.name,), param, declared, kind, default, from_factory))
    return found


def _parameter(option: _Option) -> inspect.Parameter:
    """The typer option of a field: its default shown as the config has it (a default made by a
    factory, such as a path from the environment, is said in the help instead)."""
    declared, kind = option.setting, option.kind
    names = [f"{declared.flag}/--no-{declared.flag[2:]}"] if kind is bool else [declared.flag]
    extra: dict[str, Any] = {"min": declared.min, "max": declared.max} if kind in (int, float) else {}
    shown = option.default is not None and not option.from_factory
    info = typer.Option(*names, help=declared.describe(), show_default=shown, **extra)
    if option.default is MISSING:
        return inspect.Parameter(option.param, KEYWORD, annotation=Annotated[kind, info])
    default = None if option.from_factory else option.default
    return inspect.Parameter(option.param, KEYWORD, default=default, annotation=Annotated[kind | None, info])


def _override(config: Any, given: dict[tuple[str, ...], Any]) -> Any:
    """`config` with the given values put at their paths (nested configs replaced, not mutated)."""
    top: dict[str, Any] = {}
    nested: dict[str, dict[tuple[str, ...], Any]] = {}
    for path, value in given.items():
        if len(path) == 1:
            top[path[0]] = value
        else:
            nested.setdefault(path[0], {})[path[1:]] = value
    hints = typing.get_type_hints(type(config))
    for name, values in nested.items():
        current = getattr(config, name)
        if current is None:
            current = _without_none(hints[name])()
        top[name] = _override(current, values)
    return replace(config, **top) if top else config


def build_config(config_type: type, given: dict[tuple[str, ...], Any], base: Any = None) -> Any:
    """The config from the options the user gave: `base` (or the required fields), then the preset
    the user chose, then every other option given."""
    top = {path[0]: v for path, v in given.items() if len(path) == 1}
    preset_field = getattr(config_type, "PRESET", None)
    if base is None:
        config = config_type(**{name: v for name, v in top.items() if _is_required(config_type, name)})
    else:
        config = base
    if preset_field is not None:
        if preset_field in top:
            config = replace(config, **{preset_field: top[preset_field]})
        config = config.with_preset()
    return _override(config, given)


def _is_required(config_type: type, name: str) -> bool:
    item = next(f for f in fields(config_type) if f.name == name)
    return item.default is MISSING and item.default_factory is MISSING


def _typed_by_user(context: typer.Context, options: list[_Option]) -> set[tuple[str, ...]]:
    """Which options the user gave (on the command line or from the environment): only those
    override a config's defaults and its preset."""
    sources = {o.path: context.get_parameter_source(o.param) for o in options}
    return {path for path, s in sources.items() if s is not None and s.name in ("COMMANDLINE", "ENVIRONMENT")}


Verbose = Annotated[bool, typer.Option("-v", "--verbose", help="Log debug detail.")]


def vdm_command(func: Callable[..., Any]) -> Callable[..., Any]:
    """The command typer registers: config parameters expanded into their options, and -v."""
    signature = inspect.signature(func, eval_str=True)
    kept: list[inspect.Parameter] = []
    expanded: dict[str, tuple[type, Any, list[_Option]]] = {}
    for parameter in signature.parameters.values():
        config_type, excluded = parameter.annotation, ()
        if typing.get_origin(config_type) is Annotated:
            config_type, *marks = typing.get_args(config_type)
            excluded = tuple(n for mark in marks if isinstance(mark, Exclude) for n in mark.names)
        if is_dataclass(config_type):
            base = None if parameter.default is inspect.Parameter.empty else parameter.default
            options = [
                o
                for o in config_options(config_type, base)
                if not {o.path[0], ".".join(o.path)} & set(excluded)
            ]
            expanded[parameter.name] = (config_type, base, options)
            kept += [_parameter(o) for o in options]
        else:
            kept.append(parameter)
    kept.append(inspect.Parameter("verbose", KEYWORD, default=False, annotation=Verbose))
    kept.append(inspect.Parameter(CONTEXT, KEYWORD, annotation=typer.Context))
    names = [p.name for p in kept]
    if len(names) != len(set(names)):
        raise TypeError(f"{func.__name__}: two options share a name in {names}")

    @functools.wraps(func)
    def command(**values: Any) -> Any:
        if values.pop("verbose"):
            configure_logging(True)
        context = values.pop(CONTEXT)
        for name, (config_type, base, options) in expanded.items():
            given = {o.path: values.pop(o.param) for o in options}
            typed = _typed_by_user(context, options)
            values[name] = build_config(config_type, {p: v for p, v in given.items() if p in typed}, base)
        return func(**values)

    del command.__wrapped__  # typer reads the signature below, not the function's own
    command.__signature__ = signature.replace(parameters=sorted(kept, key=lambda p: p.kind == KEYWORD))
    command.__annotations__ = {p.name: p.annotation for p in kept}
    return command
