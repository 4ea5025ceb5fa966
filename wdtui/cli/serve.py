"""``wdtui serve``: the app in a web browser, through textual-serve.

Every browser tab that opens the page starts its own ``wdtui`` process (with the options given
here) and draws it over a websocket; a screenshot or an export made in the browser is downloaded
by the browser (Textual's ``deliver_text``), not written on the server. The server listens on
localhost unless ``--host`` says otherwise: anyone who can reach the port can start training on
this machine.
"""

from __future__ import annotations

import argparse
import errno
import shlex
import socket
import sys
from typing import Sequence

from .options import Parser, fail

LOOPBACK = ("localhost", "127.0.0.1", "::1")


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer in 1…65535 (got {text!r})") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be an integer in 1…65535 (got {text!r})")
    return value


def build_parser() -> Parser:
    parser = Parser(
        prog="wdtui serve",
        description="Serve the app in a web browser: each tab runs its own wdtui with the app options "
        "given here (any option of `wdtui`, e.g. --preset d2l --config run.toml). Listens on localhost "
        "unless --host says otherwise: anyone who can reach the port can run training on this machine.",
        epilog="example: wdtui serve --port 8000 --preset d2l   (then open http://localhost:8000)",
    )
    parser.add_argument("--host", default="localhost", metavar="HOST",
                        help="address to listen on (default localhost: this machine only; 0.0.0.0: every network)")
    parser.add_argument("--port", type=_port, default=8000, metavar="PORT", help="port (default 8000)")
    parser.add_argument("--public-url", metavar="URL",
                        help="the address browsers use to reach the server, when it is not http://HOST:PORT "
                        "(e.g. behind a proxy, or with --host 0.0.0.0)")
    return parser


def app_command(app_argv: list[str]) -> str:
    """The command each browser tab runs: this Python's ``wdtui`` with the app options."""
    return shlex.join([sys.executable, "-m", "wdtui", *app_argv])


def main(argv: Sequence[str]) -> int:
    parser = build_parser()
    args, app_argv = parser.parse_known_args(list(argv))
    if app_argv and app_argv[0] in ("run", "sweep", "snapshot", "presets", "serve"):
        fail(f"{parser.prog}: error: serves the app; give app options (e.g. --preset d2l), not a command")
    # the app's options are checked here, once, with the app's own parser and messages
    from .app_command import build_parser as app_parser
    from .app_command import checked_config

    checked_config(app_parser(), app_argv, prog=parser.prog)
    try:  # the port taken, or an address not this machine's: said before the server starts
        socket.create_server((args.host, args.port)).close()
    except OSError as error:
        cannot_listen(parser.prog, args, error)
    from textual_serve.server import Server

    public = args.public_url or (f"http://[{args.host}]:{args.port}" if ":" in args.host
                                 else f"http://{args.host}:{args.port}")
    if args.host not in LOOPBACK:
        hint = "" if args.public_url else "; browsers elsewhere need --public-url (the address they reach)"
        print(f"wdtui serve: listening on {args.host}: anyone who can reach port {args.port} can run "
              f"training on this machine{hint}", file=sys.stderr)
    server = Server(app_command(app_argv), host=args.host, port=args.port, title="wdtui", public_url=public)
    try:
        server.serve()
    except OSError as error:  # the port is taken, or the address is not this machine's
        cannot_listen(parser.prog, args, error)
    return 0


def cannot_listen(prog: str, args, error: OSError) -> None:
    """One line naming the option at fault: --host for an address that is not this machine's
    or no address at all, else --port (taken, or below 1024 without the right)."""
    # getaddrinfo's errors (a name that resolves to nothing) have negative numbers
    host = isinstance(error, socket.gaierror) or error.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT) or (
        error.errno is not None and error.errno < 0)
    fail(f"{prog}: error: argument {'--host' if host else '--port'}: cannot listen on {args.host}:{args.port}: "
         f"{error.strerror or error}")
