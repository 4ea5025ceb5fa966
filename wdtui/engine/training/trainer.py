"""The trainer: one model, one regularizer, one λ; yields one :class:`EpochRecord` per epoch.

An epoch is one pass over the training set: full batch, or mini-batches in a fresh random order
(a shuffled index tensor on the device; no DataLoader). Each step is::

    loss = L_data(model(x), y) [+ λ/2·Σ‖w‖² for l2]
    loss.backward()
    regularizer.before_step   # coupled: g += λ·w;  decoupled: w *= 1 − η·λ
    optimizer.step()          # SGD (momentum) or Adam as in torch.optim, no weight decay
    regularizer.after_step    # l1: soft-threshold by η·λ

After the epoch the model is evaluated (dropout off) on train, test (and the plotting grid) in one
forward pass — in chunks of ``EVAL_CHUNK`` examples for large image sets — and every number is
brought to the host in one transfer. For classification that includes the train and test
accuracy: the count of examples whose largest logit is the true class (an exact integer) divided
by the set's size. λ and η can be changed between epochs. A run that diverges
(``records.is_diverged``: train loss or ‖w‖ NaN/inf, or the train loss above 10⁶ times its value
at initialization) stops and is marked diverged; so does a run whose η, λ or η·λ is too large for
its dtype (float32 ends at 3.4·10³⁸), where PyTorch refuses the step.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable, Iterator, Sequence

import torch
import torch.nn.functional as F

from ..config import ConfigError
from ..data.dataset import shown_rows
from ..experiment import Experiment
from .control import Control
from .metrics import angle, angle_stats, confusion, grad_histograms, histograms, summarize, unit_tensors, weight_stats
from .models import set_dropout
from .optimizers import make_optimizer
from .records import EpochRecord, is_diverged
from .regularizers import make_regularizer


@dataclass(frozen=True)
class Loss:
    """A loss convention: ``mse`` = mean (ŷ − y)²; ``half_mse`` = mean ½(ŷ − y)² (d2l's
    ``squared_loss``, averaged over the batch); ``cross_entropy`` = mean −log softmax(z)_y over
    the logits z and class indices y (``F.cross_entropy``)."""

    name: str
    scale: float

    def __call__(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if self.name == "cross_entropy":
            return F.cross_entropy(pred, target)
        loss = F.mse_loss(pred, target)
        return loss if self.scale == 1.0 else self.scale * loss

    def per_sample(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Unscaled per-sample losses: (N, 1) for squared losses, (N,) for cross-entropy."""
        if self.name == "cross_entropy":
            return F.cross_entropy(pred, target, reduction="none")
        return F.mse_loss(pred, target, reduction="none")


LOSSES = {"mse": Loss("mse", 1.0), "half_mse": Loss("half_mse", 0.5),
          "cross_entropy": Loss("cross_entropy", 1.0)}
EVAL_CHUNK = 4096  # examples per forward pass when evaluating (bounds conv activations' memory)

RATE_SMOOTHING = 0.1  # weight of the newest epoch in the epochs/s moving average


def is_overflow(error: RuntimeError) -> bool:
    """PyTorch's refusal of a scalar (η, λ, η·λ) that its dtype cannot hold, e.g. "value cannot
    be converted to type float without overflow" or "lambda must be in range [0, 3.40282e+38]"."""
    text = str(error)
    return "without overflow" in text or ("must be in range" in text and "e+38" in text)


def smoothed_rate(previous: float, seconds: float, first: bool) -> float:
    """epochs/s as an exponential moving average of 1 / (one epoch's duration)."""
    rate = 1.0 / max(seconds, 1e-9)
    return rate if first else (1 - RATE_SMOOTHING) * previous + RATE_SMOOTHING * rate


class Trainer:
    """One run. ``dropout`` sets the model's dropout p for this run (None: the config's; a model
    built without dropout layers accepts only None or 0)."""

    def __init__(self, experiment: Experiment, regularizer: str | None = None, lam: float | None = None,
                 dropout: float | None = None):
        cfg = experiment.config
        self.experiment = experiment
        self.regularizer = make_regularizer(regularizer or cfg.regularizer, cfg.decay_convention)
        self.lam = float(cfg.lam if lam is None else lam)
        self.lr = cfg.lr
        self.epochs = cfg.epochs
        self.epoch = 0
        self.diverged = False
        self.epochs_per_s = 0.0
        self.last_record: EpochRecord | None = None
        self.model = experiment.new_model()
        self.dropout = cfg.dropout if dropout is None else float(dropout)
        has_dropout = set_dropout(self.model, self.dropout)
        if self.dropout > 0 and not has_dropout:
            raise ConfigError("dropout", f"this model has no dropout layers (dropout {cfg.dropout:g}); "
                              "give the config a dropout p > 0 to build them")
        named = dict(self.model.named_parameters())
        self.decayed_names = list(experiment.decayed_names)
        self.decayed = [named[n] for n in self.decayed_names]
        self.optimizer = make_optimizer(cfg.optimizer, self.model.parameters(), cfg.lr, cfg.momentum)
        self.loss_fn = LOSSES[cfg.loss]
        self._weights = {n: p for n, p in named.items() if p.dim() >= 2}
        self._initial = {n: p.detach().clone() for n, p in self._weights.items()}
        with torch.no_grad():  # directions of the weight matrices at the last measurement
            self._units = unit_tensors(list(self._weights.values())) if self._weights else []
        data = experiment.data
        self._batch = cfg.effective_batch_size
        self._shuffle = torch.Generator(device=experiment.device).manual_seed(cfg.seed)
        self._n_train, self._n_test = len(data.x_train), len(data.x_test)
        self._n_val = 0 if data.x_val is None else len(data.x_val)  # a sweep's validation set
        # Train and test (a sweep's validation set, and for detail the plotting grid) are
        # evaluated in one forward pass; the mean losses come from one matrix product with an
        # averaging matrix. Sets larger than EVAL_CHUNK are evaluated part by part in chunks
        # instead (concatenating CIFAR-10's train and test images would copy 700 MB).
        def together(parts: list[torch.Tensor]) -> list[torch.Tensor]:
            return [torch.cat(parts)] if sum(len(p) for p in parts) <= EVAL_CHUNK else parts

        sets = [data.x_train, data.x_test] + ([data.x_val] if self._n_val else [])
        self._eval_x = together(sets)
        self._eval_x_grid = self._eval_x if data.grid_x is None else together([*sets, data.grid_x])
        self._eval_y = torch.cat([data.y_train, data.y_test] + ([data.y_val] if self._n_val else []))
        bounds = [0, self._n_train, self._n_train + self._n_test, self._n_train + self._n_test + self._n_val]
        self._n_eval = bounds[-1]
        average = torch.zeros(3 if self._n_val else 2, self._n_eval, dtype=experiment.dtype)
        for row in range(len(average)):
            average[row, bounds[row]:bounds[row + 1]] = 1 / (bounds[row + 1] - bounds[row])
        self._average = average.to(experiment.device)
        self._classes = None if data.classes is None else len(data.classes)
        # the examples whose predictions a detail record carries (all, up to SHOWN_MOST)
        self.shown = (shown_rows(self._n_train, cfg.seed), shown_rows(self._n_test, cfg.seed + 1))
        if has_dropout and self.dropout > 0:  # dropout masks come from torch's global generator
            torch.manual_seed(cfg.seed)
        self._dropout = has_dropout
        self.overflowed = False  # a step was refused: η, λ or η·λ too large for the dtype
        self.initial_loss = math.inf  # no growth rule while measuring the start itself
        self.initial_loss = self.measure().train_loss  # L₀ of the divergence rule
        self.diverged = False  # a start that is already NaN/inf is caught after the first epoch

    # --- changes between epochs ------------------------------------------------------------------

    def set_lambda(self, lam: float) -> None:
        self.lam = float(lam)

    def set_lr(self, lr: float) -> None:
        self.lr = float(lr)
        self.optimizer.lr = self.lr

    def apply(self, changes: dict) -> None:
        """Changes between epochs: ``lam``, ``lr``, ``regularizer`` (a name), ``epochs``."""
        if "lam" in changes:
            self.set_lambda(changes["lam"])
        if "lr" in changes:
            self.set_lr(changes["lr"])
        if "regularizer" in changes:
            self.regularizer = make_regularizer(changes["regularizer"], self.experiment.config.decay_convention)
        if "epochs" in changes:
            self.epochs = int(changes["epochs"])

    @property
    def done(self) -> bool:
        return self.diverged or self.epoch >= self.epochs

    # --- training --------------------------------------------------------------------------------

    def _step(self, x: torch.Tensor, y: torch.Tensor) -> None:
        self.optimizer.zero_grad()
        loss = self.loss_fn(self.model(x), y)
        penalty = self.regularizer.loss_penalty(self.decayed, self.lam)
        if penalty is not None:
            loss = loss + penalty
        loss.backward()
        self.regularizer.before_step(self.decayed, self.lam, self.lr)
        self.optimizer.step()
        self.regularizer.after_step(self.decayed, self.lam, self.lr)

    def train_epoch(self, stop: Callable[[], bool] | None = None) -> None:
        """One pass over the training set, without measuring. Mini-batches are slices of a
        shuffled index tensor made on the device: no DataLoader, no host sync per batch."""
        data = self.experiment.data
        try:
            if self._batch >= self._n_train:
                self._step(data.x_train, data.y_train)
            else:
                order = torch.randperm(self._n_train, generator=self._shuffle, device=self.experiment.device)
                for index in order.split(self._batch):
                    self._step(data.x_train[index], data.y_train[index])
                    if stop is not None and stop():
                        break
        except RuntimeError as error:
            if not is_overflow(error):
                raise
            self.overflowed = True
        self.epoch += 1

    def run_epoch(self, detail: bool = False, stop: Callable[[], bool] | None = None) -> EpochRecord:
        """Train one epoch and measure it. ``stop`` is polled between mini-batches (cancellation
        in long epochs); ``detail`` adds predictions, learned weights and weight and gradient
        histograms."""
        started = time.perf_counter()
        self.train_epoch(stop)
        record = self.measure(detail)
        self.epochs_per_s = smoothed_rate(self.epochs_per_s, time.perf_counter() - started, self.epoch == 1)
        record.epochs_per_s = self.epochs_per_s
        self.last_record = record
        return record

    @torch.no_grad()
    def measure(self, detail: bool = False) -> EpochRecord:
        """The record of the model as it is now (after ``self.epoch`` epochs), without training."""
        if self._dropout:
            self.model.eval()
        chunks = [c for x in (self._eval_x_grid if detail else self._eval_x) for c in x.split(EVAL_CHUNK)]
        out = self.model(chunks[0]) if len(chunks) == 1 else torch.cat([self.model(c) for c in chunks])
        if self._dropout:
            self.model.train()
        n_tr, n_te, n_eval = self._n_train, self._n_train + self._n_test, self._n_eval
        per_sample = self.loss_fn.per_sample(out[:n_eval], self._eval_y).reshape(-1)
        numbers = [self.loss_fn.scale * (self._average @ per_sample)]
        if self._classes is not None:
            # Counts of correct predictions, summed as integers (exact on every CPU), sent as
            # floats (exact below 2**24 examples) in the one transfer; accuracy = count / N.
            predicted = out[:n_eval].argmax(dim=1)
            hit = predicted == self._eval_y
            numbers.append(torch.stack([hit[:n_tr].sum(), hit[n_tr:n_te].sum()]).to(self._average.dtype))
        with_l1 = self.regularizer.uses_l1
        stats = weight_stats(self.decayed, with_l1)
        if stats:
            numbers.append(torch.stack(stats))
        if self._weights:
            self._units, chords = angle_stats(self._units, list(self._weights.values()))
            numbers.append(torch.stack(chords))
        values = torch.cat(numbers).tolist()  # one sync
        chords = values[len(values) - len(self._weights):] if self._weights else []
        values = values[:len(values) - len(chords)]
        sets = len(self._average)  # train, test (and validation)
        train, test = values[:2]
        val = values[2] if sets == 3 else None
        accuracy = ([values[sets] / self._n_train, values[sets + 1] / self._n_test] if self._classes is not None
                    else [None, None])
        w = summarize(values[sets + 2 if self._classes is not None else sets:], self.decayed, with_l1)
        diverged = self.overflowed or is_diverged(train, w.weight_norm, self.initial_loss)
        self.diverged = self.diverged or diverged
        record = EpochRecord(
            epoch=self.epoch, lam=self.lam, lr=self.lr, train_loss=train, test_loss=test,
            penalty=self.regularizer.penalty_value(self.lam, w.weight_norm, w.l1_norm),
            weight_norm=w.weight_norm, layer_norms=dict(zip(self.decayed_names, w.layer_norms)),
            zeros=w.zeros, epochs_per_s=0.0, diverged=diverged,
            train_accuracy=accuracy[0], test_accuracy=accuracy[1], dropout=self.dropout, val_loss=val,
            angular_update={n: angle(c) for n, c in zip(self._weights, chords)},
            regularizer=self.regularizer.name,
        )
        if detail:
            if self._classes is not None:
                record.confusion = confusion(self._eval_y[n_tr:n_te], predicted[n_tr:n_te], self._classes)
            else:
                for name, part, rows in (("train_prediction", out[:n_tr], self.shown[0]),
                                         ("test_prediction", out[n_tr:n_te], self.shown[1])):
                    rows = None if rows is None else rows.to(part.device)
                    setattr(record, name, (part if rows is None else part[rows]).reshape(-1).tolist())
                if len(out) > n_eval:
                    record.prediction = out[n_eval:].reshape(-1).tolist()
                if len(self._weights) == 1:
                    record.weights = next(iter(self._weights.values())).reshape(-1).tolist()
            record.histograms = histograms(self._weights, self._initial)
            record.grad_histograms = grad_histograms(self._weights)
        return record

    def records(self, control: Control | None = None,
                detail: Callable[[int], bool] | None = None) -> Iterator[EpochRecord]:
        """Epochs until the configured count, divergence or cancellation."""
        for records in train_together([self], control, detail):
            yield records[0]


def apply_changes(trainers: Sequence[Trainer], changes: dict) -> None:
    """λ and the regularizer are the first trainer's own setting (the others are comparisons with
    a setting of their own, e.g. λ = 0 or l2 beside l1); lr and the epoch count apply to all."""
    own = ("lam", "regularizer")
    for i, trainer in enumerate(trainers):
        trainer.apply(changes if i == 0 else {k: v for k, v in changes.items() if k not in own})


def train_together(trainers: Sequence[Trainer], control: Control | None = None,
                   detail: Callable[[int], bool] | None = None,
                   on_block: Callable[[], None] | None = None) -> Iterator[list[EpochRecord]]:
    """Advance several trainers in lockstep, one epoch each per iteration, until all are done.

    With a ``control``: waits while paused (calling ``on_block`` first), stops when cancelled (also
    between mini-batches), and applies the changes asked for (see :func:`apply_changes`).
    ``detail(epoch)`` says which epochs carry the detail fields. A trainer that is done (finished
    or diverged) repeats its last record while the others go on. Called again after all were done
    (e.g. once the epoch count was raised), it goes on from where they stopped.
    """
    stop = (lambda: control.cancelled) if control is not None else None
    last: list[EpochRecord | None] = [t.last_record for t in trainers]
    while not all(t.done for t in trainers):
        if control is not None:
            if not control.wait(on_block):
                return
            apply_changes(trainers, control.take_changes())
        for i, trainer in enumerate(trainers):
            if not trainer.done:
                last[i] = trainer.run_epoch(detail=bool(detail and detail(trainer.epoch + 1)), stop=stop)
        if control is not None and control.cancelled:
            return
        yield list(last)  # type: ignore[arg-type]
