"""``wdtui sweep``: train one copy per λ (and per seed) as one batched model; the U-curve."""

from __future__ import annotations

import json
import sys
import time
from typing import Sequence

from ..engine.config import ConfigError, make_config, notices, parse_lambda_spec, parse_n_trains
from ..engine.describe import header
from ..engine.export import check_output_path
from ..engine.limits import MAX_COPIES
from ..engine.lessons.presets import PRESETS, n_train_ladder
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
                       "(lr, λ) grid and shows test loss as a heatmap")
    sweep.add_argument("--seeds", type=_seeds, metavar="N",
                       help="seeds per λ (seed, seed+1, …): means, standard errors, the range of λ "
                       "within one standard error of the best, and the paired comparison with λ = 0 "
                       "(default 1; double-descent: 20 data draws)")
    sweep.add_argument("--out", metavar="FILE.json", help="the sweep as JSON")
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
    args = parser.parse_args(argv)
    own = PRESETS[preset_name(args)].sweep or {}  # the preset's sweep defaults
    args.seeds = args.seeds or own.get("seeds", 1)
    try:
        lambdas = parse_lambda_spec(args.lambdas or own.get("lambdas", DEFAULT_LAMBDAS))
        lrs = parse_lambda_spec(args.lrs, "lrs") if args.lrs else None
        if lrs and min(lrs) <= 0:
            raise ConfigError("lrs", f"learning rates must be > 0 (got {' '.join(args.lrs)})")
        extra = {"regularizer": args.regularizer} if args.regularizer else {}
        base = make_config(preset_name(args), **overrides(args), **extra)
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
        config_error(parser.prog, error)
    if n_trains:
        return _samples(parser, args, base, n_trains, lambdas)
    try:
        if not lrs and 0.0 not in lambdas:
            lambdas = [0.0, *lambdas]  # the reference every λ is compared with
        copies = len(lambdas) * len(lrs or [None]) * args.seeds
        if copies > MAX_COPIES:
            field = "seeds" if args.seeds > 1 else ("lrs" if lrs else "lambdas")
            raise ConfigError(field, f"λ values × learning rates × seeds must be at most {MAX_COPIES:,} "
                              f"copies (got {copies:,})")
        from ..engine.experiment import build_experiment, memory_estimate
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
        config_error(parser.prog, error)

    for notice in notices(base):
        print(f"notice: {notice}", file=sys.stderr)
    if lrs:
        return _grid(parser, args, base, experiments, lambdas, lrs)

    from ..engine.sweeps.sweep import SweepResult
    from ..engine.training.batched import BatchedTrainer, sweep_trainer
    from .report import print_sweep

    trainer = sweep_trainer(experiments, lambdas)
    result = SweepResult(lambdas, args.seeds, base.epochs)
    how = ("each solved exactly (closed form)" if base.solver == "exact" else "as one batched model"
           if isinstance(trainer, BatchedTrainer) else "one after another (this model does not batch)")
    print(header(experiments[0].config), file=sys.stderr)
    print(f"{len(lambdas)} λ × {args.seeds} seed(s) = {trainer.copies} copies {how}; "
          f"{base.regularizer}, device {experiments[0].device}, {base.dtype}", file=sys.stderr)
    print(_validation_line(base, experiments[0]), file=sys.stderr)
    _train(trainer, result, args.quiet)
    print_sweep(result, exact=base.solver == "exact")
    if args.out is not None:
        from ..engine.sweeps.sweep import sweep_config, sweep_ridge

        config = sweep_config(base, experiments, args.seeds)
        _write(parser, args, result.to_dict(config, sweep_ridge(experiments, base.regularizer, lambdas)))
    return 0


def _samples(parser: Parser, args, base, n_trains: list[int], lambdas: list[float]) -> int:
    """Sample-size mode: every (seed, n, λ) solved exactly; test loss against n per λ."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ..engine.sweeps.samples import sample_config, sample_sweep
    from .report import print_samples

    print(header(base), file=sys.stderr)
    print(f"{len(n_trains)} n_train × {len(lambdas)} λ × {args.seeds} seed(s), each solved exactly "
          f"(closed form); {base.regularizer}, {base.dtype}", file=sys.stderr)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        with Progress(*columns, disable=args.quiet, console=Console(stderr=True)) as progress:
            task = progress.add_task("experiments", total=len(n_trains) * args.seeds)
            result = sample_sweep(base, n_trains, lambdas, args.seeds,
                                  progress=lambda done, total: progress.update(task, completed=done))
    except ConfigError as error:
        config_error(parser.prog, error)
    print_samples(result)
    if args.out is not None:
        _write(parser, args, result.to_dict(sample_config(base, args.seeds, "cpu")))
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


def _write(parser: Parser, args, doc: dict) -> None:
    from ..engine.export import write_text

    try:
        write_text(args.out, json.dumps(doc, indent=1, allow_nan=False) + "\n")
    except OSError as error:
        output_error(parser.prog, error)


def _grid(parser: Parser, args, base, experiments, lambdas: list[float], lrs: list[float]) -> int:
    """(lr, λ) grid: one batched model per regularizer, final test loss as a heatmap."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ..engine.sweeps.sweep import GridResult, grid_document
    from ..engine.training.batched import sweep_trainer
    from .report import print_grid

    regularizers = [args.regularizer] if args.regularizer else ["coupled", "decoupled"]
    print(f"{base.preset}: {len(lrs)} lr × {len(lambdas)} λ × {args.seeds} seed(s) per regularizer "
          f"({', '.join(regularizers)}), {base.optimizer}, device {experiments[0].device}", file=sys.stderr)
    print(_validation_line(base, experiments[0]), file=sys.stderr)
    grids = []
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, disable=args.quiet, console=Console(stderr=True)) as progress:
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
    print_grid(grids)
    from ..engine.lessons.trends import best_lambda_trend, describe

    for grid in grids:  # what this grid shows, read from it (not from the paper)
        label = f"decoupled ({base.decay_convention})" if grid.regularizer == "decoupled" else grid.regularizer
        print(describe(label, best_lambda_trend(grid.lrs, grid.lambdas, grid.grid("val_loss"))))
    if args.seeds == 1:
        print("one seed: the best cell of a flat minimum moves with noise; --seeds 5 averages it")
    if args.out is not None:
        from ..engine.sweeps.sweep import sweep_config

        _write(parser, args, grid_document(sweep_config(base, experiments, args.seeds), grids))
    return 0


def _train(trainer, result, quiet: bool) -> None:
    """Train to the end, measuring every copy every ``measure_every`` epochs and at the last."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ..engine.sweeps.sweep import measure_every

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[rate]:>6.0f} epochs/s"), TimeElapsedColumn())
    with Progress(*columns, disable=quiet, console=Console(stderr=True)) as progress:
        task = progress.add_task(f"{trainer.copies} copies", total=trainer.epochs, rate=0.0)
        shown = time.perf_counter()
        every = measure_every(trainer.epochs)
        while not trainer.done:
            record = trainer.run_epoch(measure=(trainer.epoch + 1) % every == 0)
            if record is not None:
                result.add(record)
            now = time.perf_counter()
            if now - shown >= PROGRESS_INTERVAL or trainer.done:
                progress.update(task, completed=trainer.epoch, rate=trainer.epochs_per_s)
                shown = now
