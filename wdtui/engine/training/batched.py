"""K copies of a model trained as one: the λ sweep.

Every parameter of the preset's model gets a leading dimension K; copy k has its own λ_k and,
with several seeds, its own seed's data and initialization. The forward pass runs the model's
own layers (Linear → batched matmul, LayerNorm, activations) on the stacked parameters. The
per-copy losses are summed before ``backward``, so copy k's gradient is exactly its own run's
gradient; SGD and Adam act elementwise and the regularizers take λ per copy, so every copy makes
exactly the update a single ``wdtui run`` at λ_k would make (the tests check it to 1e-10).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from ..config import ConfigError
from ..experiment import EVAL_CHUNK, SMALL_WORK, Experiment, auto_threads, set_threads, work_per_step
from .models import (ACTIVATIONS, Dropout, channels_last, dropout_generator, dropout_scale, layer_function,
                     no_dropout_layers, pooled_first)
from .optimizers import make_optimizer
from .records import is_diverged
from .regularizers import make_regularizer
from .trainer import LOSSES, SUM, KeptPass, epoch_seconds, is_overflow, smoothed_rate

ELEMENTWISE = tuple(cls for cls in ACTIVATIONS.values() if cls is not None)
# Multiply-adds per step above which a sweep uses torch's threads: 16 copies of the sine model
# (~3·10⁵) ran 15 % faster on 2 threads than on 1 on the reference machine.
THREADED_WORK = 1 << 18
# Stacked filters (K·C_out) from which a conv on shared images is one matrix product
# (shared_conv): with fewer, oneDNN's convolution evaluated faster (digits CNNs, 1,797 images,
# oneDNN against the matrix product, one cnn_batching run each: K = 2 15 against 18 ms, K = 4 23
# against 25 ms, K = 8 51 against 51 ms; K = 16 see shared_conv).
MATMUL_FILTERS = 128


def check_batchable(model: nn.Module, preset: str, task: str = "regression") -> None:
    """The batched trainer stacks Sequential models (regression or classification) of Linear,
    LayerNorm, Conv2d, MaxPool2d, Flatten, activation and dropout layers (``models.Dropout``, whose
    masks a copy can draw from its own run's generator; dropout on images is not built);
    ConfigError names what else a model has."""
    layers = list(model.children()) if isinstance(model, nn.Sequential) else [model]
    for layer in layers:
        if not isinstance(layer, (nn.Linear, nn.LayerNorm, nn.Conv2d, nn.MaxPool2d, nn.Flatten, Dropout,
                                  *ELEMENTWISE)):
            raise ConfigError("preset", f"the sweep batches models made of Linear, LayerNorm, Conv2d, "
                              f"MaxPool2d, Flatten, dropout and activation layers; preset {preset} has "
                              f"{type(layer).__name__}")


def batchable(experiment: Experiment) -> bool:
    try:
        check_batchable(experiment.base_model, experiment.config.preset, experiment.config.task)
    except ConfigError:
        return False
    return True


def copies_are_cheap(experiment: Experiment) -> bool:
    """Whether K batched copies cost about one run: the model batches and one step is below
    ``SMALL_WORK`` multiply-adds, where per-operation overhead, not arithmetic, sets the time
    (the MLP presets). A CNN's copies batch too, but each adds its arithmetic (16 digits CNNs
    cost about 6 single runs per step as the batched model, 16 in a loop:
    benchmarks/cnn_batching.py)."""
    cfg = experiment.config
    return batchable(experiment) and work_per_step(experiment.base_model, cfg.effective_batch_size) < SMALL_WORK


def sweep_trainer(experiments: list[Experiment], lambdas: list[float], regularizer: str | None = None,
                  lrs: list[float] | None = None):
    """The trainer of a sweep: every copy as one batched model where the model allows it, else
    (layers it does not stack) one ordinary trainer per copy, in turn; with the
    exact solver one closed-form solve per copy."""
    if experiments[0].config.solver == "exact":
        from .looped import LoopedTrainer
        from .solvers import ExactSolver

        return LoopedTrainer(experiments, lambdas, regularizer, lrs, make=ExactSolver)
    if batchable(experiments[0]):
        return BatchedTrainer(experiments, lambdas, regularizer, lrs)
    from .looped import LoopedTrainer

    return LoopedTrainer(experiments, lambdas, regularizer, lrs)


class BatchedModel:
    """The layers of ``model`` applied to stacked parameters ``params[name]`` of shape (K, …).
    Inputs are (N, …) for one example's shape (…), shared by every copy, or (K, N, …); outputs
    are (K, N, out).

    Images go through the convolutions as one image of K·C channels, copy k's channels
    k·C … k·C + C − 1 (the grouped layout, (N, K·C, H, W)): a conv on the shared input is one
    conv with the K copies' filters stacked (K·C_out filters; from ``MATMUL_FILTERS`` of them one
    matrix product of the images' patches with the filters, :func:`shared_conv`), every later
    conv a grouped conv (groups = K: copy k's filters see only copy k's channels), in the
    channels-last memory layout (:func:`channels_last`); max-pooling and activations act per
    channel. Flatten takes each
    copy's channels in the lone model's (C, H, W) order, to (K, N, C·H·W). Each copy computes
    exactly its lone model's function.

    Dropout (``train=True`` only; on (K, N, F) activations): copy k's factor is
    ``models.dropout_scale(u, p_k)`` with u drawn as its lone run draws it,
    ``torch.rand((N, F), generator)`` from its seed's generator (``generators[seed_of[k]]``), one draw
    per seed per layer per step in the model's order: copies of one seed share u (their lone runs
    draw the same numbers), and a copy at p = 0 is multiplied by 1 exactly.

    A Linear layer is ``baddbmm(b, h, Wᵀ)``; one with a single input (the 1-D presets' first
    layer) is ``b + x·wᵀ`` as one broadcast ``addcmul`` over (N, 1) × (K, 1, out): the same
    sums of one product each, and on the CPU 4× faster than a batched matrix product whose inner
    dimension is 1 (2.4 against 9.5 µs for 2 sine copies on 100 examples)."""

    def __init__(self, model: nn.Sequential, params: dict[str, torch.Tensor], shared: bool = True,
                 dropout: torch.Tensor | None = None, generators: list[torch.Generator] | None = None,
                 seed_of: torch.Tensor | None = None):
        self.layers = list(model.children())
        self.params = params
        self.copies = next(iter(params.values())).shape[0]
        self.shared = shared  # inputs (N, …) shared by every copy, else (K, N, …)
        # p per copy as (K, 1, 1), None when no copy drops anything
        self.dropout = dropout.view(-1, 1, 1) if dropout is not None and bool((dropout > 0).any()) else None
        self.generators = generators or []
        self.seed_of = seed_of
        # ReLU directly followed by MaxPool2d: pooled first (models.pooled_first, the same numbers)
        self._pool_first = pooled_first(self.layers)
        self._skip = {i + 1 for i in self._pool_first}
        # each layer's stacked parameters and (activations) its torch function, looked up once
        self._stacked = [(params.get(f"{i}.weight"), params.get(f"{i}.bias")) for i in range(len(self.layers))]
        self._functions = [layer_function(layer) for layer in self.layers]

    def _drop(self, h: torch.Tensor) -> torch.Tensor:
        shape = h.shape[1:]
        u = torch.stack([torch.rand(shape, generator=g, dtype=h.dtype, device=h.device) for g in self.generators])
        return h * dropout_scale(u if len(self.generators) == 1 else u[self.seed_of], self.dropout)

    def __call__(self, x: torch.Tensor, train: bool = False) -> torch.Tensor:
        h, k = x, self.copies
        example = x.dim() - (1 if self.shared else 2)  # dimensions of one example
        if example == 1:
            layout = "flat"  # (N, in) shared or (K, N, in)
        elif self.shared:
            layout = "shared image"  # (N, C, H, W), or (N, H, W) before a Flatten
        elif example == 3:  # (K, N, C, H, W): each copy its own images, to the grouped layout
            h, layout = x.transpose(0, 1).flatten(1, 2), "grouped"
        else:
            layout = "copies image"  # (K, N, H, W) before a Flatten
        layers = self.layers
        for i, layer in enumerate(layers):
            if i in self._skip:
                continue
            if isinstance(layer, nn.Conv2d):
                weight, bias = self._stacked[i]
                if (layout == "shared image" and weight.shape[0] * weight.shape[1] >= MATMUL_FILTERS
                        and layer.padding_mode == "zeros" and not isinstance(layer.padding, str)):
                    h = shared_conv(h, layer, weight, bias)
                else:
                    h = F.conv2d(channels_last(h), weight.flatten(0, 1), bias.flatten(), layer.stride, layer.padding,
                                 layer.dilation, k if layout == "grouped" else 1)
                layout = "grouped"
            elif i in self._pool_first:  # ReLU → MaxPool2d as MaxPool2d → ReLU: the same numbers
                h = F.relu(layers[i + 1](h))
            elif isinstance(layer, nn.Flatten):
                if layout == "grouped":
                    h = h.reshape(h.shape[0], k, -1).transpose(0, 1)  # (K, N, C·H·W)
                elif layout != "flat":
                    h = h.flatten(1) if layout == "shared image" else h.flatten(2)
                layout = "flat"
            elif isinstance(layer, nn.Linear):
                weight, bias = self._stacked[i]
                if weight.shape[2] == 1:  # one input: b + x·w, an outer product (below)
                    h = torch.addcmul(bias.unsqueeze(1), h, weight.transpose(1, 2))
                    continue
                if h.dim() == 2:  # shared input: the same (N, in) for every copy (a view, no copy)
                    h = h.expand(weight.shape[0], *h.shape)
                h = torch.baddbmm(bias.unsqueeze(1), h, weight.transpose(1, 2))
            elif isinstance(layer, nn.LayerNorm):
                h = F.layer_norm(h, layer.normalized_shape, eps=layer.eps)
                weight, bias = self._stacked[i]
                h = h * weight.unsqueeze(1) + bias.unsqueeze(1)
            elif isinstance(layer, nn.Dropout):
                if train and self.dropout is not None:
                    if layout != "flat" or h.dim() != 3:
                        raise ValueError("the batched model drops (K, N, F) activations only")
                    h = self._drop(h)
            else:
                h = self._functions[i](h)
        return h


def shared_conv(x: torch.Tensor, layer: nn.Conv2d, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """The K copies' ``layer`` (stacked ``weight`` (K, C_out, C, kh, kw), ``bias`` (K, C_out)) on
    images x (N, C, H, W) that every copy shares, as one matrix product:

        out[n, p, k·C_out + o] = b[k, o] + Σ_(c,i,j) W[k, o, c, i, j] · x[n, c, p + (i, j)]

    the patches (N·H'·W', C·kh·kw) (``F.unfold``: column c·kh·kw + i·kw + j, the order of a
    filter's entries) times the stacked filters (C·kh·kw, K·C_out). The result (N, H', W', K·C_out)
    is returned as (N, K·C_out, H', W'): the grouped layout, channels-last in memory. The filters'
    gradient is patchesᵀ · ∂out, a product with the K·C_out columns as the wide side (the
    filters are made contiguous so that autograd takes that orientation; the other one ran 2–4×
    slower); the data need no gradient. On the 16 digits CNNs (1 → 16 channels of 8×8), against
    PyTorch's convolution (oneDNN, whose kernel for one input channel is slow there), on the
    2-core reference machine (CPU time, one thread, load 1–3): in six runs of
    benchmarks/cnn_batching.py evaluating 1,797 images took 16–37 % less time in four (e.g. 54
    against 64 ms, 69 against 110 ms), 3 % and 6 % more in two; the sweep's own measurement
    (``BatchedTrainer.measure``, 9 alternating rounds) a median of 77 against 92 ms; a training
    step the same within the noise (±5 %). Used from ``MATMUL_FILTERS`` stacked filters."""
    rows = [(x.shape[2 + d] + 2 * layer.padding[d] - layer.dilation[d] * (layer.kernel_size[d] - 1) - 1)
            // layer.stride[d] + 1 for d in (0, 1)]
    patches = F.unfold(x, layer.kernel_size, layer.dilation, layer.padding, layer.stride)  # (N, C·kh·kw, H'·W')
    patches = patches.transpose(1, 2).reshape(-1, patches.shape[1])
    filters = weight.flatten(0, 1).flatten(1).t().contiguous()  # (C·kh·kw, K·C_out)
    out = torch.addmm(bias.flatten(), patches, filters)
    return out.view(x.shape[0], *rows, -1).permute(0, 3, 1, 2)


@dataclass
class SweepRecord:
    """One epoch of a sweep: one value per copy."""

    epoch: int
    train_loss: list[float]
    test_loss: list[float]
    weight_norm: list[float]
    penalty: list[float]
    zeros: list[int]
    diverged: list[bool]
    epochs_per_s: float = 0.0
    test_accuracy: list[float] | None = None  # classification only
    val_loss: list[float] | None = None  # with a validation set (sweeps build one)
    weights: list[list[float]] | None = None  # linear regression models: each copy's learned w


class SweepEpochs:
    """What every sweep trainer shares: an epoch for every copy, measured only when asked (and at
    the last epoch), the epochs/s average, and when the sweep is done. A subclass provides
    ``train_epoch()`` (one pass for every copy), ``measure()``, ``epochs`` and ``diverged``."""

    epoch = 0
    epochs_per_s = 0.0
    _ended: float | None = None  # when the last epoch ended (perf_counter)

    @property
    def done(self) -> bool:
        return self.epoch >= self.epochs or all(self.diverged)

    def run_epoch(self, measure: bool = True, stop: Callable[[], bool] | None = None) -> SweepRecord | None:
        """One epoch for every copy. Measuring is the costly part of a sweep's epoch (a forward
        pass of every copy over train and test), so callers may ask for it only when they show
        or keep the numbers; a NaN/inf is caught at the next measurement (it persists).
        ``stop`` is polled between mini-batches and copies: a cancelled sweep stops within a
        step (the epoch is then unfinished, and nothing is measured)."""
        started = time.perf_counter()
        self.train_epoch(stop)
        if stop is not None and stop():
            return None
        self.epoch += 1
        record = self.measure() if measure or self.epoch >= self.epochs else None
        seconds, self._ended = epoch_seconds(started, self._ended)
        self.epochs_per_s = smoothed_rate(self.epochs_per_s, seconds, self.epoch == 1)
        if record is not None:
            record.epochs_per_s = self.epochs_per_s
        return record


class BatchedTrainer(SweepEpochs):
    """Copies k = (s·R + r)·L + l: seed s (one experiment each), learning rate η_r (R = 1 and
    the config's lr unless ``lrs`` is given: an (lr, λ) grid), λ_l. Same config otherwise.

    ``regularizers`` (one name per λ_l; the runs of ``wdtui run``): copy k follows its own
    regularizer. Each regularizer present acts on every copy, with λ_k on the copies that follow
    it and λ = 0 on the others, where it changes nothing exactly (g + 0·w = g, w·(1 − η·0) = w,
    the soft-threshold S(w, 0) = w, a penalty 0·‖w‖ adds a zero gradient).

    ``dropouts`` (one p per λ_l, like ``regularizers``; None: the config's p for every copy): copy
    k's dropout p, its masks drawn as its lone run draws them (:class:`BatchedModel`)."""

    def __init__(self, experiments: list[Experiment], lambdas: list[float], regularizer: str | None = None,
                 lrs: list[float] | None = None, regularizers: list[str] | None = None,
                 dropouts: list[float] | None = None):
        first = experiments[0]
        cfg = first.config
        check_batchable(first.base_model, cfg.preset)
        self.experiments = experiments
        self.lambdas = [float(v) for v in lambdas]
        self.seeds = len(experiments)
        self.lrs = [float(v) for v in lrs] if lrs else [cfg.lr]
        self.copies = self.seeds * len(self.lrs) * len(self.lambdas)
        self.regularizer = make_regularizer(regularizer or cfg.regularizer, cfg.decay_convention)
        names = regularizers or [self.regularizer.name] * len(self.lambdas)
        self.copy_regularizers = [make_regularizer(names[k % len(self.lambdas)], cfg.decay_convention)
                                  for k in range(self.copies)]
        self.epochs = cfg.epochs
        self.loss_fn = LOSSES[cfg.loss]
        device, dtype = first.device, first.dtype
        if cfg.threads is None and device.type == "cpu":  # K copies: K times the work per step
            work = work_per_step(first.base_model, cfg.effective_batch_size)
            set_threads(auto_threads(work * self.copies, THREADED_WORK))
        seed_of = torch.arange(self.copies, device=device) // (len(self.lrs) * len(self.lambdas))
        self._seed_of = seed_of
        named = [dict(e.base_model.named_parameters()) for e in experiments]
        self.params = {
            name: torch.stack([named[s][name].detach() for s in seed_of.tolist()]).clone().requires_grad_()
            for name in named[0]
        }
        ps = [cfg.dropout] * len(self.lambdas) if dropouts is None else [float(p) for p in dropouts]
        self.copy_dropouts = [ps[k % len(self.lambdas)] for k in range(self.copies)]
        has_dropout = any(isinstance(layer, nn.Dropout) for layer in first.base_model.children())
        if any(self.copy_dropouts) and not has_dropout:  # as the lone Trainer refuses it
            raise no_dropout_layers(cfg.dropout)
        self.model = BatchedModel(first.base_model, self.params, shared=self.seeds == 1,
                                  dropout=torch.tensor(self.copy_dropouts, device=device, dtype=dtype),
                                  generators=[dropout_generator(e.config.seed, device) for e in experiments],
                                  seed_of=seed_of)
        self.decayed_names = list(first.decayed_names)
        self.decayed = [self.params[n] for n in self.decayed_names]
        per_copy = lambda values: torch.tensor(values, device=device, dtype=dtype)  # noqa: E731
        views = lambda t, params: [t.view(-1, *[1] * (p.dim() - 1)) for p in params]  # noqa: E731
        self.copy_lambdas = [self.lambdas[k % len(self.lambdas)] for k in range(self.copies)]
        self.copy_lrs = [self.lrs[(k // len(self.lambdas)) % len(self.lrs)] for k in range(self.copies)]
        self.set_rules()
        if lrs:  # one η per copy: the optimizer needs it for every parameter, decay for the decayed
            lr = per_copy(self.copy_lrs)
            self.lr, optimizer_lr = views(lr, self.decayed), views(lr, self.params.values())
        else:
            self.lr = optimizer_lr = cfg.lr
        self.optimizer = make_optimizer(cfg.optimizer, self.params.values(), optimizer_lr, cfg.momentum, cfg.betas)
        self.diverged = [False] * self.copies

        def stacked(attr: str) -> torch.Tensor:
            if self.seeds == 1:  # shared data: no copy of it per λ
                return getattr(first.data, attr)
            return torch.stack([getattr(e.data, attr) for e in experiments])[seed_of]

        self.x_train, self.y_train = stacked("x_train"), stacked("y_train")
        sets = ["train", "test"] + (["val"] if first.data.x_val is not None else [])
        self._examples = 0 if self.seeds == 1 else 1  # the examples' dimension (K first when stacked)
        self._eval_y = torch.cat([stacked(f"y_{name}") for name in sets], dim=self._examples)
        self._classes = None if first.data.classes is None else len(first.data.classes)
        # examples per evaluation pass: EVAL_CHUNK / 4 images in all copies together (K copies'
        # conv activations of many images no longer fit the caches: 16 digits CNNs measured 1,797
        # images in chunks of 64 1.4 times faster than in chunks of 256, 32 and 128 no faster)
        images = first.data.x_train.dim() > 2
        self._eval_chunk = max(1, EVAL_CHUNK // (4 * self.copies)) if images else EVAL_CHUNK
        sizes = [getattr(first.data, f"x_{name}").shape[0] for name in sets]
        self._n_train, self._n_test = sizes[0], sizes[1]
        self._batch = cfg.effective_batch_size
        # Full-batch training where no copy drops: as in the lone trainer (Trainer._prediction),
        # the measurement's forward pass on the training set runs with autograd on and the next
        # step takes it (the same operations on the same parameters: a forward pass without
        # dropout is the same in training and evaluation), unless a parameter changed in between.
        # The training set is then evaluated as a chunk of its own.
        self._ahead_ok = (self._batch >= self._n_train and self.model.dropout is None
                          and self._n_train <= self._eval_chunk)
        self._kept_pass = KeptPass(self.params.values(), self.x_train)
        parts = [stacked(f"x_{name}") for name in sets]
        if self._ahead_ok:
            rest = torch.cat(parts[1:], dim=self._examples) if len(parts) > 2 else parts[1]
            self._eval_parts = [self.x_train] + list(rest.split(self._eval_chunk, dim=self._examples))
        else:
            self._eval_parts = list(torch.cat(parts, dim=self._examples).split(self._eval_chunk, dim=self._examples))
        # the path of a linear model (one Linear to one output): each copy's weights, measured
        layers = list(first.base_model.children())
        linear = len(layers) == 1 and isinstance(layers[0], nn.Linear) and layers[0].out_features == 1
        self._path = self.params["0.weight"].detach().flatten(1) if linear else None  # (K, inputs)
        self._shuffles = [torch.Generator(device=device).manual_seed(e.config.seed) for e in experiments]
        average = torch.zeros(sum(sizes), len(sizes), dtype=dtype)
        start = 0
        for column, size in enumerate(sizes):
            average[start:start + size, column] = self.loss_fn.scale / size
            start += size
        self._average = average.to(device)
        self._numel = [p[0].numel() for p in self.decayed]
        self._flat = [p.detach().flatten(1) for p in self.decayed]  # views, (K, entries): current after each step
        self.initial_loss = [math.inf] * self.copies  # L₀ per copy, for the divergence rule
        self.initial_loss = self.measure().train_loss
        self.diverged = [False] * self.copies

    def set_rules(self) -> None:
        """Each regularizer present with its λ per copy — λ_k on the copies that follow it, else
        0 — from ``copy_lambdas`` and ``copy_regularizers``; called again when a copy's λ or
        regularizer changes between epochs (the app's live pair, ``live_runs``)."""
        exp = self.experiments[0]
        per_copy = lambda values: torch.tensor(values, device=exp.device, dtype=exp.dtype)  # noqa: E731
        views = lambda t: [t.view(-1, *[1] * (p.dim() - 1)) for p in self.decayed]  # noqa: E731
        lams = views(per_copy(self.copy_lambdas))
        self._rules = [(rule, lams) if len(set(self.copy_regularizers)) == 1 else
                       (rule, views(per_copy([lam if own == rule else 0.0 for lam, own
                                              in zip(self.copy_lambdas, self.copy_regularizers)])))
                       for rule in dict.fromkeys(self.copy_regularizers)]
        self._uses_l1 = any(rule.uses_l1 for rule, _ in self._rules)

    def _per_sample(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Each copy's per-example losses, (K, N), for predictions (K, N, out) and targets shared
        ((N, 1), or (N,) class indices) or per copy ((K, N, 1), (K, N))."""
        if self._classes is not None:
            labels = target.expand(pred.shape[:2])  # shared targets: a view
            return self.loss_fn.per_sample(pred.flatten(0, 1), labels.flatten()).view(pred.shape[:2])
        return self.loss_fn.per_sample(pred, target.expand_as(pred)).flatten(-2)

    def _copy_losses(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Each copy's mean loss, shape (K,)."""
        return self._per_sample(pred, target).mean(dim=1) * self.loss_fn.scale

    def _loss_sum(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Σ_k of copy k's mean loss: what ``backward`` differentiates (the copies do not interact,
        so ∂/∂w_k is copy k's own gradient). Squared losses as one sum over all copies and
        examples times scale/N: the gradient 2·(ŷ − y)·scale/N is, to the last bit, the lone
        trainer's (its mean's 2/N·(ŷ − y)·scale: N's powers of two cancel alike)."""
        if self._classes is None and pred.shape[-1] == target.shape[-1]:
            total = torch._C._nn.mse_loss(pred, target.expand_as(pred), SUM)
            return total * (self.loss_fn.scale / pred.shape[1])
        return self._copy_losses(pred, target).sum()

    def _prediction(self, x: torch.Tensor) -> torch.Tensor:
        """``model(x, train=True)``: the measurement's pass where it was kept (:class:`~.trainer.KeptPass`)."""
        kept = self._kept_pass.take(x)
        return kept if kept is not None else self.model(x, train=True)

    def _step(self, x: torch.Tensor, y: torch.Tensor) -> None:
        self.optimizer.zero_grad()
        loss = self._loss_sum(self._prediction(x), y)
        for rule, lam in self._rules:
            penalty = rule.loss_penalty(self.decayed, lam)
            if penalty is not None:
                loss = loss + penalty
        loss.backward()
        for rule, lam in self._rules:
            rule.before_step(self.decayed, lam, self.lr)
        self.optimizer.step()
        for rule, lam in self._rules:
            rule.after_step(self.decayed, lam, self.lr)

    def train_epoch(self, stop: Callable[[], bool] | None = None) -> None:
        """One pass for every copy, each seed's copies in that seed's own batch order (``stop``
        polled between mini-batches). A step PyTorch refuses because the config's η (or η·λ) is
        too large for the dtype diverges every copy (per-copy λ and η are tensors: too large a
        value becomes inf and diverges that copy)."""
        try:
            self._train_epoch(stop)
        except RuntimeError as error:
            if not is_overflow(error):
                raise
            self.diverged = [True] * self.copies

    def _train_epoch(self, stop: Callable[[], bool] | None) -> None:
        if self._batch >= self._n_train:
            self._step(self.x_train, self.y_train)
        else:
            orders = torch.stack([torch.randperm(self._n_train, generator=g, device=self._seed_of.device)
                                  for g in self._shuffles])[self._seed_of]  # (K, N): each seed's order
            rows = torch.arange(self.copies, device=orders.device).unsqueeze(1)
            for index in orders.split(self._batch, dim=1):
                if self.seeds == 1:
                    self._step(self.x_train[index[0]], self.y_train[index[0]])
                else:
                    self._step(self.x_train[rows, index], self.y_train[rows, index])
                if stop is not None and stop():
                    return

    def copy_weights(self, k: int) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
        """Copy k's weight matrices (dim ≥ 2 in the model) and their gradients at the last step
        (slice k of the stacked gradient: the copies' losses are summed, so it is copy k's own)."""
        weights = {name: p for name, p in self.params.items() if p.dim() >= 3}
        return ({name: p[k].detach() for name, p in weights.items()},
                {name: p.grad[k].detach() for name, p in weights.items() if p.grad is not None})

    def measured_columns(self) -> tuple[list[torch.Tensor], int, list[torch.Tensor]]:
        """On the device, blocks of shape (K, ·), to be joined along dim 1: the mean loss on train,
        test (and validation); per decayed tensor its ‖·‖₂, then per decayed tensor its count of
        non-zero entries (and per decayed tensor its ‖·‖₁ when a copy uses l1), as the lone
        trainer's ``metrics.weight_stats``; then for classification the counts of right
        predictions on train and test. Also how many sets, and the ‖·‖₂ columns (K, 1) per
        decayed tensor (for directions). The examples are evaluated ``EVAL_CHUNK`` at a time (each
        is on its own: the same numbers). Call under ``torch.no_grad()``."""
        parts = self._eval_parts
        outs = []
        if self._ahead_ok:  # the training set's pass, kept for the next step (see _prediction)
            with torch.enable_grad():
                ahead = self.model(parts[0])
            self._kept_pass.keep(ahead)
            outs, parts = [ahead], parts[1:]  # under no_grad: nothing below joins its graph
        outs += [self.model(part) for part in parts]
        out = torch.cat(outs, dim=1) if len(outs) > 1 else outs[0]
        per = self._per_sample(out, self._eval_y)  # (K, N)
        losses = per @ self._average  # (K, 2): train, test; (K, 3) with validation
        norms = [torch.linalg.vector_norm(flat, dim=1, keepdim=True) for flat in self._flat]
        blocks = [losses, *norms, *(torch.linalg.vector_norm(flat, 0, dim=1, keepdim=True) for flat in self._flat)]
        if self._uses_l1:
            blocks += [torch.linalg.vector_norm(flat, 1, dim=1, keepdim=True) for flat in self._flat]
        if self._classes is not None:  # integer counts, exact, as the lone trainer counts them
            hit = (out.argmax(dim=-1) == self._eval_y).to(per.dtype)
            n_tr, n_te = self._n_train, self._n_train + self._n_test
            blocks += [hit[:, :n_tr].sum(1, keepdim=True), hit[:, n_tr:n_te].sum(1, keepdim=True)]
        return blocks, losses.shape[1], norms

    def copy_stats(self, values: list[float], sets: int) -> tuple[list[float], int, float]:
        """One copy's row of :meth:`measured_columns` (as a list): its decayed tensors' ‖·‖₂, its
        count of exact zeros and its ‖w‖₁ (0 unless a copy uses l1), as ``metrics.summarize``."""
        n = len(self.decayed)
        layer = values[sets:sets + n]
        nonzero = sum(values[sets + n:sets + 2 * n])
        zeros = int(sum(self._numel) - nonzero) if math.isfinite(nonzero) else 0
        return layer, zeros, sum(values[sets + 2 * n:sets + 3 * n]) if self._uses_l1 else 0.0

    @torch.no_grad()
    def measure(self) -> SweepRecord:
        """Every copy's numbers after ``self.epoch`` epochs, in one host transfer."""
        blocks, sets, _ = self.measured_columns()
        stats = sum(block.shape[1] for block in blocks)
        if self._path is not None:
            blocks.append(self._path)
        rows = torch.cat(blocks, dim=1).tolist()  # the one sync
        norms, zeros, penalty = [], [], []
        lams = self.copy_lambdas
        for k, values in enumerate(rows):
            layer, nonzero, l1 = self.copy_stats(values, sets)
            norms.append(math.sqrt(sum(v * v for v in layer)))
            zeros.append(nonzero)
            penalty.append(self.copy_regularizers[k].penalty_value(lams[k], norms[k], l1))
            if is_diverged(values[0], norms[k], self.initial_loss[k]):
                self.diverged[k] = True
        return SweepRecord(
            epoch=self.epoch, train_loss=[v[0] for v in rows], test_loss=[v[1] for v in rows], weight_norm=norms,
            penalty=penalty, zeros=zeros, diverged=list(self.diverged),
            val_loss=[v[2] for v in rows] if sets == 3 else None,
            weights=[v[stats:] for v in rows] if self._path is not None else None,
            test_accuracy=[v[stats - 1] / self._n_test for v in rows] if self._classes is not None else None,
        )
