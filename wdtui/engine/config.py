"""The validated configuration of one training run, and the value parsers behind it.

Everything that reaches the engine passes through here first: the CLI turns its flags into
field values with :func:`parse_field`, the app does the same for what is typed into its inputs,
and :func:`make_config` checks what only makes sense in combination (batch size against the
training set, λ against the regularizer). Inside the engine the types are trusted.

This module imports no torch, so ``wdtui --help`` stays fast.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Callable, Iterable

REGULARIZERS = ("none", "l2", "coupled", "decoupled", "l1", "l1-subgradient")
# How decoupled decay scales with the learning rate: torch (torch.optim.AdamW) shrinks by η·λ per
# step; paper (Loshchilov & Hutter's Algorithm 2, composer's DecoupledAdamW) by λ times the
# schedule multiplier, which is 1 here (wdtui has no schedule), so by λ whatever η is.
DECAY_CONVENTIONS = ("torch", "paper")
# The update each regularizer makes to a decayed weight w (g: its data gradient, η: lr, opt(g):
# the optimizer's direction). Shown in the app; the implementation is regularizers.py.
REGULARIZER_RULES = {
    "none": "none: w ← w − η·opt(g)",
    "l2": "l2: loss += λ/2·‖w‖²  ⇒  w ← w − η·opt(g + λ·w)",
    "coupled": "coupled: g ← g + λ·w;  w ← w − η·opt(g)",
    "decoupled": "decoupled: w ← w·(1 − η·λ) − η·opt(g)",
    "l1": "l1: w ← S(w − η·opt(g), η·λ),  S(x, t) = sign(x)·max(|x| − t, 0)",
    "l1-subgradient": "l1-subgradient: loss += λ·Σ|w|  ⇒  w ← w − η·opt(g + λ·sign(w))",
}
# One sentence beside a rule where it needs one (see rule_text).
DECOUPLED_PAPER_RULE = "decoupled (paper): w ← w·(1 − λ) − η·opt(g)"
DECOUPLED_NOTE = {
    "torch": "torch convention (torch.optim.AdamW): the shrink per step is η·λ, so the same λ decays "
             "less at a smaller lr.",
    "paper": "paper convention (Loshchilov & Hutter; composer's DecoupledAdamW): the shrink per step is "
             "λ (times the schedule multiplier, 1 here), independent of lr; useful λ are about lr times "
             "smaller than in the torch convention.",
}
L1_ADAM_NOTE = ("with Adam this is not the Lasso: Adam's step is about η per weight whatever the "
                "gradient's size, so a threshold η·λ with λ ≳ 1 zeroes every weight whatever the data; "
                "the proximal step is exact ISTA only for plain SGD.")
L1_NOTE = "exact proximal gradient (ISTA) on loss + λ·Σ|w| for plain SGD; reaches exact zeros."
L1_SUBGRADIENT_NOTE = ("the penalty's subgradient by autograd (sign(0) = 0): weights oscillate around "
                       "zero by about η·λ but almost never land on exactly 0.")


EXACT_RULES = {
    "none": "none (exact): w = the minimum-norm least-squares solution, solved in closed form: no steps, no η",
    "l2": "l2 (exact): w = argmin loss + λ/2·‖w‖², the closed-form ridge solution: no steps, no η",
}


def rule_text(regularizer: str, optimizer: str = "sgd", decay_convention: str = "torch",
              solver: str = "gd") -> str:
    """The rule shown for ``regularizer`` (its update, as REGULARIZER_RULES), with the one
    sentence that says where it differs from what a reader may expect: decoupled's convention,
    and l1's meaning under Adam. With the exact solver, what it solves (no update: coupled's
    g + λ·w is the gradient of loss + λ/2·‖w‖², l2's objective)."""
    if solver == "exact" and regularizer in ("none", "l2", "coupled"):  # the ones it solves
        return EXACT_RULES["none" if regularizer == "none" else "l2"].replace("l2", regularizer, 1)
    if regularizer == "decoupled":
        rule = DECOUPLED_PAPER_RULE if decay_convention == "paper" else REGULARIZER_RULES["decoupled"]
        return f"{rule}\n{DECOUPLED_NOTE[decay_convention]}"
    if regularizer == "l1":
        note = L1_ADAM_NOTE if optimizer == "adam" else L1_NOTE
        return f"{REGULARIZER_RULES['l1']}\n{note}"
    if regularizer == "l1-subgradient":
        return f"{REGULARIZER_RULES['l1-subgradient']}\n{L1_SUBGRADIENT_NOTE}"
    return REGULARIZER_RULES[regularizer]


def notices(config: "Config") -> list[str]:
    """Warnings about a combination that runs but does not mean what its name suggests (the CLI
    prints them on stderr, the app shows them as notices)."""
    out = []
    if config.regularizer == "l1" and config.optimizer == "adam":
        out.append("l1 with adam: " + L1_ADAM_NOTE + " Use --optimizer sgd for the Lasso, or "
                   "l1-subgradient for the penalty λ·Σ|w| in the loss.")
    return out
OPTIMIZERS = ("sgd", "adam")
ACTIVATIONS = ("tanh", "relu", "gelu", "sigmoid", "identity")
NORMS = ("none", "layernorm")
INITS = ("default", "normal", "zero")
LOSSES = ("mse", "half_mse", "cross_entropy")
TASKS = ("auto", "regression", "classification")
MODELS = ("mlp", "cnn")
DATA_SUFFIXES = (".npz", ".csv")
DTYPES = ("float32", "float64")
# How a run reaches its weights: gd trains (the optimizer, epoch by epoch); exact solves the
# linear model's penalised least squares in closed form (solvers.py). Exact needs a linear
# regression model with a squared loss and a regularizer whose minimiser is known in closed form.
SOLVERS = ("gd", "exact")
EXACT_REGULARIZERS = ("none", "l2", "coupled")
DEVICE_PATTERN = re.compile(r"^(auto|cpu|mps|cuda(:\d+)?)$")
DEVICES_ALLOWED = "auto, cpu, cuda, cuda:N or mps"
MAX_EXAMPLES = 10_000_000  # per set (n_train, n_test); see limits.py
MAX_SWEEP_VALUES = 10_000  # values of one --lambdas/--lrs spec; see limits.py
MAX_MODULUS = 1000  # (a + b) mod p: p² ≤ 10⁶ pairs


class ConfigError(ValueError):
    """A value that is not allowed. ``field`` is the config key (``batch_size``), so each face can
    name it in its own words (``--batch-size`` in the CLI, the input's label in the app)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message

    @property
    def config_field(self) -> str:
        """The Config field the error is about: λ is named by its flag ("lambda", "lambdas")
        where its parser refuses it, and is the field ``lam``."""
        return "lam" if self.field in ("lambda", "lambdas") else self.field

    def __str__(self) -> str:  # pragma: no cover - exercised through the faces
        return f"{self.field}: {self.message}"


# --- value parsers: text (or a value) -> a checked value, or ConfigError ------------------------


def _number(field: str, text: Any, allowed: str) -> float:
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise ConfigError(field, f"must be {allowed} (got {text!r})") from None
    if not math.isfinite(value):
        raise ConfigError(field, f"must be {allowed} (got {text!r})")
    return value


def _bounded_float(field: str, allowed: str, ok: Callable[[float], bool]) -> Callable[[Any], float]:
    def parse(text: Any) -> float:
        value = _number(field, text, allowed)
        if not ok(value):
            raise ConfigError(field, f"must be {allowed} (got {text!r})")
        return value

    return parse


def parse_lambda(text: Any, field: str = "lambda") -> float:
    """λ: a finite number ≥ 0."""
    return _bounded_float(field, "a finite number ≥ 0", lambda v: v >= 0)(text)


def _integer(field: str, minimum: int, maximum: int | None = None) -> Callable[[Any], int]:
    allowed = f"an integer ≥ {minimum}" if maximum is None else f"an integer in {minimum}…{maximum}"

    def parse(text: Any) -> int:
        if isinstance(text, bool):
            raise ConfigError(field, f"must be {allowed} (got {text!r})")
        if isinstance(text, int):
            value = text
        else:
            try:
                value = int(str(text).strip())
            except ValueError:
                raise ConfigError(field, f"must be {allowed} (got {text!r})") from None
        if value < minimum or (maximum is not None and value > maximum):
            raise ConfigError(field, f"must be {allowed} (got {text!r})")
        return value

    return parse


def _choice(field: str, choices: tuple[str, ...]) -> Callable[[Any], str]:
    def parse(text: Any) -> str:
        value = str(text).strip().lower()
        if value not in choices:
            raise ConfigError(field, f"unknown value {text!r}; allowed: {', '.join(choices)}")
        return value

    return parse


def _batch_size(text: Any) -> int | None:
    """``full`` (None in code) means the whole training set in one batch."""
    if text is None or str(text).strip().lower() == "full":
        return None
    try:
        return _integer("batch_size", 1)(text)
    except ConfigError:
        raise ConfigError("batch_size", f"must be an integer ≥ 1 or full (got {text!r})") from None


def _size(field: str, minimum: int) -> Callable[[Any], int | None]:
    """A set size up to ``MAX_EXAMPLES``, or ``all`` (None in code): every example the data
    file or folder holds."""
    def parse(text: Any) -> int | None:
        if text is None or str(text).strip().lower() == "all":
            return None
        try:
            return _integer(field, minimum, MAX_EXAMPLES)(text)
        except ConfigError:
            raise ConfigError(field, f"must be an integer in {minimum}…{MAX_EXAMPLES:,} or all "
                              f"(got {text!r})") from None

    return parse


def _channels(text: Any) -> tuple[int, ...]:
    """CNN channels per conv block: ``16,32`` (1 to 6 blocks of 1…1024 channels)."""
    allowed = "1 to 6 comma-separated integers in 1…1024, e.g. 16,32"
    parts = list(text) if isinstance(text, (list, tuple)) else str(text).replace(" ", "").split(",")
    try:
        values = tuple(_integer("channels", 1, 1024)(p) for p in parts)
    except ConfigError:
        raise ConfigError("channels", f"must be {allowed} (got {text!r})") from None
    if not 1 <= len(values) <= 6:
        raise ConfigError("channels", f"must be {allowed} (got {text!r})")
    return values


def _betas(text: Any) -> tuple[float, float]:
    """Adam's β₁,β₂: two numbers in [0, 1), e.g. ``0.9,0.98``."""
    allowed = "two comma-separated numbers in [0, 1), e.g. 0.9,0.98"
    parts = list(text) if isinstance(text, (list, tuple)) else str(text).replace(" ", "").split(",")
    if len(parts) != 2:
        raise ConfigError("betas", f"must be {allowed} (got {text!r})")
    try:
        values = tuple(_bounded_float("betas", allowed, lambda v: 0 <= v < 1)(p) for p in parts)
    except ConfigError:
        raise ConfigError("betas", f"must be {allowed} (got {text!r})") from None
    return values[0], values[1]


def _modulus(text: Any) -> int | None:
    """The modulus p of the grokking preset's (a + b) mod p; None for every other preset."""
    return None if text is None else _integer("modulus", 2, MAX_MODULUS)(text)


def _kernel(text: Any) -> int:
    value = _integer("kernel", 1, 15)(text)
    if value % 2 == 0:
        raise ConfigError("kernel", f"must be an odd integer in 1…15 (got {text!r})")
    return value


def _path(field: str, suffixes: tuple[str, ...] = ()) -> Callable[[Any], str | None]:
    def parse(text: Any) -> str | None:
        if text is None:
            return None
        value = str(text).strip()
        if not value:
            raise ConfigError(field, "must be a path (got an empty string)")
        if suffixes and not value.lower().endswith(suffixes):
            raise ConfigError(field, f"must be a {' or '.join('FILE' + s for s in suffixes)} file (got {text!r})")
        return value

    return parse


def _device(text: Any) -> str:
    value = str(text).strip().lower()
    if not DEVICE_PATTERN.match(value):
        raise ConfigError("device", f"unknown device {text!r}; allowed: {DEVICES_ALLOWED}")
    return value


def _seed(text: Any) -> int:
    return _integer("seed", 0, 2**63 - 1)(text)


def _threads(text: Any) -> int | None:
    if text is None or str(text).strip().lower() == "auto":
        return None
    try:
        return _integer("threads", 1, 1024)(text)
    except ConfigError:
        raise ConfigError("threads", f"must be an integer in 1…1024 or auto (got {text!r})") from None


def _bool(field: str) -> Callable[[Any], bool]:
    def parse(text: Any) -> bool:
        if isinstance(text, bool):
            return text
        value = str(text).strip().lower()
        if value in ("1", "true", "yes", "on"):
            return True
        if value in ("0", "false", "no", "off"):
            return False
        raise ConfigError(field, f"must be true or false (got {text!r})")

    return parse


def _preset(text: Any) -> str:
    from .lessons.presets import PRESETS

    value = str(text).strip().lower()
    if value not in PRESETS:
        raise ConfigError("preset", f"unknown preset {text!r}; allowed: {', '.join(PRESETS)}")
    return value


PARSERS: dict[str, Callable[[Any], Any]] = {
    "preset": _preset,
    "n_train": _size("n_train", 2),
    "n_test": _size("n_test", 1),
    "n_inputs": _integer("n_inputs", 1),
    "noise": _bounded_float("noise", "a finite number ≥ 0", lambda v: v >= 0),
    "width": _integer("width", 1, 4096),
    "depth": _integer("depth", 0, 16),
    "activation": _choice("activation", ACTIVATIONS),
    "norm": _choice("norm", NORMS),
    "init": _choice("init", INITS),
    "optimizer": _choice("optimizer", OPTIMIZERS),
    "lr": _bounded_float("lr", "a finite number > 0", lambda v: v > 0),
    "momentum": _bounded_float("momentum", "a number in [0, 1)", lambda v: 0 <= v < 1),
    "betas": _betas,
    "epochs": _integer("epochs", 1),
    "batch_size": _batch_size,
    "regularizer": _choice("regularizer", REGULARIZERS),
    "decay_convention": _choice("decay_convention", DECAY_CONVENTIONS),
    "lam": lambda text: parse_lambda(text, "lambda"),
    "decay_all": _bool("decay_all"),
    "loss": _choice("loss", LOSSES),
    "seed": _seed,
    "device": _device,
    "dtype": _choice("dtype", DTYPES),
    "threads": _threads,
    "task": _choice("task", TASKS),
    "model": _choice("model", MODELS),
    "channels": _channels,
    "kernel": _kernel,
    "dropout": _bounded_float("dropout", "a number in [0, 1)", lambda v: 0 <= v < 1),
    "data": _path("data", DATA_SUFFIXES),
    "data_dir": _path("data_dir"),
    "test_fraction": _bounded_float("test_fraction", "a number in (0, 1)", lambda v: 0 < v < 1),
    "modulus": _modulus,
    "solver": _choice("solver", SOLVERS),
}


def parse_field(field: str, value: Any) -> Any:
    """Parse and check one field's value (from text or a Python value)."""
    return PARSERS[field](value)


# --- the config ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    """One training run: the data, the model, the optimizer and the regularization.

    ``lam`` is λ (``lambda`` in JSON and the CLI; a Python keyword here). ``batch_size`` None means
    full batch. ``threads`` None means automatic (one thread for these small models on CPU).
    ``n_train``/``n_test`` None mean every example a data file or folder holds; ``task`` auto
    means: from the targets' type. Both are resolved when the data is read (see
    ``experiment.build_experiment``), so an experiment's config always holds the real values.
    ``decay_convention`` (decoupled only): ``torch`` shrinks by η·λ per step, ``paper`` by λ.
    ``betas`` (Adam only): β₁, β₂ of the moment averages. ``modulus`` (grokking only): p of
    (a + b) mod p; ``n_train``/``n_test`` then count pairs (at most p² together).
    ``solver``: ``gd`` trains; ``exact`` solves a linear model in closed form (one record per
    run, the solution; the optimizer, lr, batch and epochs are then unused; see solvers.py).
    ``model`` cnn: ``channels`` conv blocks (Conv k×k → activation → MaxPool 2), then
    Linear(·, ``width``) → activation → Linear(``width``, classes); ``dropout`` p before each
    hidden-to-output Linear (and after each hidden block of the MLP).
    """

    preset: str
    n_train: int | None
    n_test: int | None
    n_inputs: int
    noise: float
    width: int
    depth: int
    activation: str
    norm: str
    init: str
    optimizer: str
    lr: float
    momentum: float
    epochs: int
    batch_size: int | None
    regularizer: str
    lam: float
    decay_all: bool
    loss: str
    seed: int = 0
    device: str = "auto"
    dtype: str = "float32"
    threads: int | None = None
    task: str = "regression"
    model: str = "mlp"
    channels: tuple[int, ...] = (16, 32)
    kernel: int = 5
    dropout: float = 0.0
    data: str | None = None
    data_dir: str | None = None
    test_fraction: float = 0.2
    decay_convention: str = "torch"
    betas: tuple[float, float] = (0.9, 0.999)
    modulus: int | None = None
    solver: str = "gd"

    def with_changes(self, **changes: Any) -> "Config":
        """A new validated config with some fields replaced (values are parsed and checked)."""
        parsed = {key: parse_field(key, value) for key, value in changes.items()}
        return check(_inputs_follow(replace(self, **parsed), "n_inputs" in parsed))

    def to_dict(self) -> dict[str, Any]:
        """JSON form: the same names as the CLI flags (λ as ``lambda``)."""
        data = asdict(self)
        data["lambda"] = data.pop("lam")
        data["batch_size"] = self.effective_batch_size
        data["channels"] = list(self.channels)
        data["betas"] = list(self.betas)
        return data

    @property
    def effective_batch_size(self) -> int | None:
        """The batch size in examples (None only before the data is read, for ``all``)."""
        return self.n_train if self.batch_size is None else self.batch_size


CONFIG_FIELDS = tuple(f.name for f in fields(Config))
FILE_SOURCES = ("file", "digits", "cifar10")  # data read from disk, where sizes may be "all"
INPUT_SOURCES = ("d2l", "sparse", "poly", "double-descent")  # generated data whose inputs n_inputs sets


def data_inputs(config: Config) -> int | None:
    """The inputs the preset's data define (sine's x: 1, the digits' 64 pixels, (a + b) mod p's
    2·p one-hot columns), or None where ``n_inputs`` sets them (d2l, sparse, poly's degree,
    double-descent's d) or a data file does."""
    from .lessons.presets import PRESETS

    source = PRESETS[config.preset].data
    if config.data is not None or source in INPUT_SOURCES or source == "file":
        return None
    if source == "modular":
        return None if config.modulus is None else 2 * config.modulus
    return PRESETS[config.preset].config["n_inputs"]


UNUSED_BY_EXACT = ("optimizer", "betas", "momentum", "lr", "batch_size", "epochs")


def unused_fields(config: Config, optimizers: Iterable[str] = (), regularizers: Iterable[str] = ()
                  ) -> dict[str, str]:
    """The config fields that training with ``config`` leaves unused, each with why: the app
    hides their inputs and a settings file writes them as comments. ``optimizers`` and
    ``regularizers``: those of the other runs trained beside it (a comparison, ``wdtui run``'s
    runs), which use momentum, betas or a decay convention through the config too.

    noise: data read from a file, or (a + b) mod p; n_inputs: data that define their inputs;
    modulus: every preset but grokking; the training fields: the exact solver (a closed form);
    width, activation, norm and dropout: a linear model (no hidden units); depth and norm: the
    CNN (its blocks are its channels); channels and kernel: an MLP; betas: no Adam; momentum:
    no SGD; decay_convention: no decoupled decay; test_fraction: no data file to split."""
    from .lessons.presets import PRESETS

    source = PRESETS[config.preset].data
    why: dict[str, str] = {}
    if config.data is not None or source in FILE_SOURCES:
        why["noise"] = why["n_inputs"] = "the data are read from a file"
    elif source == "modular":
        why["noise"] = why["n_inputs"] = "(a + b) mod p's one-hot inputs follow from p"
    elif data_inputs(config) is not None:
        why["n_inputs"] = f"preset {config.preset}'s data define the inputs"
    if source != "modular" or config.data is not None:
        why["modulus"] = "the p of (a + b) mod p, for preset grokking only"
    if config.solver == "exact":
        why.update(dict.fromkeys(UNUSED_BY_EXACT, "the exact solver solves in closed form"))
    if config.model == "cnn":
        why["depth"] = "the CNN's blocks are its channels"
        why["norm"] = "the CNN has no normalization layers"
    else:
        why["channels"] = why["kernel"] = "an MLP has no convolutions"
        if config.depth == 0:
            why.update(dict.fromkeys(("width", "activation", "norm", "dropout"),
                                     "a linear model (depth 0) has no hidden units"))
    if config.optimizer != "adam" and "adam" not in optimizers:
        why.setdefault("betas", "only adam uses betas")
    if config.optimizer != "sgd" and "sgd" not in optimizers:
        why.setdefault("momentum", "only sgd uses momentum")
    if config.regularizer != "decoupled" and "decoupled" not in regularizers:
        why["decay_convention"] = "only decoupled decay has two conventions"
    if config.data is None:
        why["test_fraction"] = "it splits a data file given with --data"
    return why


def check(config: Config) -> Config:
    """Checks that need more than one field. Returns the config unchanged when it is valid."""
    from .lessons.presets import PRESETS

    source = PRESETS[config.preset].data
    if config.data is None:
        if source == "file":
            raise ConfigError("data", f"preset {config.preset} trains on your own data: give a "
                              "FILE.npz (x_train, y_train, x_test, y_test) or FILE.csv (last column the target)")
        if source == "cifar10" and config.data_dir is None:
            raise ConfigError("data_dir", "preset cifar10 reads the CIFAR-10 python version from a folder "
                              "(data_batch_1…data_batch_5, test_batch, batches.meta); give its path")
        if source not in FILE_SOURCES:
            for field in ("n_train", "n_test"):
                if getattr(config, field) is None:
                    raise ConfigError(field, f"must be an integer; all is for data read from a file "
                                      f"(preset {config.preset} generates its data)")
        own = PRESETS[config.preset].config.get("task", "regression")
        if config.task != own:
            raise ConfigError("task", f"preset {config.preset} is {own}; another task needs your own "
                              "data (a data file)")
    defined = data_inputs(config)
    if defined is not None and config.n_inputs != defined:
        presets = ", ".join(p for p, preset in PRESETS.items() if preset.data in INPUT_SOURCES)
        raise ConfigError("n_inputs", f"preset {config.preset}: its data define the inputs ({defined}); "
                          f"n_inputs applies to {presets} (got {config.n_inputs})")
    if (source == "modular") != (config.modulus is not None) and config.data is None:
        raise ConfigError("modulus", "is the p of (a + b) mod p, for preset grokking only"
                          if config.modulus is not None else f"preset {config.preset} needs a modulus p ≥ 2")
    if config.task == "classification" and config.loss != "cross_entropy":
        raise ConfigError("loss", f"classification uses cross_entropy (got {config.loss})")
    if config.task == "regression" and config.loss == "cross_entropy":
        raise ConfigError("loss", "cross_entropy is for classification; regression allows mse, half_mse")
    if config.model == "cnn" and config.data is None and source not in ("digits", "cifar10"):
        raise ConfigError("model", f"the CNN needs images; preset {config.preset} generates feature "
                          "vectors (use mlp, or a preset or data file of images)")
    if config.model == "cnn" and config.norm != "none":
        raise ConfigError("norm", f"the CNN has no normalization layers; use none (got {config.norm})")
    if config.n_train is not None and config.batch_size is not None and config.batch_size > config.n_train:
        raise ConfigError(
            "batch_size",
            f"must be between 1 and the training set size {config.n_train} (got {config.batch_size})",
        )
    if config.solver == "exact":
        _check_exact(config, source)
    if config.model == "mlp" and config.depth == 0 and config.dropout > 0:
        raise ConfigError("dropout", f"a linear model (depth 0) has no hidden units to drop: use 0, or depth 1 or more "
                          f"(got {config.dropout:g})")
    if config.regularizer == "none" and config.lam != 0:
        raise ConfigError(
            "lambda", f"λ = {config.lam:g} has no effect with regularizer none; use 0 or pick one of "
            + ", ".join(r for r in REGULARIZERS if r != "none")
        )
    return config


def _check_exact(config: Config, source: str) -> None:
    """``solver exact`` needs what has a closed form: one Linear layer (mlp, depth 0) on
    regression data with a squared loss, and none/l2/coupled (ridge; l1 has no closed form,
    decoupled's fixed point depends on the optimizer)."""
    why = ""
    if config.model != "mlp" or config.depth != 0:
        why = f"a linear model (--model mlp --depth 0; got {config.model} depth {config.depth})"
    elif config.task == "classification" or (config.data is None and source in ("digits", "cifar10")):
        why = "regression (a linear model with a squared loss)"
    elif config.regularizer not in EXACT_REGULARIZERS:
        why = (f"regularizer {', '.join(EXACT_REGULARIZERS)} (got {config.regularizer}: "
               + ("no closed form" if config.regularizer.startswith("l1") else
                  "its fixed point depends on the optimizer") + ")")
    if why:
        raise ConfigError("solver", f"exact solves a linear model in closed form; it needs {why}; "
                          "use --solver gd")


def loss_for(task: str, loss: str) -> str:
    """The loss that goes with a task: cross_entropy for classification; for regression the given
    squared loss, or mse in place of cross_entropy."""
    if task == "classification":
        return "cross_entropy"
    return "mse" if loss == "cross_entropy" else loss


def make_config(preset: str, **overrides: Any) -> Config:
    """The preset's config with ``overrides`` (field name -> value or text) applied and checked."""
    from .lessons.presets import PRESETS

    name = parse_field("preset", preset)
    base = dict(PRESETS[name].config)
    unknown = set(overrides) - set(CONFIG_FIELDS)
    if unknown:
        raise ConfigError(sorted(unknown)[0], f"unknown setting; allowed: {', '.join(CONFIG_FIELDS)}")
    given = {key: value for key, value in overrides.items() if value is not None}  # None: not given
    if given.get("data") is not None:
        # your own data: every example it holds, and the task from its targets unless told
        base.update(n_train=None, n_test=None, task="auto")
    for key, value in given.items():
        base[key] = parse_field(key, value)
    if "loss" not in given and base.get("task", "regression") != "auto":
        base["loss"] = loss_for(base.get("task", "regression"), base["loss"])
    return check(_inputs_follow(Config(preset=name, **base), "n_inputs" in given))


def _inputs_follow(config: Config, given: bool) -> Config:
    """``n_inputs`` not given follows the data where the data define it (grokking's 2·p follows
    ``modulus``); a given one is checked against them (:func:`check`)."""
    defined = None if given else data_inputs(config)
    return config if defined is None else replace(config, n_inputs=defined)


def parse_lambda_spec(parts: list[str] | tuple[str, ...], field: str = "lambdas") -> list[float]:
    """λ values for a sweep: ``start:stop:count`` (log-spaced, both ends included; 0 < start <
    stop, count an integer ≥ 2) or an explicit list of values ≥ 0 (0 allowed)."""
    parts = [str(p).strip() for p in parts]
    if not parts or any(not p for p in parts):
        raise ConfigError(field, "give start:stop:count or a list of λ values")
    ranged = [p for p in parts if ":" in p]
    if not ranged:
        if len(parts) > MAX_SWEEP_VALUES:
            raise ConfigError(field, f"at most {MAX_SWEEP_VALUES:,} values (got {len(parts):,})")
        values = [parse_lambda(p, field) for p in parts]
        if len(set(values)) != len(values):
            raise ConfigError(field, f"each λ once (got {' '.join(parts)})")
        return values
    if len(parts) != 1:
        raise ConfigError(field, "give either one start:stop:count or a list of values, not both")
    pieces = parts[0].split(":")
    if len(pieces) != 3 or not all(pieces):
        raise ConfigError(field, f"must be start:stop:count, e.g. 1e-5:1e-1:16 (got {parts[0]!r})")
    allowed = "start:stop:count with 0 < start < stop and an integer count ≥ 2"
    try:
        start, stop = float(pieces[0]), float(pieces[1])
        count = int(pieces[2])
    except ValueError:
        raise ConfigError(field, f"must be {allowed} (got {parts[0]!r})") from None
    if not (math.isfinite(start) and math.isfinite(stop)) or start <= 0 or stop <= start or count < 2:
        raise ConfigError(field, f"must be {allowed} (got {parts[0]!r})")
    if count > MAX_SWEEP_VALUES:  # refused before the list is built
        raise ConfigError(field, f"count must be at most {MAX_SWEEP_VALUES:,} (got {count:,})")
    low, high = math.log10(start), math.log10(stop)
    try:  # the ends are the given values; only the points between are computed
        inner = [10 ** (low + (high - low) * i / (count - 1)) for i in range(1, count - 1)]
    except OverflowError:
        raise ConfigError(field, f"values too large for a float (got {parts[0]!r})") from None
    return [start, *inner, stop]


def parse_n_trains(parts: list[str] | tuple[str, ...], field: str = "n_trains") -> list[int]:
    """n_train values for a sample-size sweep: ``start:stop:step`` (every step-th integer from
    start to stop, both included when step divides stop − start) or a list of integers, each in
    2…``MAX_EXAMPLES`` and given once; sorted ascending."""
    parts = [str(p).strip() for p in parts]
    allowed = "start:stop:step (integers, 2 ≤ start < stop, step ≥ 1) or a list of integers ≥ 2"
    if not parts or any(not p for p in parts):
        raise ConfigError(field, f"give {allowed}")
    size = _integer(field, 2, MAX_EXAMPLES)
    if any(":" in p for p in parts):
        pieces = parts[0].split(":")
        if len(parts) != 1 or len(pieces) != 3:
            raise ConfigError(field, f"must be {allowed} (got {' '.join(parts)!r})")
        try:
            start, stop, step = size(pieces[0]), size(pieces[1]), _integer(field, 1)(pieces[2])
        except ConfigError:
            raise ConfigError(field, f"must be {allowed} (got {parts[0]!r})") from None
        if stop <= start:
            raise ConfigError(field, f"must be {allowed} (got {parts[0]!r})")
        if (stop - start) // step + 1 > MAX_SWEEP_VALUES:
            raise ConfigError(field, f"at most {MAX_SWEEP_VALUES:,} values (got {parts[0]!r})")
        return list(range(start, stop + 1, step))
    if len(parts) > MAX_SWEEP_VALUES:
        raise ConfigError(field, f"at most {MAX_SWEEP_VALUES:,} values (got {len(parts):,})")
    try:
        values = [size(p) for p in parts]
    except ConfigError:
        raise ConfigError(field, f"must be {allowed} (got {' '.join(parts)!r})") from None
    if len(set(values)) != len(values):
        raise ConfigError(field, f"each n once (got {' '.join(parts)})")
    return sorted(values)
