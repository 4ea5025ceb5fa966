"""An experiment: a config made concrete — the data on its device, and one fixed initialization
from which every run of the experiment starts, so that runs differ only in what they are told to
differ in (λ, the regularizer)."""

from __future__ import annotations

import copy
import gc
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import torch
from torch import nn

from .config import FILE_SOURCES, Config, ConfigError, check, loss_for
from .data import make_dataset
from .data.dataset import Dataset, Step, no_step
from .devices import resolve_device, resolve_dtype
from .lessons.presets import PRESETS
from .limits import MemoryEstimate
from .training.models import build_model, split_decay
from .training.records import HISTORY_KEYS

# Below this many multiply-adds per step, extra CPU threads cost more than they save.
SMALL_WORK = 1 << 22


@dataclass
class Experiment:
    config: Config
    device: torch.device
    dtype: torch.dtype
    data: Dataset
    base_model: nn.Module
    decayed_names: list[str]
    other_names: list[str]

    @property
    def fit(self) -> str:
        """How the app shows the fit: classes for classification, prediction against target for
        your own regression data, else the preset's way."""
        if self.data.classes is not None:
            return "classes"
        return "target" if self.config.data is not None else PRESETS[self.config.preset].fit

    def new_model(self) -> nn.Module:
        """A fresh copy of the initial model (same weights every time)."""
        return copy.deepcopy(self.base_model)

    def decay_summary(self) -> str:
        """How many tensors and parameters decay acts on, e.g. for the CLI's first line."""
        params = dict(self.base_model.named_parameters())
        count = lambda names: sum(params[n].numel() for n in names)  # noqa: E731
        part = lambda names: (f"{len(names)} tensor{'' if len(names) == 1 else 's'} "  # noqa: E731
                              f"({count(names)} parameter{'' if count(names) == 1 else 's'})")
        return f"decayed: {part(self.decayed_names)}; not decayed: {part(self.other_names)}"


def resolve(config: Config, data: Dataset) -> Config:
    """The config with what the data decides filled in: the set sizes (``all``), the task (auto)
    and the loss that goes with it (classification: cross_entropy; regression keeps a squared
    loss). A batch larger than a data file's training set is that whole set (the same steps:
    one full batch per epoch), so it becomes ``full`` instead of an error."""
    n_train = len(data.x_train)
    batch = None if config.batch_size is not None and config.batch_size >= n_train else config.batch_size
    loss = loss_for(data.task, config.loss) if config.task == "auto" else config.loss
    resolved = replace(config, n_train=n_train, n_test=len(data.x_test), batch_size=batch,
                       n_inputs=data.n_inputs, task=data.task, loss=loss)
    return check(resolved)


EVAL_CHUNK = 4096  # as trainer.EVAL_CHUNK (not imported: the trainer imports this module)
HISTORY_VALUES = len(HISTORY_KEYS) + 6  # per epoch per run: the metrics, accuracies, a few layer norms


def footprint(config: Config, input_shape: tuple[int, ...], n_outputs: int) -> tuple[int, int]:
    """(parameters, activation values per example) of the config's model. The model is built on
    PyTorch's ``meta`` device, which allocates nothing; the activations are counted by following
    one example's shape through its layers (a meta forward pass would import sympy, ~70 MB)."""
    with torch.device("meta"):
        model = build_model(config, input_shape, n_outputs)
    shape, values = tuple(input_shape), 0
    for layer in (m for m in model.modules() if not list(m.children())):
        if isinstance(layer, nn.Linear):
            shape = (layer.out_features,)
        elif isinstance(layer, nn.Flatten):
            shape = (math.prod(shape),)
        elif isinstance(layer, (nn.Conv2d, nn.MaxPool2d)) and len(shape) == 3:
            pair = lambda v: v if isinstance(v, tuple) else (v, v)  # noqa: E731
            kernel, stride = pair(layer.kernel_size), pair(layer.stride or layer.kernel_size)
            padding, dilation = pair(layer.padding), pair(layer.dilation)
            size = tuple((shape[1 + i] + 2 * padding[i] - dilation[i] * (kernel[i] - 1) - 1) // stride[i] + 1
                         for i in range(2))
            shape = (layer.out_channels if isinstance(layer, nn.Conv2d) else shape[0], *size)
        values += math.prod(shape)
    return sum(p.numel() for p in model.parameters()), values


def history_estimate(config: Config, kept_runs: int = 2) -> MemoryEstimate:
    """The histories of ``kept_runs`` runs of ``config.epochs`` epochs: what raising the epochs
    of a live run adds (its data and model are in memory already), checked before it trains on."""
    return MemoryEstimate().add("history", kept_runs * config.epochs * HISTORY_VALUES * 8, "epochs")


def memory_estimate(config: Config, input_shape: tuple[int, ...], n_outputs: int, *, live_runs: int = 2,
                    kept_runs: int = 2, copies: int = 0, seeds: int = 1, batched: bool = False,
                    saved_models: int = 0, copies_field: str = "lambdas") -> MemoryEstimate:
    """The bytes ``config`` needs once its data is in memory (see ``limits.py``): ``live_runs``
    trainers at once, ``kept_runs`` histories of ``epochs`` epochs, ``copies`` sweep copies
    (``batched``: one model, evaluated ``EVAL_CHUNK`` examples at a time like the others;
    ``seeds`` > 1: the data stacked per copy),
    ``saved_models`` parameter sets kept for ``--save-model``."""
    size = torch.empty(0, dtype=resolve_dtype(config.dtype, torch.device("cpu"))).element_size()
    params, per_example = footprint(config, input_shape, n_outputs)
    n_train, n_test = config.n_train or 0, config.n_test or 0
    n_eval = n_train + n_test
    batch = config.effective_batch_size or n_train
    values = n_eval * (math.prod(input_shape) + 1)
    estimate = MemoryEstimate()
    estimate.add("models", params * size * (1 + 5 * live_runs),
                 "depth" if config.depth > 1 and config.model == "mlp" else "width")
    # training keeps every layer's output for backward (and its gradient); evaluation, without
    # autograd, holds much less: a chunk's outputs of all layers is a generous bound
    estimate.add("activations", size * per_example * (3 * batch * live_runs + min(n_eval, EVAL_CHUNK) * (live_runs > 0)),
                 why=f"activations grow with the batch: {'full, ' if config.batch_size is None else ''}{batch:,} "
                     "examples a step; a smaller batch size needs less")
    estimate.add("history", kept_runs * config.epochs * HISTORY_VALUES * 8)
    estimate.add("saved models", saved_models * params * size)
    if copies:
        evaluated = min(n_eval, EVAL_CHUNK)
        estimate.add("copies", copies * (params * size * 5 + size * per_example * (3 * batch + evaluated)
                                         + (2 * values * size if seeds > 1 else 0)), copies_field)
    return estimate


def check_generated_data(config: Config) -> None:
    """Before generating a preset's data: its float64 values and their copy in the dtype fit."""
    if config.data is not None or PRESETS[config.preset].data in FILE_SOURCES:
        return
    size = 4 if config.dtype == "float32" else 8
    values = ((config.n_train or 0) + (config.n_test or 0)) * (config.n_inputs + 1)
    field = "n_test" if (config.n_test or 0) > (config.n_train or 0) else "n_train"
    MemoryEstimate().add("data", values * (8 + size) * 2, field).check()


class BuildStopped(Exception):
    """A build stopped by its ``stop`` check before it was done (e.g. the app is quitting)."""


def build_steps(progress: Step | None = None, stop: Callable[[], bool] | None = None) -> Step:
    """The ``step`` a build reports to: ``stop()`` (if given) is asked first and, when it says
    stop, :class:`BuildStopped` is raised; else ``progress(what, share)`` (if given) is told."""
    if progress is None and stop is None:
        return no_step

    def step(what: str, share: float) -> None:
        if stop is not None and stop():
            raise BuildStopped(what)
        if progress is not None:
            progress(what, share)

    return step


def build_experiment(config: Config, check_memory: bool = True, validation: bool = False,
                     progress: Step | None = None, stop: Callable[[], bool] | None = None) -> Experiment:
    """Data and initial model for ``config``. Raises ConfigError for an unavailable device, data
    that cannot be read, data that does not fit the model, or a run estimated to need more memory
    than ``limits.memory_limit()`` (one run and its comparison; ``check_memory`` False leaves
    that to the caller, e.g. a sweep, which checks its copies). The experiment's config is the
    resolved one (:func:`resolve`).
    ``validation``: add the validation set a sweep chooses λ on
    (:mod:`.validation`; for data read from disk its rows leave the training set, and the
    resolved ``n_train`` counts what is left).

    Also sets torch's CPU thread count (``config.threads``; automatic: one thread for small
    models, where thread hand-offs cost more than the arithmetic).

    ``progress(what, share)`` is told each step (e.g. ``("loading CIFAR-10", 0.4)``) and
    ``stop()`` is asked between steps: when it returns True the build raises
    :class:`BuildStopped` (a CIFAR-10 folder takes seconds to read; quitting must not wait)."""
    step = build_steps(progress, stop)
    device = resolve_device(config.device)
    dtype = resolve_dtype(config.dtype, device)
    check_generated_data(config)
    cpu_data = make_dataset(config, step)
    if dtype == torch.float32 and config.data is None and PRESETS[config.preset].data not in FILE_SOURCES:
        largest = max(t.abs().max().item() for t in (cpu_data.y_train, cpu_data.y_test))
        if not largest <= torch.finfo(torch.float32).max:
            raise ConfigError("noise", f"the generated targets reach {largest:.3g}, beyond float32's ±3.4e38; "
                              "use a smaller noise or --dtype float64")
    if validation:
        from .sweeps.validation import with_validation

        cpu_data = with_validation(config, cpu_data)
    config = resolve(config, cpu_data)
    if check_memory:
        memory_estimate(config, cpu_data.input_shape, cpu_data.n_outputs).check()
    step("building the model", 0.0)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        model = build_model(config, cpu_data.input_shape, cpu_data.n_outputs)
    model = model.to(device=device, dtype=dtype)
    _set_threads(config, device, model)
    decayed, others = split_decay(model, config.decay_all)
    step(f"moving the data to {device} as {str(dtype).removeprefix('torch.')}", 0.0)
    data = cpu_data.to(device, dtype)
    step("built", 1.0)
    return Experiment(config, device, dtype, data, model, decayed, others)


def freeze_startup_objects() -> None:
    """Take every object alive now (torch's modules, the data, the models) out of the reach of
    Python's cyclic garbage collector (``gc.freeze``). A full collection scans every tracked
    object — with torch imported about 10⁶, ~100 ms — and one fell inside training every few
    hundred epochs: in a timed run it cost 0.1–0.2 ms per epoch on average. Afterwards the
    collector scans only what training creates. Objects frozen are not collected while frozen,
    so a process that builds experiments again (the app, at each restart) calls this again: what
    an earlier call froze is unfrozen first (into the oldest generation, where a later full
    collection takes what has become garbage), then everything alive now is frozen."""
    gc.unfreeze()
    gc.freeze()


_TORCH_THREADS = torch.get_num_threads()  # torch's own choice, restored for larger models


def set_threads(threads: int | None) -> None:
    """``threads`` CPU threads for torch; None: torch's own choice."""
    torch.set_num_threads(_TORCH_THREADS if threads is None else threads)


LOAD_SAMPLE_S = 0.1  # how long the idle cores are watched before a threaded run starts


def idle_cores(seconds: float = LOAD_SAMPLE_S) -> float | None:
    """How many cores other processes leave idle, watched for ``seconds`` (this process sleeps
    meanwhile): the idle share of the CPU time in ``/proc/stat`` × the core count. None where
    there is no ``/proc/stat`` (not Linux)."""
    def times() -> list[int]:
        with open("/proc/stat") as stat:
            return [int(v) for v in stat.readline().split()[1:]]

    try:
        before = times()
        time.sleep(seconds)
        after = times()
    except (OSError, ValueError):
        return None
    delta = [b - a for a, b in zip(before, after)]
    total = sum(delta[:8])  # user nice system idle iowait irq softirq steal (guest is in user)
    return (delta[3] + delta[4]) / total * (os.cpu_count() or 1) if total > 0 else None


def auto_threads(work: int, small: int = SMALL_WORK) -> int | None:
    """The automatic thread count for a step of ``work`` multiply-adds on the CPU (None: torch's
    own choice, one per core).

    - Below ``small`` (``SMALL_WORK``): 1 (thread hand-offs cost more than the arithmetic).
    - Else at most one thread per core that is idle now (:func:`idle_cores`, rounded to the
      nearest whole core), at least 1. Threads of one operation wait for each other at its end;
      on a core that another process keeps busy a thread gets only slices of time, and every
      operation waits for it: with two CPU-bound processes on 2 cores, 2 threads trained the
      digits CNN 2.6 times slower than 1 (README, Benchmarks). On an idle machine this keeps
      torch's threads. The load is read once, when the experiment is built.
    """
    if work < small:
        return 1
    idle = idle_cores()
    if idle is None or idle >= _TORCH_THREADS - 0.5:
        return None
    return max(1, min(_TORCH_THREADS, int(idle + 0.5)))


def _set_threads(config: Config, device: torch.device, model: nn.Module) -> None:
    if config.threads is not None:
        set_threads(config.threads)
    elif device.type == "cpu":
        set_threads(auto_threads(work_per_step(model, config.effective_batch_size)))


def work_per_step(model: nn.Module, batch: int) -> int:
    """Multiply-adds of one step, roughly: parameters × batch, and a conv's weights × its output
    positions (their count is not known before a forward pass, so the input's size stands in)."""
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    params = sum(p.numel() for p in model.parameters())
    # a conv weight is used at every output position: count it 64 times (an 8×8 image) at least
    return batch * (params + sum(64 * m.weight.numel() for m in convs))
