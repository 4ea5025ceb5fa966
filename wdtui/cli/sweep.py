"""``wdtui sweep``: train one copy per λ (and per seed) as one batched model; the U-curve."""

from __future__ import annotations

import json
import sys
import time
from typing import Sequence

from ..engine.config import REGULARIZERS, ConfigError, make_config, notices, parse_lambda_spec, parse_n_trains
from ..engine.describe import header
from ..engine.export import check_output_path
from ..engine.lessons.presets import PRESETS, main_run, n_train_ladder
from ..engine.limits import MAX_COPIES
from ..engine.tensorboard import check_board_folder
from .config_file import add_config_options, parse_args
from .options import Parser, add_engine_options, config_error, output_error, overrides, preset_name

PROGRESS_INTERVAL = 0.1
DEFAULT_LAMBDAS = ("1e-5:1e-1:16",)


def build_parser() -> Parser:
    parser = Parser(
        prog="wdtui sweep",
        description="Train the preset once per λ (and per seed) as one batched model, and show "
        "train, validation and test loss and ‖w‖ against λ: the U-curve, and the best λ chosen on "
        "the validation set (λ = 0 is always swept as the reference).",
        epilog="example: wdtui sweep --preset sine-overfit --lambdas 1e-5:1e-1:16 --seeds 3 --out sweep.json",
    )
    add_engine_options(parser, lam_option=None)
    add_config_options(parser)
    sweep = parser.add_argument_group("sweep")
    sweep.add_argument("--lambdas", nargs="+", metavar="SPEC",
                       help="start:stop:count (log-spaced, both ends included) or a list of values "
                       f"(0 allowed); default {' '.join(DEFAULT_LAMBDAS)} (the preset's own where it has one: "
                       "poly, double-descent); the λ sweep adds λ = 0, the reference, if it is not listed")
    sweep.add_argument("--n-trains", nargs="+", metavar="SPEC",
                       help="sample-size mode (--solver exact): also sweep n_train, start:stop:step or a "
                       "list of integers ≥ 2; writes test loss against n, one curve per λ (the "
                       "double-descent preset's default: 0.1·d … 3·d, dense around d = --n-inputs)")
    sweep.add_argument("--lrs", nargs="+", metavar="SPEC",
                       help="grid mode: also sweep the learning rate (same forms as --lambdas, all > 0); "
                       "trains coupled and decoupled decay (or the --regularizer given) over the "
                       "(lr, λ) grid (λ = 0 added) and shows the validation loss as a heatmap, the best cell chosen on it")
    sweep.add_argument("--seeds", type=_seeds, metavar="N",
                       help="seeds per λ (seed, seed+1, …): means, standard errors, the range of λ "
                       "within one standard error of the best, and the paired comparison with λ = 0 "
                       "(default 1; double-descent: 20 data draws)")
    sweep.add_argument("--out", metavar="FILE.json", help="the sweep as JSON")
    sweep.add_argument("--tensorboard", metavar="DIR",
                       help="TensorBoard event files: one folder per copy (regularizer, λ, seed) under DIR, "
                       "a point per measured epoch")
    sweep.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def _seeds(text: str) -> int:
    import argparse

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer in 1…64 (got {text!r})") from None
    if not 1 <= value <= 64:
        raise argparse.ArgumentTypeError(f"must be an integer in 1…64 (got {text!r})")
    return value


def main(argv: Sequence[str]) -> int:
    parser = build_parser()
    args = parse_args(parser, argv)
    own = PRESETS[preset_name(args)].sweep or {}  # the preset's sweep defaults
    args.seeds = args.seeds or own.get("seeds", 1)
    try:
        lambdas = parse_lambda_spec(args.lambdas or own.get("lambdas", DEFAULT_LAMBDAS))
        lrs = parse_lambda_spec(args.lrs, "lrs") if args.lrs else None
        if lrs and min(lrs) <= 0:
            raise ConfigError("lrs", f"learning rates must be > 0 (got {' '.join(args.lrs)})")
        if args.regularizer == "none":  # before the config: it would blame the preset's λ
            raise ConfigError("regularizer", "none has no λ to sweep; pick one of "
                              + ", ".join(r for r in REGULARIZERS if r != "none"))
        extra = {"regularizer": args.regularizer} if args.regularizer else {}
        base = make_config(preset_name(args), **overrides(args), **extra)
        swept_run = main_run(base.preset)  # the preset's own run is swept, with its own dropout p (dropout's: 0)
        if args.dropout is None and swept_run.dropout is not None:
            base = base.with_changes(dropout=swept_run.dropout)
        if lrs and base.solver == "exact":
            raise ConfigError("lrs", "the exact solver has no learning rate; use --solver gd for an (lr, λ) grid")
        if args.n_trains:
            n_trains = parse_n_trains(args.n_trains)
        elif own.get("n_trains") == "ladder" and base.solver == "exact":
            n_trains = n_train_ladder(base.n_inputs)
        else:
            n_trains = None
        if n_trains and lrs:
            raise ConfigError("n_trains", "give --n-trains or --lrs, not both")
        for lam in lambdas:
            base.with_changes(lam=lam)  # e.g. λ > 0 with regularizer none
        if args.out is not None:
            check_output_path("out", args.out)
            if not args.out.lower().endswith(".json"):
                raise ConfigError("out", f"unknown format {args.out!r}; allowed: FILE.json")
        if args.save_config is not None:
            check_output_path("save_config", args.save_config)
        if args.tensorboard is not None:
            check_board_folder(args.tensorboard)
        if n_trains:
            from ..engine.sweeps.samples import check_sample_sweep

            check_sample_sweep(base)
            for n in (n_trains[0], n_trains[-1]):
                base.with_changes(n_train=n, batch_size="full")
            copies = len(n_trains) * len(lambdas) * args.seeds
            if copies > MAX_COPIES:
                raise ConfigError("n_trains", f"n values × λ values × seeds must be at most {MAX_COPIES:,} "
                                  f"cells (got {copies:,})")
    except ConfigError as error:
        config_error(parser.prog, error, args=args)
    if n_trains:
        return _samples(parser, args, base, n_trains, lambdas)
    try:
        if 0.0 not in lambdas:
            lambdas = [0.0, *lambdas]  # the reference every λ is compared with (in a grid: per lr)
        copies = len(lambdas) * len(lrs or [None]) * args.seeds
        if copies > MAX_COPIES:
            field = "seeds" if args.seeds > 1 else ("lrs" if lrs else "lambdas")
            raise ConfigError(field, f"λ values × learning rates × seeds must be at most {MAX_COPIES:,} "
                              f"copies (got {copies:,})")
        from ..engine.experiment import build_experiment, freeze_startup_objects, memory_estimate
        from ..engine.training.batched import batchable

        experiments = []
        for s in range(args.seeds):
            experiments.append(build_experiment(base.with_changes(seed=base.seed + s), check_memory=False,
                                               validation=True))
            if s == 0:  # every seed's data and model are the same size: check before building more
                first = experiments[0]
                memory_estimate(first.config, first.data.input_shape, first.data.n_outputs, live_runs=0,
                                kept_runs=0, copies=copies, seeds=args.seeds,
                                batched=batchable(first),
                                copies_field="seeds" if args.seeds > 1 else "lambdas").check()
    except ConfigError as error:
        config_error(parser.prog, error, args=args)

    freeze_startup_objects()
    for notice in notices(base):
        print(f"notice: {notice}", file=sys.stderr)
    if lrs:
        return _grid(parser, args, base, experiments, lambdas, lrs)

    from ..engine.sweeps.sweep import SweepResult
    from ..engine.training.batched import BatchedTrainer, sweep_trainer
    from .report import print_sweep

    trainer = sweep_trainer(experiments, lambdas)
    data = experiments[0].data
    result = SweepResult(lambdas, args.seeds, base.epochs, classes=data.n_outputs if data.classes else None)
    how = ("each solved exactly (closed form)" if base.solver == "exact" else "as one batched model"
           if isinstance(trainer, BatchedTrainer) else "one after another (this model does not batch)")
    print(header(experiments[0].config), file=sys.stderr)
    print(f"{len(lambdas)} λ × {args.seeds} seed(s) = {trainer.copies} copies {how}; "
          f"{base.regularizer}, device {experiments[0].device}, {base.dtype}", file=sys.stderr)
    print(_validation_line(base, experiments[0]), file=sys.stderr)
    measured, hists = _train(trainer, result, args.quiet, experiments[0], keep=args.tensorboard is not None)
    print_sweep(result, exact=base.solver == "exact")
    doc = None
    if args.out is not None:
        from ..engine.sweeps.sweep import sweep_config, sweep_ridge

        config = sweep_config(base, experiments, args.seeds)
        doc = result.to_dict(config, sweep_ridge(experiments, base.regularizer, lambdas))
    _write(parser, args, doc, _settings(parser, base, lambdas, None, args.seeds, base.regularizer))
    if args.tensorboard is not None:
        _boards(parser.prog, args.tensorboard, base, trainer, measured, hists)
    return 0


def _settings(parser: Parser, base, lambdas: list[float], lrs: list[float] | None, seeds: int,
              regularizer: str | None) -> dict:
    """The sweep's settings file: λ values as swept (λ = 0 included), learning rates, seeds."""
    from .config_file import settings_of

    return settings_of(parser, base, regularizer=regularizer, lambdas=lambdas, lrs=lrs, seeds=seeds)


def _boards(prog: str, root: str, base, trainer, records, histograms=(), grid: bool = False) -> None:
    """One TensorBoard event folder per copy k = (s·R + r)·L + l."""
    from ..engine.tensorboard import SWEEP_HISTOGRAM_COPIES, run_name, write_sweep

    if not grid and trainer.copies > SWEEP_HISTOGRAM_COPIES:
        print(f"tensorboard: {trainer.copies} copies: scalars only (histograms up to {SWEEP_HISTOGRAM_COPIES} "
              "copies)", file=sys.stderr)
    per_seed = trainer.copies // trainer.seeds
    names = [run_name(trainer.regularizer.name, trainer.copy_lambdas[k], base.seed + k // per_seed,
                      lr=trainer.copy_lrs[k] if grid else None) for k in range(trainer.copies)]
    try:
        for folder in write_sweep(root, names, trainer.copy_lambdas, trainer.copy_lrs, records, histograms):
            print(f"tensorboard: {folder}", file=sys.stderr)
    except OSError as error:
        error.field = "tensorboard"
        output_error(prog, error)


def _samples(parser: Parser, args, base, n_trains: list[int], lambdas: list[float]) -> int:
    """Sample-size mode: every (seed, n, λ) solved exactly; test loss against n per λ."""

    from ..engine.sweeps.samples import sample_config, sample_sweep
    from .report import print_samples, progress_bar

    print(header(base), file=sys.stderr)
    print(f"{len(n_trains)} n_train × {len(lambdas)} λ × {args.seeds} seed(s), each solved exactly "
          f"(closed form); {base.regularizer}, {base.dtype}", file=sys.stderr)
    try:
        with progress_bar(args.quiet) as progress:
            task = progress.add_task("experiments", total=len(n_trains) * args.seeds)
            result = sample_sweep(base, n_trains, lambdas, args.seeds,
                                  progress=lambda done, total: progress.update(task, completed=done))
    except ConfigError as error:
        config_error(parser.prog, error, args=args)
    print_samples(result)
    doc = result.to_dict(sample_config(base, args.seeds, "cpu")) if args.out is not None else None
    settings = _settings(parser, base, lambdas, None, args.seeds, args.regularizer)
    settings["n_trains"] = [str(n) for n in n_trains]
    _write(parser, args, doc, settings)
    return 0


def _validation_line(base, experiment) -> str:
    from ..engine.sweeps.validation import VAL_FRACTION, validation_kind

    data = experiment.data
    if validation_kind(base) == "drawn":
        how = f"{len(data.x_val)} examples drawn afresh from the data's distribution (a generator of their own)"
    else:
        how = (f"{len(data.x_val)} of the training rows held out ({VAL_FRACTION:.0%}, chosen by the seed); "
               f"the sweep trains on the other {len(data.x_train)}")
    return f"validation set: {how}; the best is chosen on it, the test set only reports"


def _write(parser: Parser, args, doc: dict | None, settings: dict) -> None:
    """``--out`` (``doc``) and ``--save-config`` (``settings``): both or neither."""
    from ..engine.export import Output, write_all
    from .report import settings_output

    outputs = []
    if args.out is not None:
        text = (json.dumps(doc, indent=1, allow_nan=False) + "\n").encode("utf-8")
        outputs.append(Output("out", args.out, lambda f: f.write(text)))
    if args.save_config is not None:
        outputs.append(settings_output(args.save_config, settings))
    try:
        write_all(outputs)
    except OSError as error:
        output_error(parser.prog, error)


def _grid(parser: Parser, args, base, experiments, lambdas: list[float], lrs: list[float]) -> int:
    """(lr, λ) grid: one batched model per regularizer, final validation loss as a heatmap (the
    best cell chosen on it; the test loss only reported)."""

    from ..engine.sweeps.sweep import GridResult, grid_document
    from ..engine.training.batched import sweep_trainer
    from .report import print_grid, progress_bar

    regularizers = [args.regularizer] if args.regularizer else ["coupled", "decoupled"]
    print(f"{base.preset}: {len(lrs)} lr × {len(lambdas)} λ × {args.seeds} seed(s) per regularizer "
          f"({', '.join(regularizers)}), {base.optimizer}, device {experiments[0].device}", file=sys.stderr)
    print(_validation_line(base, experiments[0]), file=sys.stderr)
    grids = []
    with progress_bar(args.quiet) as progress:
        for regularizer in regularizers:
            trainer = sweep_trainer(experiments, lambdas, regularizer, lrs=lrs)
            task = progress.add_task(f"{regularizer}: {trainer.copies} copies", total=trainer.epochs)
            record = None
            while not trainer.done:
                record = trainer.run_epoch(measure=False) or record  # measured at the last epoch
                progress.update(task, completed=trainer.epoch)
            if record is None:  # all copies diverged before the end: measure where they stopped
                record = trainer.measure()
            grids.append(GridResult(regularizer, lrs, lambdas, args.seeds, record))
            if args.tensorboard is not None:  # the grid measures its last epoch only: one point each
                _boards(parser.prog, args.tensorboard, base, trainer, [record], grid=True)
    print_grid(grids)
    from ..engine.lessons.trends import describe, read_grid, same_update

    for grid in grids:  # what this grid shows, read from it (not from the paper)
        label = f"decoupled ({base.decay_convention})" if grid.regularizer == "decoupled" else grid.regularizer
        print(describe(label, read_grid(grid)))
    same = same_update(base.optimizer, base.momentum, base.decay_convention)
    if same and {"coupled", "decoupled"} <= {grid.regularizer for grid in grids}:
        print(same)
    doc = None
    if args.out is not None:
        from ..engine.sweeps.sweep import sweep_config

        doc = grid_document(sweep_config(base, experiments, args.seeds), grids)
    _write(parser, args, doc, _settings(parser, base, lambdas, lrs, args.seeds, args.regularizer))
    return 0


def _train(trainer, result, quiet: bool, experiment=None, keep: bool = False) -> tuple[list, list]:
    """Train to the end, measuring every copy every ``measure_every`` epochs and at the last.
    ``keep`` (TensorBoard): returns the measured records, and every copy's weight and gradient
    histograms at the epochs ``tensorboard.histogram_due`` picks (up to
    ``SWEEP_HISTOGRAM_COPIES`` copies); else two empty lists."""
    from ..engine.sweeps.sweep import measure_every
    from ..engine.tensorboard import SWEEP_HISTOGRAM_COPIES, histogram_due, sweep_histograms
    from .report import progress_bar

    with progress_bar(quiet, rate=True) as progress:
        task = progress.add_task(f"{trainer.copies} copies", total=trainer.epochs, rate=0.0)
        shown = time.perf_counter()
        every = measure_every(trainer.epochs, experiment)
        measured: list = []
        hists: list = []
        due = histogram_due(trainer.epochs) if keep and trainer.copies <= SWEEP_HISTOGRAM_COPIES else None
        while not trainer.done:
            record = trainer.run_epoch(measure=(trainer.epoch + 1) % every == 0)
            if record is not None:
                result.add(record)
                if keep:
                    measured.append(record)
            if due is not None and due(trainer.epoch) and not all(trainer.diverged):
                hists.append((trainer.epoch, sweep_histograms(trainer)))
            now = time.perf_counter()
            if now - shown >= PROGRESS_INTERVAL or trainer.done:
                progress.update(task, completed=trainer.epoch, rate=trainer.epochs_per_s)
                shown = now
    return measured, hists
