"""``wdtui [options]``: open the app with these settings."""

from __future__ import annotations

import argparse
from typing import Sequence

from .. import __version__
from ..engine.config import Config, ConfigError, make_config
from ..engine.export import check_output_path
from ..engine.tensorboard import check_board_folder
from .config_file import add_config_options, parse_args
from .main import COMMANDS
from .options import Parser, add_engine_options, config_error, overrides, preset_name


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
        config_error(parser.prog, error, lam_flag)
    return config


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
        config_error(parser.prog, error)
    return args, config


def main(argv: Sequence[str]) -> int:
    parser = build_parser()
    args, config = checked_config(parser, argv)
    if args.save_config is not None:
        from ..engine.export import write_text
        from ..engine.settings import app_settings, settings_text
        from .options import output_error

        try:
            write_text(args.save_config, settings_text(app_settings(config, args.compare is not False)),
                       "save_config")
        except OSError as error:
            output_error(parser.prog, error)
    from ..app.app import WdtuiApp

    app = WdtuiApp(config, compare=args.compare)
    if args.tensorboard is not None:
        app.board_root = args.tensorboard
    app.run()
    return app.return_code or 0
