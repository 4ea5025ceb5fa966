"""``--config FILE.toml`` and ``--save-config FILE.toml`` for every training command.

A file's keys are the command's own flags in snake_case, and each value goes through that flag's
own parser, so a file accepts and refuses exactly what the command line does. The file's values
stand in for the flags' defaults: a flag given beside ``--config`` wins. Output flags (``--out``,
``--save-model`` …) are not settings and are not read from a file.
"""

from __future__ import annotations

import argparse
import re
from typing import Any, Callable, Sequence

from ..engine.config import Config, ConfigError, parse_field
from ..engine.lessons.presets import Run
from ..engine.settings import FLAG_FIELDS, config_settings, read_settings, unused_settings
from .options import Parser, fail

NOT_SETTINGS = {"help", "version", "config", "save_config", "out", "save_model", "save_data", "quiet",
                "size", "tensorboard"}


def add_config_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("settings file")
    group.add_argument("--config", metavar="FILE.toml",
                       help="read the settings from a TOML file (keys: these flags in snake_case); "
                       "flags given beside it win")
    group.add_argument("--save-config", metavar="FILE.toml",
                       help="write the resolved settings (preset, seed, runs …) to a TOML file that "
                       "--config replays")


def key_of(action: argparse.Action) -> str:
    """A flag's key in a settings file: its long name in snake_case (``--lambda`` → ``lambda``)."""
    longs = [s for s in action.option_strings if s.startswith("--")]
    return longs[0][2:].replace("-", "_")


def setting_actions(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    """The flags a settings file may set, by key."""
    actions = {key_of(a): a for a in parser._actions if any(s.startswith("--") for s in a.option_strings)}
    return {key: action for key, action in actions.items() if key not in NOT_SETTINGS}


LIST_FIELDS = ("channels", "betas")  # one flag value, a tuple in the config: an array in the file


def _convert(action: argparse.Action, value: Any) -> Any:
    """``value`` (a TOML value) through the flag's own parser; ValueError says what is allowed."""
    if isinstance(action, argparse.BooleanOptionalAction):
        if not isinstance(value, bool):
            raise ValueError(f"must be true or false (got {value!r})")
        return value
    if isinstance(value, dict):
        raise ValueError("must be a value, not a table")
    if any(isinstance(v, bool) for v in (value if isinstance(value, list) else [value])):
        # TOML's true is Python's 1: lr = true had trained at lr 1
        raise ValueError(f"must be what --{action.dest.replace('_', '-')} takes, not true or false "
                         f"(got {str(value).lower()})")
    parse: Callable[[Any], Any] = action.type or str  # type: ignore[assignment]
    try:
        if action.nargs == "+":
            values = value if isinstance(value, list) else [value]
            if not values:
                raise ValueError("must not be empty")
            return [parse(v if action.type else str(v)) for v in values]
        if isinstance(value, list) and action.dest not in LIST_FIELDS:
            raise ValueError(f"must be one value, not a list (got {value!r})")
        return parse(value if action.type else str(value))
    except argparse.ArgumentTypeError as error:
        message = str(error)
        if action.dest in LIST_FIELDS:  # a file writes the flag's "0.9,0.98" as an array
            message = re.sub(r"e\.g\. (\d[\d.,]*\d)", lambda m: f"e.g. [{m.group(1).replace(',', ', ')}]",
                             message.replace("comma-separated ", ""))
        raise ValueError(message) from None


def parse_runs(value: Any) -> list[Run]:
    """``runs``: an array of tables ``{regularizer, lambda, dropout}`` (dropout optional)."""
    allowed = ("regularizer", "lambda", "dropout")
    if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
        raise ValueError("must be an array of tables {regularizer, lambda, dropout}, e.g. "
                         "runs = [{regularizer = \"l2\", lambda = 3.0}]")
    runs = []
    for i, table in enumerate(value):
        unknown = sorted(set(table) - set(allowed))
        if unknown or not {"regularizer", "lambda"} <= set(table):
            raise ValueError(f"run {i + 1} must have regularizer and lambda (and optionally dropout); "
                             f"got keys {', '.join(sorted(table))}")
        try:
            dropout = table.get("dropout")
            runs.append(Run(parse_field("regularizer", table["regularizer"]), parse_field("lam", table["lambda"]),
                            None if dropout is None else parse_field("dropout", dropout)))
        except ConfigError as error:
            raise ValueError(f"run {i + 1}: {error.field}: {error.message}") from None
    return runs


def parse_args(parser: Parser, argv: Sequence[str], extra: dict[str, Callable[[Any], Any]] | None = None
               ) -> argparse.Namespace:
    """``parser.parse_args(argv)``, with ``--config``'s values as the defaults. ``extra``: keys
    that are not flags (``runs``), each with its parser. A broken file, an unknown key (the known
    ones are named) or a refused value is one line on stderr naming the key, exit status 2."""
    args = parser.parse_args(argv)
    if args.config is None:
        return args
    where = f"{parser.prog}: error: argument --config"
    try:
        settings = read_settings(args.config)
    except ConfigError as error:
        fail(f"{where}: {error.message}")
    actions = setting_actions(parser)
    extra = extra or {}
    known = sorted(set(actions) | set(extra))
    namespace = argparse.Namespace()
    for key, value in settings.items():
        try:
            if key in extra:
                setattr(namespace, key, extra[key](value))
            elif key in actions:
                setattr(namespace, actions[key].dest, _convert(actions[key], value))
            else:
                fail(f"{where}: {args.config}: unknown key {key!r}{elsewhere(parser.prog, key, args.config)}; "
                     f"known keys: {', '.join(known)}")
        except ValueError as error:
            fail(f"{where}: {args.config}: key {key}: {error}")
    given = {dest for dest, value in vars(args).items() if value != parser.get_default(dest)}
    merged = parser.parse_args(argv, namespace=namespace)
    # which values the file set (and the command line did not): a refused one names its key
    merged.from_config = {actions[key].dest: key for key in settings
                          if key in actions and actions[key].dest not in given}
    return merged


def command_keys() -> dict[str, set[str]]:
    """Each training command's settings-file keys, by the command as typed (``wdtui run``)."""
    from . import app_command, run, sweep

    keys = {}
    for module, extra in ((app_command, ()), (run, ("runs",)), (sweep, ())):
        parser = module.build_parser()
        keys[parser.prog] = set(setting_actions(parser)) | set(extra)
    return keys


def elsewhere(prog: str, key: str, path: str) -> str:
    """For a key this command does not know: the other commands whose key it is, and how to
    replay the file where there is one (a file the app saved given to ``wdtui run``)."""
    others = [command for command, keys in command_keys().items() if command != prog and key in keys]
    if not others:
        return ""
    if len(others) == 1:
        return f" (a setting of {others[0]}: replay the file with {others[0]} --config {path})"
    return f" (a setting of {' and '.join(others)})"


def settings_of(parser: Parser, config: Config, **more: Any) -> dict[str, Any]:
    """The settings file of a command that trains ``config``: the preset, every config field the
    command has a flag for, and ``more`` (the command's own: runs, λ values, seeds …; None left
    out). ``command`` names the command for the file's header, ``unused`` the keys its runs leave
    unused (:func:`~wdtui.engine.settings.unused_settings`)."""
    fields = tuple(f for f in FLAG_FIELDS if f in setting_actions(parser))
    command = parser.prog.split()[1] if " " in parser.prog else ""
    settings = {"command": command, "preset": config.preset, **config_settings(config, fields),
                **{key: value for key, value in more.items() if value is not None}}
    return {**settings, "unused": unused_settings(config, settings)}


def run_settings(runs: Sequence[Run]) -> list[dict[str, Any]]:
    """``runs`` as the settings file writes them (a run's dropout only where it has its own)."""
    return [{"regularizer": r.regularizer, "lambda": r.lam, **({} if r.dropout is None else {"dropout": r.dropout})}
            for r in runs]
