"""``wdtui snapshot``: run the real app headless to the end of training, save the screen as SVG.

The same worker, messages and redraw path as the interactive app; only the screen is virtual.
"""

from __future__ import annotations

import re
import sys
from typing import Sequence

from ..engine.config import ConfigError
from ..engine.export import check_output_path
from .app_command import app_config
from .options import Parser, add_engine_options, fail, flag

SIZE = re.compile(r"^(\d+)x(\d+)$")


def parse_size(text: str) -> tuple[int, int]:
    match = SIZE.match(text.strip().lower())
    from ..app.app import MIN_SIZE  # a smaller screen shows "terminal too small", not the app

    width, height = MIN_SIZE
    if not match or not (width <= int(match[1]) <= 400 and height <= int(match[2]) <= 200):
        import argparse

        raise argparse.ArgumentTypeError(f"must be WIDTHxHEIGHT, {width}…400 by {height}…200 (got {text!r})")
    return int(match[1]), int(match[2])


def build_parser() -> Parser:
    parser = Parser(
        prog="wdtui snapshot",
        description="Train in the real app without a screen and save the final screen as SVG. "
        "With two λ values the second is the comparison run.",
        epilog="example: wdtui snapshot --preset sine --epochs 300 --lambdas 0.01 0 --out sine.svg",
    )
    add_engine_options(parser)
    parser.add_argument("--out", required=True, metavar="FILE.svg", help="where to save the screen")
    parser.add_argument("--size", type=parse_size, default=(120, 40), metavar="WxH",
                        help="screen size in cells (default 120x40)")
    return parser


def main(argv: Sequence[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.lambdas and len(args.lambdas) > 2:
        fail(f"{parser.prog}: error: argument --lambdas: give one λ, or two (the run and the comparison)")
    if args.regularizer and len(args.regularizer) > 1:
        fail(f"{parser.prog}: error: argument --regularizer: give one regularizer")
    try:
        check_output_path("snapshot", args.out)
    except ConfigError as error:
        fail(f"{parser.prog}: error: argument --out: {error.message}")
    lam = args.lambdas[0] if args.lambdas else None
    config = app_config(parser, args, lam, args.regularizer[0] if args.regularizer else None, "--lambdas")
    from ..app.app import WdtuiApp

    # no λ: the preset's own comparison; one λ: that run alone; two: the second is the comparison
    compare = None if not args.lambdas else len(args.lambdas) == 2
    comparison = None
    if not args.lambdas and getattr(args, "dropout", None) is not None:  # --dropout: the run's p, as in the app
        from ..app.session import preset_comparison

        config, comparison = preset_comparison(config, config.dropout)
    app = WdtuiApp(config, compare=compare, compare_lam=args.lambdas[1] if compare else None,
                   comparison=comparison, snapshot_path=args.out)
    app.run(headless=True, size=args.size)
    if app.failure is not None:
        field, reason = app.failure
        fail(f"{parser.prog}: error: " + (f"argument {flag(field)}: " if field else "") + str(reason))
    if app.return_code == 0:
        print(args.out, file=sys.stderr)
    return app.return_code or 0
