"""What ``wdtui run`` shows and writes once training is over."""

from __future__ import annotations

import argparse
import io
import json
import math
from typing import Sequence

import numpy as np
import torch
from rich import box
from rich.console import Console
from rich.table import Table

from ..engine.experiment import Experiment
from ..engine.export import Output, OutputError, csv_writer, document, json_writer, write_all
from ..engine.records import RunResult
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
                  state_dicts: Sequence[dict] | None) -> None:
    """``--out``, ``--save-model``, ``--save-data``: all of them or none (see ``export.write_all``)."""
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
    try:
        write_all(outputs)
    except OutputError as error:
        output_error("wdtui run", error)


def print_sweep(result) -> None:
    """λ, train loss, test loss, ‖w‖ (± std over seeds), diverged; the best λ marked."""
    final, best = result.final(), result.best_index
    table = Table(title=f"after {result.last.epoch} epochs" + (f", mean ± std over {result.seeds} seeds"
                                                                if result.seeds > 1 else ""),
                  box=box.SIMPLE_HEAD)
    accuracy = "test_accuracy" in final
    for column in ("λ", "train loss", "test loss", *(["test acc"] if accuracy else []), "‖w‖", "diverged", ""):
        table.add_column(column, justify="right")

    def cell(key: str, i: int) -> str:
        mean, std = final[key][0][i], final[key][1][i]
        if key == "test_accuracy":
            return _percent(mean) + (f" ± {100 * std:.2g}" if result.seeds > 1 and math.isfinite(std) else "")
        return number(mean) + (f" ± {std:.2g}" if result.seeds > 1 and math.isfinite(std) else "")

    for i, lam in enumerate(result.lambdas):
        marked = i == best
        table.add_row(f"{lam:.4g}", cell("train_loss", i), cell("test_loss", i),
                      *([cell("test_accuracy", i)] if accuracy else []), cell("weight_norm", i),
                      "[red]yes[/]" if result.diverged[i] else "no", "[green]← best[/]" if marked else "",
                      style="bold" if marked else None)
    console = Console()
    if not console.is_terminal:
        console.width = 120
    console.print(table)
    if best is None:
        console.print("[red]every λ diverged: no best λ[/]")
    else:
        console.print(f"best λ by test loss: [bold]{result.lambdas[best]:.4g}[/]")


def print_grid(grids) -> None:
    """Final test loss over (lr, λ), one heatmap per regularizer."""
    console = Console()
    if not console.is_terminal:
        console.width = 160
    for grid, table in zip(grids, grid_tables(grids, colour=console.color_system is not None)):
        console.print(table)
        console.print(best_line(grid))
