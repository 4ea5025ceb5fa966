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
        self._weight_flats = [self.batch.params[n].detach().flatten(1) for n in self._weight_names]  # views
        # where each weight matrix is among the decayed tensors, whose norms the stats measure
        self._weight_index = [self.decayed_names.index(n) if n in self.decayed_names else None
                              for n in self._weight_names]
        with torch.no_grad():  # each copy's weight directions at the schedule's last measurement
            self._angles_from = AngleReference([self._unit(w) for w in self._weight_flats])
        self.ended = [False] * self.copies  # diverged at a measurement: its history has ended

    @staticmethod
    def _unit(flat: torch.Tensor) -> torch.Tensor:
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
        blocks, sets, norms = batch.measured_columns()
        stats = sum(block.shape[1] for block in blocks)
        # each weight matrix's direction, from its norm where the stats measured it (as the lone
        # trainer's angle_stats): its angle since the reference's directions, as a chord
        units = [flat / (norms[i] if i is not None else torch.linalg.vector_norm(flat, dim=1, keepdim=True))
                 for flat, i in zip(self._weight_flats, self._weight_index)]
        reference = self._angles_from
        blocks += [torch.linalg.vector_norm(u - before, dim=1, keepdim=True)
                   for u, before in zip(units, reference.base(self.epoch))]
        if not reference.again(self.epoch) and (self.schedule.due(self.epoch, self.epochs) or all(batch.diverged)):
            reference.move(self.epoch, units)
        rows = torch.cat(blocks, dim=1).tolist()  # the one sync
        classes = batch._classes is not None  # the counts of right predictions, last of the stats
        records: list[EpochRecord | None] = []
        previous = batch.diverged
        for k, values in enumerate(rows):
            if self.ended[k]:
                records.append(None)
                continue
            layer, zeros, l1 = batch.copy_stats(values, sets)
            norm = math.sqrt(sum(v * v for v in layer))
            train = values[0]
            diverged = previous[k] or is_diverged(train, norm, batch.initial_loss[k])
            regularizer = batch.copy_regularizers[k]
            lam = batch.copy_lambdas[k]
            records.append(EpochRecord(
                epoch=self.epoch, lam=lam, lr=self.lr, train_loss=train, test_loss=values[1],
                penalty=regularizer.penalty_value(lam, norm, l1), weight_norm=norm,
                layer_norms=dict(zip(self.decayed_names, layer)), zeros=zeros, epochs_per_s=0.0,
                diverged=diverged, dropout=self.dropouts[k], regularizer=regularizer.name,
                train_accuracy=values[stats - 2] / batch._n_train if classes else None,
                test_accuracy=values[stats - 1] / batch._n_test if classes else None,
                angular_update=dict(zip(self._weight_names, map(angle, values[stats:]))),
            ))
            self.ended[k] = diverged
        return records

    def state_dict(self, k: int) -> dict[str, torch.Tensor]:
        """Copy k's parameters as its lone run's model's state_dict, on the CPU."""
        return {name: p[k].detach().cpu().clone() for name, p in self.batch.params.items()}
