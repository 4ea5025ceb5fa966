"""``wdtui [options]``: open the app with these settings."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Sequence

from .. import __version__
from ..engine.config import Config, ConfigError, make_config
from ..engine.export import check_output_path
from ..engine.tensorboard import check_board_folder
from .config_file import add_config_options, parse_args
from .main import COMMANDS
from ..engine.config import OPTIMIZERS, REGULARIZERS
from .options import Parser, _choices, add_engine_options, config_error, fail, field_type, overrides, preset_name


def build_parser() -> Parser:
    commands = "\n".join(f"  wdtui {name:<9} {help}" for name, (_, help) in COMMANDS.items())
    parser = Parser(
        prog="wdtui", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Explore weight decay by training small networks live: `wdtui` opens the app "
        "(space starts training, ] and [ move λ while it trains, ctrl+p lists every command).\n\n"
        "commands:\n" + commands + "\n\n`wdtui COMMAND --help` for each command's options.",
        epilog="example: wdtui --preset d2l --lambda 3 --compare",
    )
    parser.add_argument("--version", action="version", version=f"wdtui {__version__}")
    add_engine_options(parser, lam_option="lambda")
    parser.add_argument("--compare", action=argparse.BooleanOptionalAction, default=None,
                        help="train the preset's other run beside it (default: on; e.g. sparse: l2 beside l1)")
    other = parser.add_argument_group("the comparison (default: the preset's other run)")
    same = "; same data, initialization and lr as the run"
    other.add_argument("--compare-regularizer", type=field_type("regularizer"), metavar=_choices(REGULARIZERS),
                       help="the comparison's regularizer" + same)
    other.add_argument("--compare-lambda", type=field_type("lam"), metavar="λ",
                       help="the comparison's λ, a finite number ≥ 0" + same)
    other.add_argument("--compare-dropout", type=field_type("dropout"), metavar="P",
                       help="the comparison's dropout p in [0, 1)" + same)
    other.add_argument("--compare-optimizer", type=field_type("optimizer"), metavar=_choices(OPTIMIZERS),
                       help="the comparison's optimizer (its hyperparameters: the run's)" + same)
    parser.add_argument("--tensorboard", metavar="DIR",
                        help="write TensorBoard event files of the runs under DIR from the start "
                        "(t toggles it; default folder: runs)")
    add_config_options(parser)
    return parser


def app_config(parser: Parser, args: argparse.Namespace, lam: float | None,
               regularizer: str | None, lam_flag: str = "--lambda") -> Config:
    """The validated config; an explicit non-CPU device is checked here (this loads torch), so
    that an unavailable device is refused before the screen opens. Regularizer ``none`` without
    a λ means λ = 0 (the preset's λ would have no effect)."""
    if regularizer == "none" and lam is None:
        lam = 0.0
    try:
        extra = {} if lam is None else {"lam": lam}
        if regularizer is not None:
            extra["regularizer"] = regularizer
        config = make_config(preset_name(args), **overrides(args), **extra)
        if config.device not in ("auto", "cpu"):
            from ..engine.devices import resolve_device

            resolve_device(config.device)
    except ConfigError as error:
        config_error(parser.prog, error, lam_flag, args)
    return config


COMPARISON_FLAGS = {"regularizer": "compare_regularizer", "lam": "compare_lambda", "dropout": "compare_dropout",
                    "optimizer": "compare_optimizer"}  # Run field → option (and settings key)


def comparison_of(parser: Parser, args: argparse.Namespace, config: Config):
    """The run's config and the comparison the ``--compare-…`` flags set (on the preset's other
    run), checked against the run's model; (config, None) where no such flag is given (the app
    takes the preset's)."""
    given = {field: getattr(args, dest, None) for field, dest in COMPARISON_FLAGS.items()}
    given = {field: value for field, value in given.items() if value is not None}
    # --dropout is the run's p (the sidebar's "dropout p"), also where the preset's comparison
    # has a p of its own (dropout's none p=0.5), which --compare-dropout sets
    run_dropout = config.dropout if getattr(args, "dropout", None) is not None else None
    if not given and run_dropout is None:
        return config, None
    from ..app.session import preset_comparison
    from ..engine.lessons.presets import comparison_config

    config, run = preset_comparison(config, run_dropout)
    run = run._replace(**given)
    if run.regularizer == "none" and "lam" not in given:
        run = run._replace(lam=0.0)
    try:
        comparison_config(config, run)
    except ConfigError as error:
        dest = COMPARISON_FLAGS.get(error.config_field, error.field)
        config_error(parser.prog, ConfigError(dest, f"the comparison cannot train: {error.message}"), args=args)
    return config, run


def checked_config(parser: Parser, argv: Sequence[str], prog: str | None = None) -> tuple[argparse.Namespace, Config]:
    """The app's options (with ``--config``'s settings) and their validated config; a refused
    option is one line on stderr, exit 2, before any screen opens."""
    if prog is not None:
        parser.prog = prog
    args = parse_args(parser, argv)
    config = app_config(parser, args, args.lam, args.regularizer)
    try:
        if args.save_config is not None:
            check_output_path("save_config", args.save_config)
        if args.tensorboard is not None:
            check_board_folder(args.tensorboard)
    except ConfigError as error:
        config_error(parser.prog, error, args=args)
    return args, config


def main(argv: Sequence[str]) -> int:
    parser = build_parser()
    args, config = checked_config(parser, argv)
    config, comparison = comparison_of(parser, args, config)
    if comparison is None:  # the preset's: resolved here, so that --save-config writes what the app shows
        from ..app.session import preset_comparison

        config, comparison = preset_comparison(config)
    if args.save_config is not None:
        from ..engine.export import write_text
        from ..engine.settings import app_settings, settings_text
        from .options import output_error

        try:
            write_text(args.save_config, settings_text(app_settings(config, args.compare is not False, comparison)),
                       "save_config")
        except OSError as error:
            output_error(parser.prog, error)
    if not os.environ.get("TEXTUAL_DRIVER") and not (sys.stdin.isatty() and sys.stdout.isatty()):
        # without a terminal the app would draw into a pipe and wait for keys for ever (at 100 % of
        # a core); wdtui serve runs it with a driver of its own, over pipes
        if args.save_config is not None:  # a script saving the settings: done
            print(f"saved {args.save_config} (no terminal: the app is not opened)")
            return 0
        fail(f"{parser.prog}: error: the app needs a terminal (stdin and stdout are not one); "
             "in scripts use wdtui run, wdtui sweep or wdtui snapshot")
    from ..app.app import WdtuiApp

    app = WdtuiApp(config, compare=args.compare, comparison=comparison)
    if args.tensorboard is not None:
        app.board_root = args.tensorboard
    app.run()
    return app.return_code or 0
