"""Plain-text descriptions of a config: its data, model, training and compared runs.

Written from the config's own values, so that what ``wdtui presets`` prints, what the README's
preset table shows (a test compares them) and the header of ``wdtui run``/``wdtui sweep`` always
describe the runs actually made, overrides included. No torch here.
"""

from __future__ import annotations

from typing import Sequence

from .config import Config
from .lessons.presets import PRESETS, Run

# Input shape of one example and number of classes, for the data read from disk
IMAGE_SHAPES = {"digits": ((1, 8, 8), 10), "cifar10": ((3, 32, 32), 10)}
OPTIMIZER_NAMES = {"sgd": "SGD", "adam": "Adam"}
DIGITS = 1797  # images in the digits data
SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
LOSS_NAMES = {"mse": "MSE", "half_mse": "½·MSE", "cross_entropy": "cross-entropy"}


def _size(n: int | None) -> str:
    return "all" if n is None else f"{n:,}"


def data_text(cfg: Config) -> str:
    """Where the examples come from and how many there are."""
    source = PRESETS[cfg.preset].data
    if cfg.data is not None:
        return f"{cfg.data}: {_size(cfg.n_train)} train, {_size(cfg.n_test)} test"
    if source == "sine":
        return (f"x = linspace(0, 2π, {cfg.n_train}), y = sin x + N(0, {cfg.noise:g}²); "
                f"test: {cfg.n_test} fresh noisy points")
    if source == "d2l":
        return (f"y = 0.05 + Σ 0.01·xᵢ + N(0, {cfg.noise:g}²), {cfg.n_inputs} inputs, "
                f"{cfg.n_train} train, {cfg.n_test} test")
    if source == "quadratic":
        noise = f" + N(0, {cfg.noise:g}²)" if cfg.noise else ""
        return (f"y = 2·x1 − x2² + 1{noise} on {cfg.n_train} evenly spaced points of x1 ∈ [−10, 9], "
                f"x2 ∈ [0, 19]; test: {cfg.n_test} midpoints")
    if source == "sparse":
        return (f"y = x·w + N(0, {cfg.noise:g}²), {cfg.n_inputs} inputs of which 5 non-zero, "
                f"{cfg.n_train} train, {cfg.n_test} test")
    if source == "poly":
        degree = str(cfg.n_inputs).translate(SUPERSCRIPTS)
        return (f"x = linspace(0, 1, {cfg.n_train}), t = sin 2πx + N(0, {cfg.noise:g}²), features x¹…x{degree} "
                f"(bias = w₀); test: {cfg.n_test} points the same way")
    if source == "double-descent":
        return (f"y = xᵀβ* + N(0, {cfg.noise:g}²), x ~ N(0, I_{cfg.n_inputs}), ‖β*‖ = 1, "
                f"{cfg.n_train} train, {cfg.n_test} test")
    if source == "digits":
        rest = f"the other {DIGITS - cfg.n_train:,}" if cfg.n_test is None else f"{cfg.n_test:,}"
        return f"8×8 digits (1,797 images): {cfg.n_train:,} train, {rest} test"
    if source == "modular":
        p = cfg.modulus
        return (f"(a + b) mod {p}, a and b one-hot: {cfg.n_train:,} of the {p * p:,} pairs train, "
                f"{cfg.n_test:,} test")
    if source == "cifar10":
        return f"--data-dir: {_size(cfg.n_train)} train, {_size(cfg.n_test)} test"
    return "--data FILE.npz|FILE.csv"


def model_text(cfg: Config, dropout_per_run: bool = False) -> str:
    """The layers, e.g. ``1-64-1 MLP, tanh`` or the CNN's blocks; ``dropout_per_run``: each run
    sets its own p (the runs line says which), so the layers are named without one."""
    source = PRESETS[cfg.preset].data
    shape, classes = IMAGE_SHAPES.get(source, ((cfg.n_inputs,), None))
    if source == "modular" and cfg.data is None:
        shape, classes = (2 * cfg.modulus,), cfg.modulus
    outputs = "C" if cfg.task == "auto" else str(classes or 1)
    dropout = (", dropout layers (p per run)" if dropout_per_run else f", dropout {cfg.dropout:g}") if cfg.dropout else ""
    activation = "" if cfg.activation == "identity" else cfg.activation
    if cfg.model == "cnn":
        act = f" → {activation}" if activation else ""
        blocks = []
        channels, height, width = shape if len(shape) == 3 else (None, None, None)
        for out in cfg.channels:
            blocks.append(f"(Conv {cfg.kernel}×{cfg.kernel} {out}{act} → MaxPool 2)")
            if height is not None:
                height, width = height // 2, width // 2
        flat = "" if height is None else f"{cfg.channels[-1] * height * width}→"
        tail = f"Linear {flat}{cfg.width}{act}, Linear {cfg.width}→{outputs}"
        return ", ".join(blocks) + ", " + tail + ("" if activation else " (no activations)") + dropout
    init = ", w ~ N(0, 1), b = 0" if cfg.init == "normal" else ", w = 0, b = 0" if cfg.init == "zero" else ""
    if cfg.depth == 0:
        return f"linear{init}"
    inputs = "·".join(map(str, shape)) if len(shape) > 1 else str(shape[0])
    if cfg.data is not None or source == "file":
        inputs = "F"  # features, known once the file is read
    if cfg.norm == "layernorm":
        text = f"{cfg.depth} × (Linear {cfg.width} + LayerNorm) → Linear {outputs}"
    else:
        text = f"{inputs}-{'-'.join([str(cfg.width)] * cfg.depth)}-{outputs} MLP"
    return f"{text}, {activation or 'no activation'}{init}{dropout}"


def training_text(cfg: Config) -> str:
    """Optimizer, learning rate, batch, epochs, loss, and which parameters decay acts on."""
    momentum = f", momentum {cfg.momentum:g}" if cfg.optimizer == "sgd" and cfg.momentum else ""
    if cfg.optimizer == "adam" and cfg.betas != (0.9, 0.999):
        momentum = f", betas {cfg.betas[0]:g},{cfg.betas[1]:g}"
    batch = "full batch" if cfg.batch_size is None else f"batch {cfg.batch_size}"
    decay = "decay on all parameters" if cfg.decay_all else "decay on weights only"
    if cfg.solver == "exact":
        return (f"exact (closed-form ridge, min-norm least squares at λ = 0), {LOSS_NAMES[cfg.loss]}, {decay}; "
                f"--solver gd: {OPTIMIZER_NAMES[cfg.optimizer]} lr {cfg.lr:g}{momentum}, {cfg.epochs} epochs")
    return (f"{OPTIMIZER_NAMES[cfg.optimizer]} lr {cfg.lr:g}{momentum}, {batch}, {cfg.epochs} epochs, "
            f"{LOSS_NAMES[cfg.loss]}, {decay}")


def runs_text(runs: Sequence[Run]) -> str:
    """The compared runs: ``coupled λ 0 vs 0.01`` when only λ differs, else each run's label."""
    regularizers = {r.regularizer for r in runs}
    if len(regularizers) == 1 and all(r.dropout is None for r in runs):
        return f"{runs[0].regularizer} λ " + " vs ".join(f"{r.lam:g}" for r in runs)
    lams = {r.lam for r in runs}
    if len(lams) == 1 and all(r.dropout is None for r in runs):
        return " vs ".join(r.regularizer for r in runs) + f" at λ {runs[0].lam:g}"
    return " vs ".join(r.label() for r in runs)


def header(cfg: Config, runs: Sequence[Run] = ()) -> str:
    """The stderr header of ``wdtui run`` and ``wdtui sweep``, two lines: the preset and the
    experiment it comes from; then what is actually trained (the runs, if given, and the model,
    training and data of ``cfg``, overrides included)."""
    compared = f"runs: {runs_text(runs)} · " if runs else ""
    own = bool(runs) and all(run.dropout is not None for run in runs)
    return (f"{cfg.preset}: {PRESETS[cfg.preset].source}\n"
            f"{compared}model: {model_text(cfg, own)} · training: {training_text(cfg)} · data: {data_text(cfg)}")
