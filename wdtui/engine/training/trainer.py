"""The trainer: one model, one regularizer, one λ; yields one :class:`EpochRecord` per epoch.

An epoch is one pass over the training set: full batch, or mini-batches in a fresh random order
(a shuffled index tensor on the device; no DataLoader). Each step is::

    loss = L_data(model(x), y) [+ λ/2·Σ‖w‖² for l2]
    loss.backward()
    regularizer.before_step   # coupled: g += λ·w;  decoupled: w *= 1 − η·λ
    optimizer.step()          # SGD (momentum) or Adam as in torch.optim, no weight decay
    regularizer.after_step    # l1: soft-threshold by η·λ

After the epochs of its measurement schedule (:class:`MeasureSchedule`: every epoch at first, then
spaced where measuring costs more than training, always the last) the model is evaluated
(dropout off) on train, test (and the plotting grid) in one forward pass — in chunks of ``EVAL_CHUNK`` examples for large image sets — and every number is
brought to the host in one transfer. With full-batch training and no dropout the training set
gets a pass of its own, with autograd on, which the next step uses as its forward pass (the same
operation on the same parameters; discarded if a parameter changed in between). For classification that includes the train and test
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
from typing import Callable, Iterable, Iterator, Sequence

import torch
import torch.nn.functional as F

from ..data.dataset import shown_rows
from ..experiment import SMALL_WORK, Experiment, work_per_step
from .control import Control
from .metrics import (AngleReference, angle, angle_stats, confusion, grad_histograms, histograms, summarize,
                      unit_tensors, weight_stats)
from .models import dropout_generator, forward_function, no_dropout_layers, scale_invariant, set_dropout
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
        loss = squared_errors(pred, target, MEAN)
        return loss if self.scale == 1.0 else self.scale * loss

    def per_sample(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Unscaled per-sample losses: (N, 1) for squared losses, (N,) for cross-entropy."""
        if self.name == "cross_entropy":
            return F.cross_entropy(pred, target, reduction="none")
        return squared_errors(pred, target, NONE)


NONE, MEAN, SUM = 0, 1, 2  # reductions as ATen numbers them (torch.nn._reduction.get_enum)


def squared_errors(pred: torch.Tensor, target: torch.Tensor, reduction: int) -> torch.Tensor:
    """``F.mse_loss(pred, target)``: (ŷ − y)², per element (``NONE``) or their mean (``MEAN``).
    Where the shapes are equal, the kernel F.mse_loss ends in, called directly: F.mse_loss first
    broadcasts the pair (the identity for equal shapes) through two Python functions and an
    operation, a few µs of a sine epoch's ~200."""
    if pred.shape == target.shape:
        return torch._C._nn.mse_loss(pred, target, reduction)
    return F.mse_loss(pred, target, reduction="mean" if reduction == MEAN else "none")


LOSSES = {"mse": Loss("mse", 1.0), "half_mse": Loss("half_mse", 0.5),
          "cross_entropy": Loss("cross_entropy", 1.0)}
EVAL_CHUNK = 4096  # examples per forward pass when evaluating (bounds conv activations' memory)

RATE_SMOOTHING = 0.1  # weight of the newest epoch in the epochs/s moving average
EARLY_EPOCHS = 10  # every one of a run's first epochs is measured, whatever measuring costs


@dataclass(frozen=True)
class MeasureSchedule:
    """Which epochs a run measures (evaluates and records): every epoch up to ``early``, then
    every ``every``-th (epoch % every == 0), and always the last epoch of the run. An epoch that
    ends the run otherwise (a step PyTorch refused) is measured too; a NaN/inf that appears in an
    unmeasured epoch persists and is caught at the next measured one. The history holds the
    measured epochs only; its ``epoch`` column says which they are, and JSON documents carry the
    schedule as ``measured_epochs`` (:meth:`to_dict`)."""

    every: int = 1
    early: int = EARLY_EPOCHS

    def due(self, epoch: int, last: int) -> bool:
        return epoch <= self.early or epoch % self.every == 0 or epoch >= last

    def to_dict(self) -> dict[str, int]:
        return {"every_epoch_to": self.early, "then_every": self.every}


def measure_schedule(experiment: Experiment) -> MeasureSchedule:
    """Measure every epoch where that is cheap; else space the measurements so that measuring
    takes at most about a quarter of the time (a third of the training time).

    Measuring is one forward pass over the N_eval train + test (+ validation) examples; an epoch's
    training is a forward and a backward pass over the N_train training examples, about 3 forward
    passes. So measuring every ``every`` = ⌈N_eval / N_train⌉ epochs costs at most a third of
    training. It applies only when one measurement is more than ``SMALL_WORK`` multiply-adds
    (models and sets where measuring is not lost in per-operation overhead): the digits CNN on
    300 training and 1,497 test images is measured every 6th epoch after the first 10; the sine,
    d2l and other MLP presets every epoch."""
    data = experiment.data
    n_train = len(data.x_train)
    n_eval = n_train + len(data.x_test) + (0 if data.x_val is None else len(data.x_val))
    if work_per_step(experiment.base_model, n_eval) < SMALL_WORK:
        return MeasureSchedule()
    return MeasureSchedule(every=max(1, math.ceil(n_eval / n_train)))


def is_overflow(error: RuntimeError) -> bool:
    """PyTorch's refusal of a scalar (η, λ, η·λ) that its dtype cannot hold, e.g. "value cannot
    be converted to type float without overflow" or "lambda must be in range [0, 3.40282e+38]"."""
    text = str(error)
    return "without overflow" in text or ("must be in range" in text and "e+38" in text)


PAUSE_S = 1.0  # a gap between two epochs longer than this is a pause, not part of an epoch's time


def smoothed_rate(previous: float, seconds: float, first: bool) -> float:
    """epochs/s as 1 / an exponential moving average of the epochs' durations. (An average of the
    rates 1/duration overstates a mix of fast and slow epochs, e.g. digits' unmeasured epochs
    beside its measured ones: 10 ms and 60 ms average 35 ms, 29 epochs/s, while their rates
    average 58.)"""
    seconds = max(seconds, 1e-9)
    if first or previous <= 0:
        return 1.0 / seconds
    return 1.0 / ((1 - RATE_SMOOTHING) / previous + RATE_SMOOTHING * seconds)


def epoch_seconds(started: float, previous_end: float | None) -> tuple[float, float]:
    """(an epoch's seconds, its end) for an epoch begun at ``started`` (perf_counter): from the
    previous epoch's end where that is closer than ``PAUSE_S``, so that what the caller does
    between epochs (posting to the screen, waiting for the screen's thread) counts as the user
    waits for it; else from its own start (after a pause)."""
    now = time.perf_counter()
    since = previous_end if previous_end is not None and started - previous_end < PAUSE_S else started
    return now - since, now


class KeptPass:
    """The measurement's forward pass on the training set, kept (made with autograd on) for the
    next full-batch step, which would make the same pass: the same operations on the same
    parameters and input. The step takes it only if no parameter has changed since (each in-place
    change raises a tensor's version counter), and only once. Used by the lone trainer and the
    batched copies alike."""

    def __init__(self, params: Iterable[torch.Tensor], x_train: torch.Tensor):
        self.params, self.x_train = list(params), x_train
        self._kept: tuple[torch.Tensor, list[int]] | None = None

    @property
    def out(self) -> torch.Tensor | None:
        """The pass kept, if any."""
        return None if self._kept is None else self._kept[0]

    def _versions(self) -> list[int]:
        return [p._version for p in self.params]

    def keep(self, out: torch.Tensor) -> None:
        self._kept = (out, self._versions())

    def take(self, x: torch.Tensor) -> torch.Tensor | None:
        """The kept pass when ``x`` is the training set and no parameter changed since; else None
        (the caller forwards). Either way nothing stays kept."""
        kept, self._kept = self._kept, None
        if kept is not None and x is self.x_train and kept[1] == self._versions():
            return kept[0]
        return None


class Trainer:
    """One run. ``dropout`` sets the model's dropout p for this run (None: the config's; a model
    built without dropout layers accepts only None or 0); ``optimizer`` its optimizer (None: the
    config's; same lr and momentum)."""

    def __init__(self, experiment: Experiment, regularizer: str | None = None, lam: float | None = None,
                 dropout: float | None = None, optimizer: str | None = None):
        cfg = experiment.config
        self.experiment = experiment
        self.regularizer = make_regularizer(regularizer or cfg.regularizer, cfg.decay_convention)
        self.lam = float(cfg.lam if lam is None else lam)
        self.lr = cfg.lr
        self.epochs = cfg.epochs
        self.epoch = 0
        self.diverged = False
        self.epochs_per_s = 0.0
        self._ended: float | None = None  # when the last epoch ended (perf_counter)
        self.last_record: EpochRecord | None = None
        self.model = experiment.new_model()
        self.dropout = cfg.dropout if dropout is None else float(dropout)
        # the masks come from the run's own generator (models.dropout_generator): a batched copy
        # with the same seed draws the same ones
        has_dropout = set_dropout(self.model, self.dropout, dropout_generator(cfg.seed, experiment.device))
        if self.dropout > 0 and not has_dropout:
            raise no_dropout_layers(cfg.dropout)
        self._forward = forward_function(self.model)
        named = dict(self.model.named_parameters())
        self.decayed_names = list(experiment.decayed_names)
        self.decayed = [named[n] for n in self.decayed_names]
        self.optimizer_name = optimizer or cfg.optimizer
        self.optimizer = make_optimizer(self.optimizer_name, self.model.parameters(), cfg.lr, cfg.momentum,
                                        cfg.betas)
        self.loss_fn = LOSSES[cfg.loss]
        self._weights = {n: p for n, p in named.items() if p.dim() >= 2}
        self._initial = {n: p.detach().clone() for n, p in self._weights.items()}
        self._weight_list = list(self._weights.values())
        # where each weight matrix is among the decayed tensors (split_decay decays every tensor
        # of dim ≥ 2), so that its norm, measured for the record, also gives its direction
        self._weight_index = [self.decayed_names.index(n) for n in self._weights if n in self.decayed_names]
        if len(self._weight_index) != len(self._weights):
            self._weight_index = None
        with torch.no_grad():  # directions of the weight matrices at the schedule's last measurement
            self._angles_from = AngleReference(unit_tensors(self._weight_list) if self._weights else [])
        # Scale-invariant layers trained in mini-batches: their angle per step, root-mean-square
        # over the epoch (the equilibrium's prediction is per step and for E[θ²]; see
        # lessons/equilibrium.py; the epoch's angle is not k times it)
        # (the layer's weight and bias together: LN(c·(W·x + b)) = LN(W·x + b) for the pair, not for W alone)
        self._invariant = [n for n in scale_invariant(self.model) if n in self._weights]
        self._invariant_pairs = [[named[n]] + ([named[n[:-len("weight")] + "bias"]]
                                                if n[:-len("weight")] + "bias" in named else [])
                                 for n in self._invariant]
        with torch.no_grad():
            self._step_units = unit_tensors(self._invariant_vectors()) if self._invariant else []
        self._step_angles = torch.zeros(len(self._invariant), dtype=experiment.dtype, device=experiment.device)
        self._steps = 0  # steps whose angles _step_angles holds (since the last measurement)
        # like the directions (AngleReference), the step angles' sum restarts only at the
        # schedule's epochs; the RMS reported at the last of them, for a repeated measurement
        self._step_angles_then: torch.Tensor | None = None
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
        # Full-batch training without dropout: the measurement's forward pass on the training
        # set is the next step's (same parameters, input and mode), so it runs once, with
        # autograd on, and the next step takes it (:meth:`_prediction`). The training set is
        # then its own chunk (a forward pass's rows do not depend on the other rows).
        self._ahead_ok = self._batch >= self._n_train and not has_dropout and self._n_train <= EVAL_CHUNK
        self._kept_pass = KeptPass(self.model.parameters(), data.x_train)
        head, rest = ([data.x_train], sets[1:]) if self._ahead_ok else ([], sets)
        eval_x = head + together(rest)
        eval_x_grid = eval_x if data.grid_x is None else head + together([*rest, data.grid_x])
        self._chunks = [c for x in eval_x for c in x.split(EVAL_CHUNK)]
        self._chunks_grid = [c for x in eval_x_grid for c in x.split(EVAL_CHUNK)]
        self._eval_y = torch.cat([data.y_train, data.y_test] + ([data.y_val] if self._n_val else []))
        bounds = [0, self._n_train, self._n_train + self._n_test, self._n_train + self._n_test + self._n_val]
        self._n_eval = bounds[-1]
        average = torch.zeros(3 if self._n_val else 2, self._n_eval, dtype=experiment.dtype)
        for row in range(len(average)):
            average[row, bounds[row]:bounds[row + 1]] = 1 / (bounds[row + 1] - bounds[row])
        self._average = average.to(experiment.device)
        self._sets = len(average)  # train, test (and validation)
        self._classes = None if data.classes is None else len(data.classes)
        # the examples whose predictions a detail record carries (all, up to SHOWN_MOST)
        self.shown = (shown_rows(self._n_train, cfg.seed), shown_rows(self._n_test, cfg.seed + 1))
        self._dropout = has_dropout
        self.schedule = measure_schedule(experiment)
        self.overflowed = False  # a step was refused: η, λ or η·λ too large for the dtype
        self._initial_loss: float | None = None  # L₀, taken by the first measurement (see initial_loss)

    @property
    def initial_loss(self) -> float:
        """L₀ of the divergence rule: the training loss of the untrained model. The first
        measurement takes it (the app's first screen, which can be stopped: a CIFAR-10 evaluation
        takes seconds), or :meth:`measure_start` before the first step when nothing measured the start."""
        self.measure_start()
        return self._initial_loss

    def measure_start(self) -> None:
        """Measure the untrained model if nothing has (L₀); a start that is already NaN/inf is
        caught after the first epoch."""
        if self._initial_loss is None:
            self.measure()
            self.diverged = False

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
        if "epochs" in changes:  # never below the epochs trained: those stay trained
            self.epochs = max(int(changes["epochs"]), self.epoch)

    @property
    def done(self) -> bool:
        return self.diverged or self.epoch >= self.epochs

    # --- training --------------------------------------------------------------------------------

    def _prediction(self, x: torch.Tensor) -> torch.Tensor:
        """``model(x)`` with autograd: the measurement's pass where it was kept (:class:`KeptPass`)."""
        kept = self._kept_pass.take(x)
        return kept if kept is not None else self._forward(x)

    def _step(self, x: torch.Tensor, y: torch.Tensor) -> None:
        self.optimizer.zero_grad()
        loss = self.loss_fn(self._prediction(x), y)
        penalty = self.regularizer.loss_penalty(self.decayed, self.lam)
        if penalty is not None:
            loss = loss + penalty
        loss.backward()
        self.regularizer.before_step(self.decayed, self.lam, self.lr)
        self.optimizer.step()
        self.regularizer.after_step(self.decayed, self.lam, self.lr)
        if self._invariant and self._batch < self._n_train:
            self._measure_step_angles()

    def _invariant_vectors(self) -> list[torch.Tensor]:
        """Each scale-invariant layer's weight and bias as one flat vector."""
        return [torch.cat([p.detach().reshape(-1) for p in pair]) for pair in self._invariant_pairs]

    @torch.no_grad()
    def _measure_step_angles(self) -> None:
        """Add each scale-invariant weight's squared angle since the previous step, on the device."""
        self._step_units, chords = angle_stats(self._step_units, self._invariant_vectors())
        self._step_angles += (2 * torch.asin((torch.stack(chords) / 2).clamp(max=1.0))) ** 2
        self._steps += 1

    def train_epoch(self, stop: Callable[[], bool] | None = None,
                    progress: Callable[[int, int], None] | None = None) -> bool:
        """One pass over the training set, without measuring. Mini-batches are slices of a
        shuffled index tensor made on the device: no DataLoader, no host sync per batch.
        ``progress(done, batches)`` is called after each mini-batch (a long epoch's progress).
        True when ``stop`` ended it early."""
        stopped = False
        data = self.experiment.data
        self.measure_start()
        try:
            if self._batch >= self._n_train:
                self._step(data.x_train, data.y_train)
            else:
                order = torch.randperm(self._n_train, generator=self._shuffle, device=self.experiment.device)
                batches = order.split(self._batch)
                for done, index in enumerate(batches, 1):
                    self._step(data.x_train[index], data.y_train[index])
                    if progress is not None:
                        progress(done, len(batches))
                    if stop is not None and stop():
                        stopped = True
                        break
        except RuntimeError as error:
            if not is_overflow(error):
                raise
            self.overflowed = True
        self.epoch += 1
        return stopped

    def measure_due(self) -> bool:
        """Whether the epoch just trained is one the schedule measures (or the step was refused)."""
        return self.schedule.due(self.epoch, self.epochs) or self.overflowed

    def run_epoch(self, detail: bool = False, stop: Callable[[], bool] | None = None,
                  progress: Callable[[int, int], None] | None = None) -> EpochRecord | None:
        """Train one epoch and measure it if the schedule says so or ``detail`` is asked (None
        when not measured). ``stop`` is polled between mini-batches (cancellation in long
        epochs): once it says stop, nothing is measured (an evaluation of a large set takes
        seconds) and None is returned. ``detail`` adds predictions, learned weights and
        weight and gradient histograms. ``progress``: see :meth:`train_epoch`."""
        started = time.perf_counter()
        if self.train_epoch(stop, progress):
            return None
        record = self.measure(detail, stop) if detail or self.measure_due() else None
        seconds, self._ended = epoch_seconds(started, self._ended)
        self.epochs_per_s = smoothed_rate(self.epochs_per_s, seconds, self.epoch == 1)
        if record is not None:
            record.epochs_per_s = self.epochs_per_s
            self.last_record = record
        return record

    @torch.no_grad()
    def measure(self, detail: bool = False, stop: Callable[[], bool] | None = None) -> EpochRecord | None:
        """The record of the model as it is now (after ``self.epoch`` epochs), without training.
        ``stop`` is polled between evaluation chunks (a CIFAR-10 evaluation takes seconds): once
        it says stop, None is returned."""
        if self._dropout:
            self.model.eval()
        chunks = self._chunks_grid if detail else self._chunks
        outs = []
        total = len(chunks)
        if self._ahead_ok:  # the training set's pass, kept for the next step (see _prediction)
            with torch.enable_grad():
                ahead = self._forward(chunks[0])
            self._kept_pass.keep(ahead)
            outs, chunks = [ahead], chunks[1:]  # under no_grad: nothing below joins its graph
        for chunk in chunks:
            if stop is not None and outs and stop():
                break
            outs.append(self._forward(chunk))
        if self._dropout:
            self.model.train()
        if len(outs) < total:
            return None
        out = outs[0] if len(outs) == 1 else torch.cat(outs)
        n_tr, n_te, n_eval = self._n_train, self._n_train + self._n_test, self._n_eval
        scored = out if len(out) == n_eval else out[:n_eval]  # without the plotting grid
        per_sample = self.loss_fn.per_sample(scored, self._eval_y).reshape(-1)
        means = self._average @ per_sample
        numbers = [means if self.loss_fn.scale == 1.0 else self.loss_fn.scale * means]
        if self._classes is not None:
            # Counts of correct predictions, summed as integers (exact on every CPU), sent as
            # floats (exact below 2**24 examples) in the one transfer; accuracy = count / N.
            predicted = scored.argmax(dim=1)
            hit = predicted == self._eval_y
            numbers.append(torch.stack([hit[:n_tr].sum(), hit[n_tr:n_te].sum()]).to(self._average.dtype))
        with_l1 = self.regularizer.uses_l1
        stats = weight_stats(self.decayed, with_l1)
        # the angles since the schedule's previous measurement; a scheduled epoch moves the
        # reference, a shown-only epoch (or the same epoch again) does not
        again = self._angles_from.again(self.epoch)
        advance = not again and self.measure_due()
        units: list[torch.Tensor] = []
        if self._weights:
            norms = None if self._weight_index is None else [stats[i] for i in self._weight_index]
            units, chords = angle_stats(self._angles_from.base(self.epoch), self._weight_list, norms)
            stats += chords
        if stats:
            numbers.append(torch.stack(stats))
        steps = self._steps
        if again and self._step_angles_then is not None:
            numbers.append(self._step_angles_then)
        elif steps:
            numbers.append((self._step_angles / steps).sqrt())
            if advance:
                self._step_angles_then = numbers[-1]
                self._step_angles = torch.zeros_like(self._step_angles)
                self._steps = 0
        if advance:
            self._angles_from.move(self.epoch, units)
        steps = steps or (again and self._step_angles_then is not None)
        values = torch.cat(numbers).tolist()  # one sync
        step_angles = values[len(values) - len(self._invariant):] if steps else []
        values = values[:len(values) - len(step_angles)]
        chords = values[len(values) - len(self._weights):] if self._weights else []
        values = values[:len(values) - len(chords)]
        sets = self._sets
        train, test = values[:2]
        val = values[2] if sets == 3 else None
        accuracy = ([values[sets] / self._n_train, values[sets + 1] / self._n_test] if self._classes is not None
                    else [None, None])
        w = summarize(values[sets + 2 if self._classes is not None else sets:], self.decayed, with_l1)
        start = self._initial_loss is None  # the untrained model: no growth rule for the start itself
        diverged = self.overflowed or is_diverged(train, w.weight_norm, math.inf if start else self._initial_loss)
        if start:
            self._initial_loss = train
        self.diverged = self.diverged or diverged
        record = EpochRecord(
            epoch=self.epoch, lam=self.lam, lr=self.lr, train_loss=train, test_loss=test,
            penalty=self.regularizer.penalty_value(self.lam, w.weight_norm, w.l1_norm),
            weight_norm=w.weight_norm, layer_norms=dict(zip(self.decayed_names, w.layer_norms)),
            zeros=w.zeros, epochs_per_s=0.0, diverged=diverged,
            train_accuracy=accuracy[0], test_accuracy=accuracy[1], dropout=self.dropout, val_loss=val,
            angular_update={n: angle(c) for n, c in zip(self._weights, chords)},
            step_angular_update=dict(zip(self._invariant, step_angles)),
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
        """The measured epochs (:class:`MeasureSchedule`, and those ``detail`` asks for) until the
        configured count, divergence or cancellation."""
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
                   on_block: Callable[[], None] | None = None,
                   progress: Callable[[int, float], None] | None = None) -> Iterator[list[EpochRecord]]:
    """Advance several trainers in lockstep, one epoch each per iteration, until all are done.

    With a ``control``: waits while paused (calling ``on_block`` first), stops when cancelled (also
    between mini-batches), and applies the changes asked for (see :func:`apply_changes`).
    ``detail(epoch)`` says which epochs carry the detail fields (and are measured). It yields after
    each epoch in which some trainer was measured (its schedule, or detail): every trainer's
    latest record. A trainer that is done (finished or diverged), or not measured this epoch,
    repeats its last record while the others go on. Called again after all were done (e.g. once
    the epoch count was raised), it goes on from where they stopped. ``progress(epoch, share)`` is
    called after each mini-batch with the epoch being trained and the share of this round done
    (0 to 1, the trainers' mini-batches counted alike).
    """
    stop = (lambda: control.cancelled) if control is not None else None
    last: list[EpochRecord | None] = [t.last_record for t in trainers]
    while not all(t.done for t in trainers):
        if control is not None:
            if not control.wait(on_block):
                return
            apply_changes(trainers, control.take_changes())
        measured = False
        for i, trainer in enumerate(trainers):
            if not trainer.done:
                within = None if progress is None else (
                    lambda done, batches, i=i, e=trainer.epoch + 1: progress(e, (i + done / batches) / len(trainers)))
                record = trainer.run_epoch(detail=bool(detail and detail(trainer.epoch + 1)), stop=stop,
                                           progress=within)
                if record is not None:
                    last[i], measured = record, True
                if control is not None and control.cancelled:  # the next trainer's epoch too
                    return
        if measured:
            yield list(last)  # type: ignore[arg-type]
