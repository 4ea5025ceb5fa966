"""Settings as a TOML file: what ``--save-config`` writes and ``--config`` reads.

A settings file is one flat table whose keys are the command's flags in snake_case
(``--batch-size`` → ``batch_size``, ``--lambda`` → ``lambda``), plus ``runs`` for ``wdtui run``:
an array of tables ``{regularizer, lambda, dropout}``, one per run. Values are TOML's own types;
the settings that mean "decided later" are written as the words the flags take (``batch_size =
"full"``, ``n_train = "all"``, ``threads = "auto"``), and a path that is not set is left out.
Read with :mod:`tomllib`, written with ``tomli_w`` (floats as Python's ``repr``: a value read back
is the same double, so a replay trains the same numbers). The settings that the file's runs leave
unused (:func:`~.config.unused_fields`: a CNN's depth, SGD's betas …) are written at its end as
comments, each under the reason: kept for editing, and read back as the preset's, which changes
no number.

No torch here: ``--config`` is read before anything is trained.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import tomli_w

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser as the package tomli
    import tomli as tomllib

from .config import CONFIG_FIELDS, Config, ConfigError, unused_fields

# The config fields that are flags of every training command (preset, regularizer and λ are
# each command's own; n_inputs comes with the preset).
FLAG_FIELDS = tuple(f for f in CONFIG_FIELDS if f not in ("preset", "regularizer", "lam"))
# Config fields whose None is a word on the command line (and so in a file).
NONE_WORDS = {"batch_size": "full", "n_train": "all", "n_test": "all", "threads": "auto"}


def config_settings(config: Config, keys: tuple[str, ...]) -> dict[str, Any]:
    """``config``'s values for ``keys`` (config field names) as TOML values: tuples as arrays,
    None as its flag's word, and an unset path (``data``, ``data_dir``) left out."""
    out: dict[str, Any] = {}
    for key in keys:
        value = getattr(config, key)
        if value is None:
            if key in NONE_WORDS:
                out[key] = NONE_WORDS[key]
            continue
        out[key] = list(value) if isinstance(value, tuple) else value
    return out


def unused_settings(config: Config, settings: dict[str, Any]) -> dict[str, str]:
    """The keys of ``settings`` (a command's, for ``config``) that its runs leave unused, each
    with why: the config's unused fields given every regularizer and optimizer the settings
    train (the runs', the comparison's), and ``lr`` where a grid trains its ``lrs``."""
    regularizers = {settings.get("regularizer"), settings.get("compare_regularizer"),
                    *(run["regularizer"] for run in settings.get("runs") or [])} - {None}
    optimizers = {settings.get("compare_optimizer")} - {None}
    why = unused_fields(config, optimizers, regularizers)
    if settings.get("lrs") is not None:
        why["lr"] = "the grid trains each of its lrs"
    runs = settings.get("runs") or []
    if runs and all("dropout" in run for run in runs):
        why["dropout"] = "every run gives its own dropout p"
    return {key: reason for key, reason in why.items() if key in settings}


def app_settings(config: Config, compare: bool, comparison=None) -> dict[str, Any]:
    """The app's settings (what ``wdtui --config FILE`` opens with): its flags ``--lambda``,
    ``--regularizer``, ``--compare`` beside the config's, and the comparison's setting
    (``comparison``, a ``presets.Run``) as ``--compare-regularizer``, ``--compare-lambda``,
    ``--compare-dropout`` and ``--compare-optimizer`` (the last two where it has its own)."""
    settings = {"command": "", "preset": config.preset, **config_settings(config, FLAG_FIELDS),
                "regularizer": config.regularizer, "lambda": config.lam, "compare": compare}
    if comparison is not None:
        settings.update({"compare_regularizer": comparison.regularizer, "compare_lambda": comparison.lam})
        if comparison.dropout is not None:
            settings["compare_dropout"] = comparison.dropout
        if comparison.optimizer is not None:
            settings["compare_optimizer"] = comparison.optimizer
    return {**settings, "unused": unused_settings(config, settings)}


META = ("command", "unused", "notes")  # what a settings dict carries for its text, not as settings


def settings_text(settings: dict[str, Any]) -> str:
    """The TOML text of ``settings`` (a header comment says what wrote it and how to replay it,
    then its ``notes``); the keys its ``unused`` names follow as comments, under their reasons."""
    command = settings.get("command", "")
    replay = f"wdtui {command} --config FILE.toml".replace("  ", " ")
    unused = settings.get("unused") or {}
    notes = "".join(f"# {note}\n" for note in settings.get("notes") or ())
    text = f"# wdtui settings; replay with: {replay}\n" + notes + tomli_w.dumps(
        {k: v for k, v in settings.items() if k not in META and k not in unused})
    if unused:
        text += ("\n# Not used by these runs, each under its reason (kept for editing: a key takes effect "
                 "only where its reason no longer holds, e.g. depth with model = \"mlp\"):\n")
        for reason in dict.fromkeys(unused.values()):
            text += f"# because {reason}:\n"
            dumped = tomli_w.dumps({k: settings[k] for k, why in unused.items() if why == reason})
            text += "".join(f"# {line}\n" for line in dumped.splitlines())
    return text


def read_settings(path: str | Path) -> dict[str, Any]:
    """The table in the TOML file at ``path``; ConfigError (field ``config``) says why it cannot
    be read: missing, unreadable, not UTF-8, or not TOML (with tomllib's line and column)."""
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except OSError as error:
        raise ConfigError("config", f"cannot read {str(path)!r}: {error.strerror or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError("config", f"{str(path)!r} is not valid TOML: {error}") from None
    except UnicodeDecodeError:
        raise ConfigError("config", f"{str(path)!r} is not valid TOML: not UTF-8 text") from None
