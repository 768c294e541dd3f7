"""Settings declared once (vdm.settings, vdm.cli_options): the options of every command come from the
config fields, presets are the base that typed flags override, one flag name per idea, -v anywhere."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from vdm.app.cli import app
from vdm.bake.config import BakeConfig
from vdm.cli_options import vdm_command
from vdm.errors import VdmError
from vdm.settings import setting_of
from vdm.stitching.config import StitchConfig
from vdm.train.config import GENVDM_AUGMENT, TrainConfig


def _options(path: str) -> dict:
    """Every option of `vdm <path>` by each of its flags."""
    command = typer.main.get_command(app)
    for part in path.split():
        command = command.commands[part]
    return {name: p for p in command.params if p.param_type_name == "option" for name in p.opts}


def _built(command, *args: str):
    """The config a command function receives for these arguments (the command only hands it back)."""
    seen = []
    test_app = typer.Typer()
    test_app.command()(
        vdm_command(lambda **kw: seen.append(kw)) if command is None else vdm_command(command(seen))
    )
    result = CliRunner().invoke(test_app, list(args))
    assert result.exit_code == 0, result.output
    return seen[0]


def _train_receiver(seen):
    def receive(*, config: TrainConfig) -> None:
        seen.append(config)

    return receive


def test_a_recipe_is_the_base_that_typed_flags_override():
    config = _built(_train_receiver, "--data", "d", "--out", "o", "--recipe", "genvdm")
    assert (config.batch_size, config.mixed_precision, config.augment) == (6, "no", GENVDM_AUGMENT)
    typed = _built(_train_receiver, "--data", "d", "--out", "o", "--batch-size", "2", "--recipe", "genvdm")
    assert typed.batch_size == 2 and typed.mixed_precision == "no"  # the flag wins, the rest is the recipe's
    nested = _built(
        _train_receiver, "--data", "d", "--out", "o", "--recipe", "genvdm", "--nearby-views", "0.3"
    )
    assert nested.augment.nearby_views == 0.3 and nested.augment.condition_views == (0, 1, 2)
    plain = _built(_train_receiver, "--data", "d", "--out", "o", "--batch-size", "4")
    assert plain == TrainConfig(data=Path("d"), out=Path("o"))  # a typed default is still the default


def test_every_option_default_and_range_is_the_config_fields():
    depth = _options("stitch")["--poisson-depth"]
    declared = setting_of(StitchConfig, "depth")
    assert (depth.min, depth.max, depth.default) == (declared.min, declared.max, StitchConfig.depth)
    for command in ("bake", "reconstruct", "mine", "synth"):
        resolution = _options(command)["--resolution"]
        assert (resolution.min, resolution.max) == (256, 2048), command
        assert resolution.default == BakeConfig.resolution
    assert (
        _options("stitch")["--augmentations"].default == 1
        and _options("mine")["--augmentations"].default == 5
    )
    with pytest.raises(VdmError, match=r"--edge-length"):
        StitchConfig(target_edge_length=0.001)  # the library refuses what the CLI refuses, in its words


def test_one_flag_name_per_idea_across_commands():
    old_names = {"--augment", "--vdm-resolution", "--depth", "--backend", "--edge"}
    commands = typer.main.get_command(app).commands
    for name in [*commands, "dataset stats"]:
        if name == "dataset":
            continue
        flags = set(_options(name))
        assert not flags & old_names, (name, flags & old_names)
        assert {"-v", "--verbose"} <= flags, name  # -v after the subcommand too
    for command in ("stitch", "mine"):
        assert "--poisson-depth" in _options(command)


def test_verbose_after_the_subcommand_logs_debug(run_cli):
    result = run_cli("info", "builtin:cow", "-v")
    assert result.code == 0, result.err
    assert "sha256" in result.out
