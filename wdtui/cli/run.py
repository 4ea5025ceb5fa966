"""``wdtui run``: train one run per (regularizer, λ) headless, show progress, write results."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Sequence

from ..engine.config import Config, ConfigError, make_config, notices
from ..engine.describe import header
from ..engine.export import check_output_path
from ..engine.lessons.presets import PRESETS, Run, preset_runs
from ..engine.limits import MAX_RUNS
from ..engine.tensorboard import check_board_folder
from .config_file import add_config_options, parse_args, parse_runs
from .options import Parser, add_engine_options, config_error, overrides, preset_name

PROGRESS_INTERVAL = 0.1  # seconds between progress-bar updates


def build_parser() -> Parser:
    parser = Parser(
        prog="wdtui run",
        description="Train the preset once per λ (and per regularizer) without a screen, show a "
        "summary table, and optionally write the metrics, the models and the data.",
        epilog="example: wdtui run --preset d2l --lambdas 0 3 --seed 1 --out runs.json",
    )
    add_engine_options(parser)
    add_config_options(parser)
    out = parser.add_argument_group("output")
    out.add_argument("--out", metavar="FILE.json|FILE.csv", help="metrics: JSON document or CSV (one row per λ per measured epoch)")
    out.add_argument("--save-model", metavar="FILE.pt", help='{"lambdas", "regularizers", "state_dicts"}, loadable with torch.load(weights_only=True)')
    out.add_argument("--save-data", metavar="FILE.npz", help="x_train, y_train, x_test, y_test")
    out.add_argument("--tensorboard", metavar="DIR",
                     help="TensorBoard event files: one folder per run (regularizer, λ, seed) under DIR")
    out.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def plan_runs(args: argparse.Namespace) -> tuple[Config, list[Run]]:
    """The base config and the runs: the preset's comparison unless the command line names
    regularizers and/or λ values (then every combination of them, at the config's dropout).
    ``--dropout`` sets the p of the preset's own run (``preset_runs``). Where every run has a p of
    its own (the dropout preset's, a settings file's ``runs``), the config's is the largest (the
    model's dropout layers exist iff a run uses them) and a top-level ``dropout`` is unused."""
    preset = PRESETS[preset_name(args)]
    base = make_config(preset.name, **overrides(args))
    regularizers = args.regularizer or list(dict.fromkeys(run.regularizer for run in preset.runs))
    if args.lambdas and not args.regularizer and len(regularizers) > 1:
        # λ values alone: the preset's regularizers that have a λ (dropout's none has none to take)
        regularizers = [r for r in regularizers if r != "none"] or regularizers
    if args.lambdas:
        lambdas = args.lambdas
    elif args.regularizer and "none" in args.regularizer:
        lambdas = [0.0]
    else:
        lambdas = list(dict.fromkeys(run.lam for run in preset.runs))
    from_file = getattr(args, "from_config", {}) or {}
    both = [dest for dest in ("lambdas", "regularizer") if getattr(args, dest) and dest in from_file]
    if getattr(args, "runs", None) and both:  # a flag beside the file wins; two keys of one file do not
        raise ConfigError(both[0], "the file also gives runs: give one of them (runs: each run's regularizer and "
                          "lambda; lambdas and regularizer: one run per pair of them)")
    if args.regularizer or args.lambdas:
        count = len(regularizers) * len(lambdas)
        if count > MAX_RUNS:
            raise ConfigError("lambdas", f"at most {MAX_RUNS:,} runs (regularizers × λ values; got {count:,}); "
                              "wdtui sweep trains many λ as one batched model")
        runs = [Run(r, lam) for r in regularizers for lam in lambdas]
    elif getattr(args, "runs", None):
        if len(args.runs) > MAX_RUNS:
            raise ConfigError("runs", f"at most {MAX_RUNS:,} runs (got {len(args.runs):,})")
        runs = list(args.runs)
    else:
        runs = preset_runs(preset.name, base.dropout if args.dropout is not None else None)
    if all(run.dropout is not None for run in runs):  # each its own p: the model's layers for the largest
        base = base.with_changes(dropout=max(run.dropout for run in runs))
    for run in runs:  # each run's config must be valid on its own
        base.with_changes(regularizer=run.regularizer, lam=run.lam)
    return base.with_changes(regularizer=runs[0].regularizer, lam=runs[0].lam), runs


def main(argv: Sequence[str]) -> int:
    parser = build_parser()
    args = parse_args(parser, argv, extra={"runs": parse_runs})
    try:
        config, runs = plan_runs(args)
        for field in ("out", "save_model", "save_data", "save_config"):
            if getattr(args, field) is not None:
                check_output_path(field, getattr(args, field))
        if args.tensorboard is not None:
            check_board_folder(args.tensorboard)
    except ConfigError as error:
        config_error(parser.prog, error, args=args)

    from ..engine.experiment import (  # torch loads here, not for --help
        build_experiment,
        freeze_startup_objects,
        memory_estimate,
    )
    from .report import print_summary, write_outputs

    try:
        experiment = build_experiment(config)
        # one trainer alive at a time, or all runs as one batched model; every run's history is
        # kept, and its weights for --save-model
        shape, outputs = experiment.data.input_shape, experiment.data.n_outputs
        # lone trainers when event files are asked for: their histograms come from the trainer
        together = args.tensorboard is None and batched_runs(experiment, runs)
        memory_estimate(experiment.config, shape, outputs, live_runs=len(runs) if together else 1,
                        kept_runs=len(runs), saved_models=len(runs) if args.save_model is not None else 0).check()
    except ConfigError as error:
        config_error(parser.prog, error, args=args)
    freeze_startup_objects()
    print(header(experiment.config, runs), file=sys.stderr)
    batched = f"; {len(runs)} runs as one batched model" if together else ""
    if together and config.dtype == "float32":  # a copy rounds as its kernels do: README "Float32 and the same run"
        batched += (" (float32: a copy rounds as its batched kernels do, and training can amplify that: its numbers"
                    " can part from the same λ run alone's by more than the digits printed, see README 'Float32 and the"
                    " same run'; float64 agrees)")
    print(f"device {experiment.device}, {config.dtype}; {experiment.decay_summary()}{batched}", file=sys.stderr)
    for regularizer in dict.fromkeys(run.regularizer for run in runs):
        for notice in notices(config.with_changes(regularizer=regularizer)):
            print(f"notice: {notice}", file=sys.stderr)
    try:
        if together:
            results, state_dicts = train_batched(experiment, runs, quiet=args.quiet,
                                                 keep_models=args.save_model is not None)
            kept = [[] for _ in results]
        else:
            results, state_dicts, kept = train_runs(experiment, runs, quiet=args.quiet,
                                                    keep_models=args.save_model is not None,
                                                    histograms=args.tensorboard is not None)
    except ConfigError as error:
        config_error(parser.prog, error, args=args)
    print_summary(results)
    settings = None
    if args.save_config is not None:
        from .config_file import run_settings, settings_of

        settings = settings_of(parser, config, runs=run_settings(runs))
    write_outputs(args, experiment, results, state_dicts, settings)
    if args.tensorboard is not None:
        write_boards(parser.prog, args.tensorboard, experiment.config.seed, results, kept)
    return 0


def write_boards(prog: str, root: str, seed: int, results, kept) -> None:
    """One TensorBoard event folder per run; the folders written are listed on stderr."""
    from ..engine.tensorboard import run_name, write_run
    from .options import output_error

    try:
        for result, histograms in zip(results, kept):
            folder = write_run(root, run_name(result.regularizer, result.lam, seed, result.dropout), result, histograms)
            print(f"tensorboard: {folder}", file=sys.stderr)
    except OSError as error:
        error.field = "tensorboard"
        output_error(prog, error)


def train_runs(experiment, runs, quiet: bool = False, keep_models: bool = False, histograms: bool = False):
    """Train each run to the end (or divergence) with a progress bar on stderr. Returns the
    results, (``keep_models``) each run's final state_dict on the CPU, and (``histograms``) each
    run's weight and gradient histograms at the epochs ``tensorboard.histogram_due`` picks, as
    ``(epoch, weights, gradients)``; without it the trainer computes none. A trainer is dropped
    when its run ends, so runs cost memory one at a time."""
    from ..engine.tensorboard import histogram_due
    from ..engine.training.records import RunResult
    from ..engine.training.solvers import make_trainer
    from .report import progress_bar

    results, state_dicts, kept = [], [], []
    with progress_bar(quiet, rate=True) as progress:
        for run in runs:
            trainer = make_trainer(experiment, run.regularizer, run.lam, run.dropout)
            result = RunResult(run.regularizer, run.lam, dropout=trainer.dropout,
                               measured_epochs=trainer.schedule.to_dict())
            task = progress.add_task(run.label(), total=trainer.epochs, rate=0.0)
            shown = time.perf_counter()
            hists: list = []
            for record in trainer.records(detail=histogram_due(trainer.epochs) if histograms else None):
                result.add(record)
                if record.histograms is not None:
                    hists.append((record.epoch, record.histograms, record.grad_histograms))
                now = time.perf_counter()
                if now - shown >= PROGRESS_INTERVAL or trainer.done:
                    progress.update(task, completed=record.epoch, rate=record.epochs_per_s)
                    shown = now
            if result.diverged:
                progress.update(task, description=f"{run.label()} [red]diverged at epoch {result.epochs}[/]")
            results.append(result)
            kept.append(hists)
            if keep_models:
                state_dicts.append({k: v.detach().cpu().clone() for k, v in trainer.model.state_dict().items()})
            del trainer
    return results, state_dicts, kept


def batched_runs(experiment, runs) -> bool:
    """Whether the runs train as one batched model: several of them, whose batched records are
    their lone runs' (``batched_runs.records_as_lone``: a model the batched trainer stacks,
    regression or classification, with or without dropout; not the exact solver, which solves
    each run on its own; not a scale-invariant model in mini-batches, whose step angles only a
    lone trainer measures)."""
    from ..engine.training.batched_runs import records_as_lone

    return len(runs) > 1 and records_as_lone(experiment)


def train_batched(experiment, runs, quiet: bool = False, keep_models: bool = False):
    """:func:`train_runs` for runs that batch (:func:`batched_runs`): all of them as the copies of
    one model (``BatchedRuns``), each copy exactly its lone run; one progress bar."""
    from ..engine.training.batched_runs import BatchedRuns
    from ..engine.training.records import RunResult
    from .report import progress_bar

    together = BatchedRuns(experiment, [(run.regularizer, run.lam) for run in runs], [run.dropout for run in runs])
    results = [RunResult(run.regularizer, run.lam, dropout=p, measured_epochs=together.schedule.to_dict())
               for run, p in zip(runs, together.dropouts)]
    with progress_bar(quiet, rate=True) as progress:
        task = progress.add_task(f"{len(runs)} runs as one batched model", total=together.epochs, rate=0.0)
        shown = time.perf_counter()
        for records in together.records():
            for result, record in zip(results, records):
                if record is not None:
                    result.add(record)
            now = time.perf_counter()
            if now - shown >= PROGRESS_INTERVAL or together.done:
                progress.update(task, completed=together.epoch, rate=together.epochs_per_s)
                shown = now
        diverged = [run.label() for run, result in zip(runs, results) if result.diverged]
        if diverged:
            progress.update(task, description=f"{len(runs)} runs [red]({len(diverged)} diverged)[/]")
    state_dicts = [together.state_dict(k) for k in range(len(runs))] if keep_models else []
    return results, state_dicts


