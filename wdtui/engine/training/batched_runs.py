"""The runs of one ``wdtui run`` (several λ, several regularizers) trained as one batched model.

Where the model batches (:func:`~.batched.batchable`: Linear, LayerNorm, Conv2d, MaxPool2d,
Flatten, activation and dropout layers; regression or classification), the runs are the copies
of one :class:`~.batched.BatchedTrainer`: copy k makes exactly the updates of its lone
:class:`~.trainer.Trainer` (its own regularizer, λ and dropout p, its masks drawn as the lone run
draws them). Each copy yields the lone run's records — losses, ‖w‖, layer norms, zeros, penalty,
angular update, and for classification the train and test accuracy (counts of right predictions
over the set's size, exact integers) — at the epochs of the same
:class:`~.trainer.MeasureSchedule`, and its history ends where the lone run would stop: at the
measured epoch where it diverged. The tests check every copy against its lone run to 1e-10 in
float64.
"""

from __future__ import annotations

import math
import time
from typing import Callable, Iterator, Sequence

import torch

from ..experiment import Experiment
from .batched import BatchedTrainer, batchable
from .metrics import AngleReference, angle
from .models import scale_invariant
from .records import EpochRecord, is_diverged
from .trainer import epoch_seconds, measure_schedule, smoothed_rate


def records_as_lone(experiment: Experiment) -> bool:
    """Whether :class:`BatchedRuns` records everything the lone runs of ``experiment`` would: the
    model batches (:func:`~.batched.batchable`), the solver trains (gd), and no scale-invariant
    layer is trained in mini-batches — the angle per step that a lone trainer records there
    (``step_angular_update``, the equilibrium lesson's measure) is not measured on batched copies."""
    cfg = experiment.config
    if cfg.solver != "gd" or not batchable(experiment):
        return False
    minibatch = cfg.effective_batch_size < len(experiment.data.x_train)
    return not (minibatch and scale_invariant(experiment.base_model))


class BatchedRuns:
    """``runs``: (regularizer, λ) pairs, trained together; ``dropouts``: each run's dropout p
    (None, or an entry None: the config's p, as ``Trainer``'s ``dropout``)."""

    def __init__(self, experiment: Experiment, runs: Sequence[tuple[str, float]],
                 dropouts: Sequence[float | None] | None = None):
        p = experiment.config.dropout
        self.dropouts = [p if d is None else float(d) for d in (dropouts or [None] * len(runs))]
        self.batch = BatchedTrainer([experiment], [lam for _, lam in runs],
                                    regularizers=[regularizer for regularizer, _ in runs], dropouts=self.dropouts)
        self.copies = len(runs)
        self.epochs = experiment.config.epochs
        self.epoch = 0
        self.epochs_per_s = 0.0
        self._ended: float | None = None  # when the last epoch ended (perf_counter)
        self.lr = experiment.config.lr
        self.schedule = measure_schedule(experiment)
        self.decayed_names = list(experiment.decayed_names)
        params = dict(experiment.base_model.named_parameters())
        self._weight_names = [n for n, p in params.items() if p.dim() >= 2]
        self._weights = [self.batch.params[n] for n in self._weight_names]
        with torch.no_grad():  # each copy's weight directions at the schedule's last measurement
            self._angles_from = AngleReference([self._unit(w) for w in self._weights])
        self.ended = [False] * self.copies  # diverged at a measurement: its history has ended

    @staticmethod
    def _unit(w: torch.Tensor) -> torch.Tensor:
        flat = w.flatten(1)
        return flat / torch.linalg.vector_norm(flat, dim=1, keepdim=True)

    @property
    def done(self) -> bool:
        return self.epoch >= self.epochs or all(self.ended)

    def run_epoch(self, stop: Callable[[], bool] | None = None, progress: Callable[[int, float], None] | None = None,
                  shown: bool = False, measure: Callable[[], list] | None = None) -> list[EpochRecord | None] | None:
        """One epoch of every copy; its records when the schedule measures this epoch, ``shown``
        asks for it, or a step was refused (None for a copy whose history has ended), else None.
        ``stop`` is polled between mini-batches: once it says stop, nothing is measured and None
        is returned. ``progress(epoch, share)`` after each mini-batch, the share of the epoch
        done. ``measure``: what measures the copies (default :meth:`measure`; the app's live pair
        adds its detail fields), timed with the epoch as a lone trainer's measurement is."""
        started = time.perf_counter()
        epoch = self.epoch + 1
        batches = math.ceil(self.batch._n_train / self.batch._batch)
        done, stopped = [0], [False]

        def after_step() -> bool:  # BatchedTrainer polls this after every mini-batch step
            done[0] += 1
            if progress is not None:
                progress(epoch, done[0] / batches)
            stopped[0] = stop is not None and stop()
            return stopped[0]

        self.batch.train_epoch(after_step if stop is not None or progress is not None else None)
        self.epoch = self.batch.epoch = epoch
        if stopped[0]:
            return None
        overflowed = all(self.batch.diverged)  # a step PyTorch refused (η too large for the dtype)
        due = shown or self.schedule.due(self.epoch, self.epochs) or overflowed
        records = (measure or self.measure)() if due else None
        seconds, self._ended = epoch_seconds(started, self._ended)
        self.epochs_per_s = smoothed_rate(self.epochs_per_s, seconds, self.epoch == 1)
        for record in records or []:
            if record is not None:
                record.epochs_per_s = self.epochs_per_s
        return records

    def records(self, stop: Callable[[], bool] | None = None) -> Iterator[list[EpochRecord | None]]:
        """The measured epochs until the epoch count or every copy's divergence."""
        while not self.done:
            records = self.run_epoch(stop)
            if records is not None:
                yield records

    @torch.no_grad()
    def measure(self) -> list[EpochRecord | None]:
        """Every copy's record after ``self.epoch`` epochs, in one host transfer."""
        batch = self.batch
        rows, sets = batch.measured_rows()
        stats = len(rows)
        units = [self._unit(w) for w in self._weights]
        reference = self._angles_from
        rows += [torch.linalg.vector_norm(u - before, dim=1) for u, before in zip(units, reference.base(self.epoch))]
        if not reference.again(self.epoch) and (self.schedule.due(self.epoch, self.epochs) or all(batch.diverged)):
            reference.move(self.epoch, units)
        values = torch.stack(rows).tolist()  # the one sync
        width = 3 if batch._uses_l1 else 2
        # classification: the counts of right predictions on train and test, last of the stats
        hits = values[stats - 2:stats] if batch._classes is not None else None
        records: list[EpochRecord | None] = []
        previous = list(batch.diverged)
        for k in range(self.copies):
            if self.ended[k]:
                records.append(None)
                continue
            layer = [math.sqrt(values[sets + i * width][k]) for i in range(len(self.decayed_names))]
            nonzero = sum(values[sets + i * width + 1][k] for i in range(len(self.decayed_names)))
            l1 = sum(values[sets + i * width + 2][k] for i in range(len(self.decayed_names))) if width == 3 else 0.0
            norm = math.sqrt(sum(v * v for v in layer))
            train = values[0][k]
            zeros = int(sum(batch._numel) - nonzero) if math.isfinite(nonzero) else 0
            diverged = previous[k] or is_diverged(train, norm, batch.initial_loss[k])
            regularizer = batch.copy_regularizers[k]
            lam = batch.copy_lambdas[k]
            records.append(EpochRecord(
                epoch=self.epoch, lam=lam, lr=self.lr, train_loss=train, test_loss=values[1][k],
                penalty=regularizer.penalty_value(lam, norm, l1), weight_norm=norm,
                layer_norms=dict(zip(self.decayed_names, layer)), zeros=zeros, epochs_per_s=0.0,
                diverged=diverged, dropout=self.dropouts[k], regularizer=regularizer.name,
                train_accuracy=None if hits is None else hits[0][k] / batch._n_train,
                test_accuracy=None if hits is None else hits[1][k] / batch._n_test,
                angular_update={n: angle(values[stats + j][k]) for j, n in enumerate(self._weight_names)},
            ))
            self.ended[k] = diverged
        return records

    def state_dict(self, k: int) -> dict[str, torch.Tensor]:
        """Copy k's parameters as its lone run's model's state_dict, on the CPU."""
        return {name: p[k].detach().cpu().clone() for name, p in self.batch.params.items()}
