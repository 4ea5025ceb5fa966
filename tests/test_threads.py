"""The automatic thread count: one thread for small steps; for larger ones, no more threads than
the cores other processes leave idle (a thread on a busy core stalls every operation)."""

import os

import pytest

from wdtui.engine import experiment as engine
from wdtui.engine.experiment import SMALL_WORK, auto_threads, idle_cores


def test_idle_cores_is_a_share_of_the_machines_cores():
    idle = idle_cores(0.05)
    if idle is None:
        pytest.skip("no /proc/stat here")
    assert 0.0 <= idle <= (os.cpu_count() or 1) + 1e-9


@pytest.mark.parametrize("idle,expected", [
    (0.0, 1),  # every core busy (two CPU hogs on two cores): one thread
    (0.3, 1),
    (1.4, 1),  # one core idle
    (None, None),  # the load cannot be read: torch's own choice
])
def test_threads_follow_the_idle_cores(monkeypatch, idle, expected):
    monkeypatch.setattr(engine, "_TORCH_THREADS", 2)
    monkeypatch.setattr(engine, "idle_cores", lambda seconds=0.1: idle)
    assert auto_threads(SMALL_WORK * 10) == expected


def test_an_idle_machine_keeps_torchs_threads_and_small_steps_use_one(monkeypatch):
    monkeypatch.setattr(engine, "_TORCH_THREADS", 4)
    monkeypatch.setattr(engine, "idle_cores", lambda seconds=0.1: 3.7)
    assert auto_threads(SMALL_WORK * 10) is None  # all 4 (3.7 rounds to 4)
    monkeypatch.setattr(engine, "idle_cores", lambda seconds=0.1: 2.6)
    assert auto_threads(SMALL_WORK * 10) == 3
    monkeypatch.setattr(engine, "idle_cores", lambda seconds=0.1: pytest.fail("small steps never watch the load"))
    assert auto_threads(SMALL_WORK - 1) == 1
