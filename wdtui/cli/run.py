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
    out = parser.add_argument_group("output")
    out.add_argument("--out", metavar="FILE.json|FILE.csv", help="metrics: JSON document or CSV (one row per λ per epoch)")
    out.add_argument("--save-model", metavar="FILE.pt", help='{"lambdas", "regularizers", "state_dicts"}, loadable with torch.load(weights_only=True)')
    out.add_argument("--save-data", metavar="FILE.npz", help="x_train, y_train, x_test, y_test")
    out.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def plan_runs(args: argparse.Namespace) -> tuple[Config, list[Run]]:
    """The base config and the runs: the preset's comparison unless the command line names
    regularizers and/or λ values (then every combination of them, at the config's dropout).
    ``--dropout`` sets the p of the preset's runs that use dropout."""
    preset = PRESETS[preset_name(args)]
    base = make_config(preset.name, **overrides(args))
    regularizers = args.regularizer or list(dict.fromkeys(run.regularizer for run in preset.runs))
    if args.lambdas:
        lambdas = args.lambdas
    elif args.regularizer and "none" in args.regularizer:
        lambdas = [0.0]
    else:
        lambdas = list(dict.fromkeys(run.lam for run in preset.runs))
    if args.regularizer or args.lambdas:
        count = len(regularizers) * len(lambdas)
        if count > MAX_RUNS:
            raise ConfigError("lambdas", f"at most {MAX_RUNS:,} runs (regularizers × λ values; got {count:,}); "
                              "wdtui sweep trains many λ as one batched model")
        runs = [Run(r, lam) for r in regularizers for lam in lambdas]
    else:
        runs = preset_runs(preset.name, base.dropout)
    for run in runs:  # each run's config must be valid on its own
        base.with_changes(regularizer=run.regularizer, lam=run.lam)
    return base.with_changes(regularizer=runs[0].regularizer, lam=runs[0].lam), runs


def main(argv: Sequence[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config, runs = plan_runs(args)
        for field in ("out", "save_model", "save_data"):
            if getattr(args, field) is not None:
                check_output_path(field, getattr(args, field))
    except ConfigError as error:
        config_error(parser.prog, error)

    from ..engine.experiment import (  # torch loads here, not for --help
        build_experiment,
        memory_estimate,
    )
    from .report import print_summary, write_outputs

    try:
        experiment = build_experiment(config)
        # one trainer alive at a time; every run's history is kept, and its weights for --save-model
        shape, outputs = experiment.data.input_shape, experiment.data.n_outputs
        memory_estimate(experiment.config, shape, outputs, live_runs=1, kept_runs=len(runs),
                        saved_models=len(runs) if args.save_model is not None else 0).check()
    except ConfigError as error:
        config_error(parser.prog, error)
    print(header(experiment.config, runs), file=sys.stderr)
    print(f"device {experiment.device}, {config.dtype}; {experiment.decay_summary()}", file=sys.stderr)
    for regularizer in dict.fromkeys(run.regularizer for run in runs):
        for notice in notices(config.with_changes(regularizer=regularizer)):
            print(f"notice: {notice}", file=sys.stderr)
    try:
        results, state_dicts = train_runs(experiment, runs, quiet=args.quiet, keep_models=args.save_model is not None)
    except ConfigError as error:
        config_error(parser.prog, error)
    print_summary(results)
    write_outputs(args, experiment, results, state_dicts)
    return 0


def train_runs(experiment, runs, quiet: bool = False, keep_models: bool = False):
    """Train each run to the end (or divergence) with a progress bar on stderr. Returns the
    results and (``keep_models``) each run's final state_dict on the CPU; a trainer is dropped
    when its run ends, so runs cost memory one at a time."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ..engine.training.records import RunResult
    from ..engine.training.solvers import make_trainer

    results, state_dicts = [], []
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[rate]:>6.0f} epochs/s"), TimeElapsedColumn())
    with Progress(*columns, transient=False, disable=quiet, console=_stderr_console()) as progress:
        for run in runs:
            trainer = make_trainer(experiment, run.regularizer, run.lam, run.dropout)
            result = RunResult(run.regularizer, run.lam, dropout=trainer.dropout)
            task = progress.add_task(run.label(), total=trainer.epochs, rate=0.0)
            shown = time.perf_counter()
            for record in trainer.records():
                result.add(record)
                now = time.perf_counter()
                if now - shown >= PROGRESS_INTERVAL or trainer.done:
                    progress.update(task, completed=record.epoch, rate=record.epochs_per_s)
                    shown = now
            if result.diverged:
                progress.update(task, description=f"{run.label()} [red]diverged at epoch {result.epochs}[/]")
            results.append(result)
            if keep_models:
                state_dicts.append({k: v.detach().cpu().clone() for k, v in trainer.model.state_dict().items()})
            del trainer
    return results, state_dicts


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True)
