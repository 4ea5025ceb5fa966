"""An experiment: a config made concrete — the data on its device, and one fixed initialization
from which every run of the experiment starts, so that runs differ only in what they are told to
differ in (λ, the regularizer)."""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace

import torch
from torch import nn

from .config import Config, check, loss_for
from .data import Dataset, make_dataset
from .devices import resolve_device, resolve_dtype
from .models import build_model, split_decay
from .presets import PRESETS

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
        return (f"decayed: {len(self.decayed_names)} tensors ({count(self.decayed_names)} parameters); "
                f"not decayed: {len(self.other_names)} tensors ({count(self.other_names)} parameters)")


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


def build_experiment(config: Config, validation: bool = False) -> Experiment:
    """Data and initial model for ``config``. Raises ConfigError for an unavailable device, data
    that cannot be read, or data that does not fit the model. The experiment's config is the
    resolved one (:func:`resolve`). ``validation``: add the validation set a sweep chooses λ on
    (:mod:`.validation`; for data read from disk its rows leave the training set, and the
    resolved ``n_train`` counts what is left).

    Also sets torch's CPU thread count (``config.threads``; automatic: one thread for small
    models, where thread hand-offs cost more than the arithmetic)."""
    device = resolve_device(config.device)
    dtype = resolve_dtype(config.dtype, device)
    cpu_data = make_dataset(config)
    if validation:
        from .validation import with_validation

        cpu_data = with_validation(config, cpu_data)
    config = resolve(config, cpu_data)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        model = build_model(config, cpu_data.input_shape, cpu_data.n_outputs)
    model = model.to(device=device, dtype=dtype)
    _set_threads(config, device, model)
    decayed, others = split_decay(model, config.decay_all)
    return Experiment(config, device, dtype, cpu_data.to(device, dtype), model, decayed, others)


_TORCH_THREADS = torch.get_num_threads()  # torch's own choice, restored for larger models


def set_threads(threads: int | None) -> None:
    """``threads`` CPU threads for torch; None: torch's own choice."""
    torch.set_num_threads(_TORCH_THREADS if threads is None else threads)


def _set_threads(config: Config, device: torch.device, model: nn.Module) -> None:
    if config.threads is not None:
        set_threads(config.threads)
    elif device.type == "cpu":
        set_threads(1 if _work(model, config.effective_batch_size) < SMALL_WORK else None)


def _work(model: nn.Module, batch: int) -> int:
    """Multiply-adds of one step, roughly: parameters × batch, and a conv's weights × its output
    positions (their count is not known before a forward pass, so the input's size stands in)."""
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    params = sum(p.numel() for p in model.parameters())
    # a conv weight is used at every output position: count it 64 times (an 8×8 image) at least
    return batch * (params + sum(64 * m.weight.numel() for m in convs))
