"""The argument parser shared by every command: one-line errors, and the engine override flags.

A flag is the config field with dashes (``--batch-size`` sets ``batch_size``); values are parsed
by the engine's own field parsers, so the CLI and the app accept and refuse the same things.
No torch here: ``--help`` must stay fast.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, NoReturn

from ..engine.config import (
    ACTIVATIONS,
    DECAY_CONVENTIONS,
    DEVICES_ALLOWED,
    DTYPES,
    INITS,
    LOSSES,
    MODELS,
    NORMS,
    OPTIMIZERS,
    REGULARIZERS,
    SOLVERS,
    TASKS,
    ConfigError,
    parse_field,
)
from ..engine.lessons.presets import PRESETS


class Parser(argparse.ArgumentParser):
    """argparse, but a bad value is one line on stderr and exit status 2 (no usage dump)."""

    def error(self, message: str) -> NoReturn:
        fail(f"{self.prog}: error: {message}")


def fail(line: str) -> NoReturn:
    sys.stderr.write(line.replace("\n", " ") + "\n")
    raise SystemExit(2)


def output_error(prog: str, error: OSError) -> NoReturn:
    """A file that could not be written: one line naming the output, exit 2 (every temporary
    file is already gone, and no output was written: see ``export.write_all``)."""
    field = getattr(error, "field", "out")
    reason = getattr(error, "reason", None) or error.strerror or str(error)
    fail(f"{prog}: error: argument {flag(field)}: cannot write {str(error.filename or '')!r}: {reason}; "
         "no output was written")


def flag(field: str, lam_flag: str = "--lambdas") -> str:
    """The CLI spelling of a config field: ``batch_size`` → ``--batch-size``, ``lam`` → ``--lambdas``
    (the app's ``--lambda``: ``lam_flag``)."""
    if field == "memory":  # the memory limit is set in the environment, not by a flag
        return "WDTUI_MEMORY_LIMIT"
    return lam_flag if field in ("lam", "lambda") else "--" + field.replace("_", "-")


def config_error(prog: str, error: ConfigError, lam_flag: str = "--lambdas", args: Any = None) -> NoReturn:
    """One line naming what set the refused value: its flag, or, where the value came from the
    ``--config`` file (``args.from_config``: dest → key), that file's key."""
    from_config = getattr(args, "from_config", {}) or {}
    dests = (error.field, "lam", "lambdas") if error.field in ("lam", "lambda") else (error.field,)
    key = next((from_config[d] for d in dests if d in from_config), None)
    if key is not None:
        fail(f"{prog}: error: argument --config: {args.config}: key {key}: {error.message}")
    fail(f"{prog}: error: argument {flag(error.field, lam_flag)}: {error.message}")


def field_type(field: str):
    """An argparse ``type=`` that uses the engine's parser for ``field``."""

    def parse(text: str) -> Any:
        try:
            value = parse_field(field, text)
        except ConfigError as error:
            raise argparse.ArgumentTypeError(error.message) from None
        return text if value is None else value  # "full"/"auto": None would read as "not given"

    parse.__name__ = field  # argparse names the type in some messages
    return parse


def _choices(values: tuple[str, ...]) -> str:
    return "|".join(values)


def add_engine_options(parser: argparse.ArgumentParser, lam_option: str | None = "lambdas") -> None:
    """The overrides every training command accepts. Unset flags keep the preset's values.

    ``lam_option``: ``"lambdas"`` (several λ and regularizers, one run each), ``"lambda"`` (one of
    each, the app), or None (one regularizer; the command defines its own λ values)."""
    lambdas = lam_option == "lambdas"
    data = parser.add_argument_group("data")
    data.add_argument("--preset", type=field_type("preset"),
                      help=f"experiment to run: {_choices(tuple(PRESETS))} (default: sine, or custom "
                      "with --data; see `wdtui presets`)")
    data.add_argument("--data", type=field_type("data"), metavar="FILE.npz|FILE.csv",
                      help="your own data: an .npz with x_train, y_train, x_test, y_test, or a CSV whose "
                      "last column is the target (default preset then: custom)")
    data.add_argument("--data-dir", type=field_type("data_dir"), metavar="DIR",
                      help="the CIFAR-10 python version folder (data_batch_1…5, test_batch, batches.meta)")
    data.add_argument("--task", type=field_type("task"), metavar=_choices(TASKS),
                      help="with --data: auto (integer targets are classes) or force one")
    data.add_argument("--test-fraction", type=field_type("test_fraction"), metavar="F",
                      help="with --data FILE.csv: share of rows held out for testing (default 0.2)")
    data.add_argument("--n-train", type=field_type("n_train"), metavar="N|all", help="training set size, 2…10,000,000, or all (a data file's)")
    data.add_argument("--n-test", type=field_type("n_test"), metavar="N|all", help="test set size")
    data.add_argument("--modulus", type=field_type("modulus"), metavar="P",
                      help="grokking: p of (a + b) mod p (n-train + n-test ≤ p²)")
    data.add_argument("--n-inputs", type=field_type("n_inputs"), metavar="N",
                      help="generated linear data: inputs (d2l, sparse: features; poly: the polynomial's "
                      "degree M; double-descent: d)")
    data.add_argument("--noise", type=field_type("noise"), metavar="SIGMA", help="target noise standard deviation")
    data.add_argument("--seed", type=field_type("seed"), metavar="N", help="seed for data, initialization and batch order (default 0)")

    model = parser.add_argument_group("model")
    model.add_argument("--model", type=field_type("model"), metavar=_choices(MODELS),
                       help="mlp, or cnn: conv blocks (Conv → activation → MaxPool 2), then 2 linear layers")
    model.add_argument("--width", type=field_type("width"), metavar="N", help="hidden units per layer (cnn: of its hidden linear layer)")
    model.add_argument("--depth", type=field_type("depth"), metavar="N", help="mlp hidden layers (0: a linear model)")
    model.add_argument("--channels", type=field_type("channels"), metavar="C1,C2,…",
                       help="cnn: output channels of each conv block, e.g. 16,32")
    model.add_argument("--kernel", type=field_type("kernel"), metavar="K", help="cnn: odd kernel size (padding K//2)")
    model.add_argument("--dropout", type=field_type("dropout"), metavar="P",
                       help="dropout p in [0, 1) after each hidden layer (0: none)")
    model.add_argument("--activation", type=field_type("activation"), metavar=_choices(ACTIVATIONS),
                       help="the hidden layers' nonlinearity")
    model.add_argument("--norm", type=field_type("norm"), metavar=_choices(NORMS), help="normalization after each hidden linear layer")
    model.add_argument("--init", type=field_type("init"), metavar=_choices(INITS),
                       help="default: PyTorch's; normal: weights ~ N(0,1), biases 0 (d2l); "
                       "zero: every weight and bias 0")

    train = parser.add_argument_group("training")
    train.add_argument("--solver", type=field_type("solver"), metavar=_choices(SOLVERS),
                       help="gd: train with the optimizer (default); exact: solve a linear model (--depth 0, "
                       "regularizer none, l2 or coupled) in closed form: one record, the solution")
    train.add_argument("--optimizer", type=field_type("optimizer"), metavar=_choices(OPTIMIZERS),
                       help="torch.optim.SGD (with --momentum) or Adam (with --betas)")
    train.add_argument("--lr", type=field_type("lr"), metavar="ETA", help="learning rate (> 0)")
    train.add_argument("--momentum", type=field_type("momentum"), metavar="M", help="SGD momentum in [0, 1)")
    train.add_argument("--betas", type=field_type("betas"), metavar="B1,B2",
                       help="Adam's β₁,β₂ in [0, 1) (default 0.9,0.999; grokking 0.9,0.98)")
    train.add_argument("--epochs", type=field_type("epochs"), metavar="N", help="passes over the training set, an integer ≥ 1")
    train.add_argument("--batch-size", type=field_type("batch_size"), metavar="N|full",
                       help="mini-batch size (1 … training set size) or full")
    train.add_argument("--loss", type=field_type("loss"), metavar=_choices(LOSSES),
                       help="mse: mean (ŷ−y)²; half_mse: mean ½(ŷ−y)² (d2l); cross_entropy (classification)")

    reg = parser.add_argument_group("regularization")
    reg.add_argument("--regularizer", type=field_type("regularizer"), nargs="+" if lambdas else None,
                     metavar="NAME", help=f"{_choices(REGULARIZERS)}" + (" (several: one run each)" if lambdas else ""))
    if lambdas:
        reg.add_argument("--lambdas", type=field_type("lam"), nargs="+", metavar="λ",
                         help="λ values, one run each (finite, ≥ 0)")
    elif lam_option == "lambda":
        reg.add_argument("--lambda", dest="lam", type=field_type("lam"), metavar="λ", help="λ (finite, ≥ 0)")
    reg.add_argument("--decay-convention", type=field_type("decay_convention"),
                     metavar=_choices(DECAY_CONVENTIONS),
                     help="decoupled only: torch shrinks w by η·λ per step (torch.optim.AdamW, default); "
                     "paper by λ, independent of lr (Loshchilov & Hutter; composer's DecoupledAdamW)")
    reg.add_argument("--decay-all", action=argparse.BooleanOptionalAction, default=None,
                     help="decay every parameter, biases and norms too (default: the preset's; else weights only)")

    dev = parser.add_argument_group("device")
    dev.add_argument("--device", type=field_type("device"), metavar="D", help=f"{DEVICES_ALLOWED} (default auto: CUDA when present)")
    dev.add_argument("--dtype", type=field_type("dtype"), metavar=_choices(DTYPES), help="default float32")
    dev.add_argument("--threads", type=field_type("threads"), metavar="N|auto",
                     help="CPU threads (auto: one for these small models)")


OVERRIDE_FIELDS = ("data", "data_dir", "task", "test_fraction", "n_train", "n_test", "n_inputs", "noise", "seed",
                   "model", "width", "depth", "channels", "kernel", "dropout", "activation", "norm", "init",
                   "optimizer", "lr", "momentum", "betas", "modulus", "epochs", "batch_size", "loss", "decay_all", "decay_convention",
                   "device", "dtype", "threads", "solver")


def preset_name(args: argparse.Namespace) -> str:
    """``--preset``, else custom with ``--data``, else sine."""
    return args.preset or ("custom" if getattr(args, "data", None) else "sine")


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The config fields given on the command line (regularizer and λ are handled per command)."""
    return {field: getattr(args, field) for field in OVERRIDE_FIELDS if getattr(args, field, None) is not None}
