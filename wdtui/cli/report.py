"""What ``wdtui run`` shows and writes once training is over."""

from __future__ import annotations

import argparse
import io
import math
from typing import Sequence

import numpy as np
import torch
from rich import box
from rich.console import Console
from rich.table import Table

from ..engine.experiment import Experiment
from ..engine.export import Output, OutputError, csv_writer, document, json_writer, write_all
from ..engine.training.records import RunResult
from ..tables import best_line, grid_tables, number
from .options import output_error


def _percent(value: float) -> str:
    return f"{100 * value:.2f} %" if math.isfinite(value) else "—"


def print_summary(results: Sequence[RunResult]) -> None:
    table = Table(title="final epoch", box=box.SIMPLE_HEAD)
    dropout = any(r.dropout for r in results)
    accuracy = "test_accuracy" in results[0].history
    columns = ["regularizer", "λ", *(["dropout"] if dropout else []), "epochs", "train loss", "test loss",
               *(["train acc", "test acc"] if accuracy else []), "‖w‖", "zeros", "diverged"]
    for column in columns:
        table.add_column(column, justify="left" if column == "regularizer" else "right")
    for r in results:
        final = r.final()
        table.add_row(r.regularizer, f"{r.lam:g}", *([f"{r.dropout:g}"] if dropout else []), str(r.epochs),
                      number(final["train_loss"]), number(final["test_loss"]),
                      *([_percent(final["train_accuracy"]), _percent(final["test_accuracy"])] if accuracy else []),
                      number(final["weight_norm"]), str(final["zeros"]),
                      "[red]yes[/]" if r.diverged else "no")
    console = Console()
    if not console.is_terminal:  # piped or captured: no terminal width to respect
        console.width = 120
    console.print(table)
    diverged = [r for r in results if r.diverged]
    if diverged:
        lams = ", ".join(f"{r.regularizer} λ={r.lam:g} (epoch {r.epochs})" for r in diverged)
        Console(stderr=True, soft_wrap=True).print(f"[red]diverged (loss NaN/inf, over 10⁶ × its start, or η·λ too large for the dtype): {lams}[/]")


def _saved(state: dict) -> bytes:
    """torch.save's bytes. Saved to memory first: writing to the file directly, torch turns a full
    disk into a RuntimeError ("unexpected pos") that no longer says what went wrong."""
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getvalue()


def write_outputs(args: argparse.Namespace, experiment: Experiment, results: Sequence[RunResult],
                  state_dicts: Sequence[dict] | None, settings: dict | None = None) -> None:
    """``--out``, ``--save-model``, ``--save-data``, ``--save-config`` (``settings``): all of them
    or none (see ``export.write_all``)."""
    outputs = []
    if args.out is not None:
        if args.out.lower().endswith(".csv"):
            outputs.append(Output("out", args.out, csv_writer(results)))
        else:
            doc = document(experiment.config, str(experiment.device), results, lazy=True)
            outputs.append(Output("out", args.out, json_writer(doc)))
    if args.save_model is not None:
        state = {"lambdas": [r.lam for r in results], "regularizers": [r.regularizer for r in results],
                 "state_dicts": list(state_dicts or [])}
        outputs.append(Output("save_model", args.save_model, lambda f: f.write(_saved(state))))
    if args.save_data is not None:
        arrays = experiment.data.arrays()
        outputs.append(Output("save_data", args.save_data, lambda f: np.savez(f, **arrays)))
    if settings is not None:
        outputs.append(settings_output(args.save_config, settings))
    try:
        write_all(outputs)
    except OutputError as error:
        output_error("wdtui run", error)


def settings_output(path: str, settings: dict) -> Output:
    """``--save-config``: the settings as TOML."""
    from ..engine.settings import settings_text

    text = settings_text(settings).encode("utf-8")
    return Output("save_config", path, lambda f: f.write(text))


def print_sweep(result, exact: bool = False) -> None:
    """λ, train/validation/test loss, ‖w‖ (± standard error over seeds), the paired difference
    against λ = 0, diverged; the best λ and the range within one standard error marked.
    ``exact``: the numbers are the exact solver's closed-form solutions, not an epoch's."""
    spreads, best = result.spreads(), result.best_index
    several = result.seeds > 1
    within = result.within_one_se() or [False] * len(result.lambdas)
    paired = result.paired("val_loss") if several else None
    when = "exact solutions (closed form)" if exact else f"after {result.last.epoch} epochs"
    table = Table(title=when + (f", mean ± standard error over {result.seeds} seeds" if several else ""),
                  box=box.SIMPLE_HEAD)
    accuracy = "test_accuracy" in spreads
    columns = ("λ", "train loss", "val loss", "test loss", *(["test acc"] if accuracy else []), "‖w‖", "zeros",
               *(["val − val(λ=0)"] if paired is not None else []), "diverged", "")
    for column in columns:
        table.add_column(column, justify="right")

    def cell(key: str, i: int) -> str:
        s = spreads[key]
        mean, sem = s.mean[i], s.sem[i]
        error = several and math.isfinite(sem)
        if key == "test_accuracy":
            return _percent(mean) + (f" ± {100 * sem:.2g}" if error else "")
        return number(mean) + (f" ± {sem:.2g}" if error else "")

    for i, lam in enumerate(result.lambdas):
        mark = "[green]← best[/]" if i == best else "[green]≈ best (1 SE)[/]" if within[i] else ""
        difference = []
        if paired is not None:
            m, e = paired.mean[i], paired.sem[i]
            difference = ["reference" if i == result.zero_index else
                          (f"{m:+.3g} ± {e:.2g}" if math.isfinite(m) else "—")]
        table.add_row(f"{lam:.4g}", cell("train_loss", i), cell("val_loss", i), cell("test_loss", i),
                      *([cell("test_accuracy", i)] if accuracy else []), cell("weight_norm", i),
                      f"{spreads['zeros'].mean[i]:g}", *difference,
                      "[red]yes[/]" if result.diverged[i] else "no", mark, style="bold" if i == best else None)
    console = Console()
    if not console.is_terminal:  # piped or captured: room for every column with its ± error
        console.width = 180
    console.print(table)
    for line in result.verdict():
        console.print(line, markup=False)
    if several:
        console.print("(best: lowest mean validation loss; 1 SE: above the best by at most one standard error of the "
                      "same seeds' difference; "
                      "beats λ = 0: the same seeds' validation loss lower by more than 2 standard errors "
                      "of the paired difference)", markup=False, style="dim")


def print_samples(result) -> None:
    """Sample-size mode: mean test loss per n_train (rows) and λ (columns), then each λ's peak."""
    several = result.seeds > 1
    table = Table(title="test loss (exact solutions)" + (f", mean over {result.seeds} seeds" if several else ""),
                  box=box.SIMPLE_HEAD)
    table.add_column("n_train", justify="right")
    for lam in result.lambdas:
        table.add_column(f"λ={lam:.3g}", justify="right")
    for n, row in zip(result.n_trains, result.table("test_loss")):
        table.add_row(str(n), *(number(v) for v in row))
    console = Console()
    if not console.is_terminal:
        console.width = 160
    console.print(table)
    for line in result.summary():
        console.print(line, markup=False)


def print_grid(grids) -> None:
    """Final validation loss over (lr, λ) (the best cell is chosen on it), one heatmap per regularizer."""
    console = Console()
    if not console.is_terminal:
        console.width = 160
    for grid, table in zip(grids, grid_tables(grids, colour=console.color_system is not None)):
        console.print(table)
        console.print(best_line(grid))


def progress_bar(quiet: bool, rate: bool = False):
    """The commands' progress bar on stderr (off with --quiet): description, bar, done/total,
    (``rate``: the task's ``rate`` field as epochs/s,) elapsed time."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn()]
    if rate:
        columns.append(TextColumn("{task.fields[rate]:>6.0f} epochs/s"))
    return Progress(*columns, TimeElapsedColumn(), disable=quiet, console=Console(stderr=True))
