"""Shared helpers: build an experiment, train to the end, and a plain-PyTorch reference loop."""

from __future__ import annotations

import asyncio
import inspect
import time
from typing import Callable

import pytest
import textual._wait
import torch

from wdtui.engine.config import make_config
from wdtui.engine.experiment import Experiment, build_experiment
from wdtui.engine.training.trainer import Trainer


def experiment(preset: str, **overrides) -> Experiment:
    return build_experiment(make_config(preset, **overrides))


def trained(exp: Experiment, regularizer: str, lam: float, dropout: float | None = None,
            optimizer: str | None = None) -> Trainer:
    trainer = Trainer(exp, regularizer, lam, dropout, optimizer)
    for _ in trainer.records():
        pass
    return trainer


def _half_unit(number: str) -> float:
    """Half a unit of a number's last stated digit: "0.046" → 0.0005, "1.2e4" → 500, "2,340" → 5,
    "930" → 5 (trailing zeros of an integer are not significant), "13" → 0.5."""
    number = number.replace(",", "")
    mantissa, _, exponent = number.partition("e")
    if "." in mantissa:
        digits = -len(mantissa.split(".")[1])
    else:
        digits = len(mantissa) - len(mantissa.rstrip("0")) if mantissa.strip("0") else 0
    return 0.5 * 10.0 ** (digits + int(exponent or 0))


def stated(preset: str, text: str, value: float, cpu: float = 0.0) -> None:
    """The guide of ``preset`` says ``text`` (a number as printed, "0.046"; or a range of values
    over seeds, "12.3–14.3", checked against ``min(value)`` and ``max(value)``), and the measured
    value rounds to it: within half a unit of the last stated digit, plus ``cpu``, the spread
    float32 rounding makes between CPUs (0 for float64 results)."""
    from wdtui.engine.lessons.guides import GUIDES

    assert text in GUIDES[preset], (preset, text)
    if "–" in text:
        low, high = text.split("–")
        pairs = ((low, min(value)), (high, max(value)))
    else:
        pairs = ((text, value),)
    for number, measured in pairs:
        target = float(number.replace(",", ""))
        assert abs(measured - target) <= _half_unit(number) * (1 + 1e-9) + cpu, (preset, text, measured)


def reference_run(exp: Experiment, make_opt: Callable[[list, list], torch.optim.Optimizer],
                  penalty: Callable[[list], torch.Tensor] | None = None) -> torch.nn.Module:
    """The demo's plain loop on the experiment's data and initialization: full batch, torch.optim.
    ``make_opt(decayed, others)`` builds the optimizer from the two parameter groups."""
    cfg = exp.config
    assert cfg.batch_size is None or cfg.batch_size >= cfg.n_train, "reference loop is full batch"
    model = exp.new_model()
    named = dict(model.named_parameters())
    decayed = [named[n] for n in exp.decayed_names]
    others = [named[n] for n in exp.other_names]
    opt = make_opt(decayed, others)
    scale = 0.5 if cfg.loss == "half_mse" else 1.0
    for _ in range(cfg.epochs):
        opt.zero_grad()
        loss = scale * torch.nn.functional.mse_loss(model(exp.data.x_train), exp.data.y_train)
        if penalty is not None:
            loss = loss + penalty(decayed)
        loss.backward()
        opt.step()
    return model


def max_rel_diff(a: torch.nn.Module, b: torch.nn.Module) -> float:
    """Largest relative difference between two models' parameters."""
    worst = 0.0
    for p, q in zip(a.parameters(), b.parameters()):
        p, q = p.detach(), q.detach()
        scale = max(float(q.abs().max()), 1e-300)
        worst = max(worst, float((p - q).abs().max()) / scale)
    return worst


@pytest.fixture
def sine64() -> Experiment:
    """The sine preset, short, in float64."""
    return experiment("sine", epochs=60, dtype="float64")


@pytest.fixture(autouse=True)
def _no_animations(monkeypatch):
    """Deterministic screens: no animations in the app tests and snapshots."""
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")


@pytest.fixture(autouse=True)
def _idle_is_the_app_thread(monkeypatch):
    """The pilot's waits (``press``, ``pause()``) end when the app's own thread is idle, not the
    whole process: Textual's ``wait_for_idle`` compares the process's CPU time with the wall
    clock, and a training worker keeps the process busy, so each key pressed during training
    waited its cap (1 s, twice per key) and how many epochs ran meanwhile depended on the
    machine's load. The app's thread handles the keys; the worker reports through messages,
    which the tests wait for. Its idle check looks every ``SLEEP_GRANULARITY`` (1/50 s), at least
    once after each key and twice per key pressed; the pilot has already waited for every widget
    to handle its messages by then, so a check every 5 ms waits as surely and less long."""
    monkeypatch.setattr(textual._wait, "process_time", time.thread_time)
    monkeypatch.setattr(textual._wait, "SLEEP_GRANULARITY", 0.005)


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    """Run ``async def`` tests (the app's pilot tests) in a fresh event loop."""
    if inspect.iscoroutinefunction(pyfuncitem.obj):
        names = pyfuncitem._fixtureinfo.argnames
        asyncio.run(pyfuncitem.obj(**{name: pyfuncitem.funcargs[name] for name in names}))
        return True
    return None
