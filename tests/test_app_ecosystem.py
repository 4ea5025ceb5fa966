"""The app's hooks into the ecosystem: t writes TensorBoard event files of the runs, the export
writes the settings beside the metrics, and ``wdtui --config`` opens those settings."""

import json

import tomllib
from test_app import app, wait_for
from test_tensorboard import board

from wdtui.cli.app_command import build_parser, checked_config


async def test_t_writes_event_files_of_both_runs_every_epoch(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    a = app(epochs=6, compare=True)
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.press("t", "space")
        await wait_for(pilot, lambda: a.snapshot.finished)
        await pilot.press("q")
    folders = sorted(p.name for p in (tmp_path / "runs").iterdir())
    assert folders == ["coupled-lambda0-seed0", "coupled-lambda0.01-seed0"]  # the sine run and λ = 0
    for name in folders:
        scalars, histograms = board(tmp_path / "runs" / name)
        assert sorted(scalars["train_loss"]) == [1, 2, 3, 4, 5, 6]
        for tag in ("weights/0.weight", "gradients/0.weight"):  # at least the last epoch, which the app draws
            assert 6 in histograms[tag], tag


async def test_t_again_stops_writing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    a = app(epochs=3)
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.press("t", "t", "space")
        await wait_for(pilot, lambda: a.snapshot.finished)
    assert a.board_root is None and not (tmp_path / "runs").exists()


async def test_export_writes_the_settings_that_reopen_the_app(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    a = app(epochs=3, seed=5, lr=0.02)
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.press("space")
        await wait_for(pilot, lambda: a.snapshot.finished)
        await pilot.press("e")
        await wait_for(pilot, lambda: list(tmp_path.glob("wdtui-sine-*.toml")))
    (saved,) = tmp_path.glob("wdtui-sine-*.toml")
    (exported,) = tmp_path.glob("wdtui-sine-*.json")
    assert saved.stem == exported.stem
    settings = tomllib.loads(saved.read_text())
    assert settings["seed"] == 5 and settings["lr"] == 0.02 and settings["compare"] is False
    args, config = checked_config(build_parser(), ["--config", str(saved)])
    assert config == a.config and args.compare is False
    assert json.loads(exported.read_text())["config"]["seed"] == 5
