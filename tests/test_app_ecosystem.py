"""The app's hooks into the ecosystem: t writes TensorBoard event files of the runs, the export
writes the settings beside the metrics, and ``wdtui --config`` opens those settings."""

import json

import tomllib

import pytest
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
    assert folders == ["comparison-coupled-lambda0-seed0", "run-coupled-lambda0.01-seed0"]  # the sine run and λ = 0
    for name in folders:
        scalars, histograms = board(tmp_path / "runs" / name)
        assert sorted(scalars["train_loss"]) == [1, 2, 3, 4, 5, 6]
        for tag in ("weights/0.weight", "gradients/0.weight"):  # at least the last epoch, which the app draws
            assert 6 in histograms[tag], tag


async def test_a_lambda_changed_live_is_in_the_lambda_scalar_of_the_runs_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    a = app(epochs=6)
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.press("t", "n")
        await wait_for(pilot, lambda: a.snapshot.records[0].epoch == 1 and not a.snapshot.running)
        await pilot.press("right_square_bracket", "n")
        await wait_for(pilot, lambda: a.snapshot.records[0].epoch == 2 and not a.snapshot.running)
        await pilot.press("q")
    (folder,) = (tmp_path / "runs").iterdir()
    scalars, _ = board(folder)
    assert folder.name == "run-coupled-lambda0.01-seed0"  # opened at λ 0.01
    assert scalars["lambda"][1] == pytest.approx(0.01) and scalars["lambda"][2] == pytest.approx(10**-1.75)


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


async def test_a_comparison_set_in_the_sidebar_is_exported_and_reopened(tmp_path, monkeypatch):
    """The exported TOML said it held "its settings" but not the comparison's."""
    from wdtui.cli.app_command import comparison_of

    monkeypatch.chdir(tmp_path)
    a = app(epochs=3, compare=True)
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        a.apply_change("compare_lam", 0.1)
        a.apply_change("compare_optimizer", "sgd")
        await wait_for(pilot, lambda: a.ready is not None and a.state.comparison.optimizer == "sgd")
        await pilot.press("e")
        await wait_for(pilot, lambda: list(tmp_path.glob("wdtui-sine-*.toml")))
    (saved,) = tmp_path.glob("wdtui-sine-*.toml")
    settings = tomllib.loads(saved.read_text())
    assert settings["compare_lambda"] == 0.1 and settings["compare_optimizer"] == "sgd"
    # the JSON says which run is which, by the names on screen, and what each trained with
    (exported,) = tmp_path.glob("wdtui-sine-*.json")
    runs = json.loads(exported.read_text())["runs"]
    assert [(r["role"], r["optimizer"], r["lambda"]) for r in runs] == [("run", "adam", 0.01), ("comparison", "sgd", 0.1)]
    assert runs[0]["label"] == a.ready.labels[0] == "run" and runs[1]["label"] == a.ready.labels[1]
    assert runs[1]["label"].startswith("vs coupled λ=0.1")
    parser = build_parser()
    args, config = checked_config(parser, ["--config", str(saved)])
    assert comparison_of(parser, args, config) == (a.config, a.state.comparison)


def test_a_comparison_the_model_cannot_train_is_one_line_and_exit_2(capsys):
    from wdtui.cli.main import main

    with pytest.raises(SystemExit) as stop:
        main(["--preset", "sparse", "--compare-dropout", "0.5"])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert "--compare-dropout: the comparison cannot train: a linear model" in err
    with pytest.raises(SystemExit):
        main(["--compare-regularizer", "none", "--compare-lambda", "0.1"])
    assert "argument --compare-lambda: the comparison cannot train" in capsys.readouterr().err  # not --lambdas


def test_without_a_terminal_the_app_says_so_instead_of_spinning(tmp_path):
    """stdin and stdout not a terminal: the app had drawn into the pipe and waited for keys for
    ever at 100 % of a core. One line and exit 2; with --save-config the file is written, exit 0."""
    import subprocess
    import sys

    run = lambda *argv: subprocess.run([sys.executable, "-m", "wdtui.cli.main", *argv], stdin=subprocess.DEVNULL,  # noqa: E731
                                       capture_output=True, text=True, timeout=60, cwd=tmp_path,
                                       env={k: v for k, v in __import__("os").environ.items() if k != "TEXTUAL_DRIVER"})
    done = run("--preset", "sine")
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "needs a terminal" in done.stderr
    assert "wdtui run" in done.stderr and not done.stdout  # nothing drawn into the pipe
    saved = tmp_path / "s.toml"
    done = run("--preset", "d2l", "--save-config", str(saved))
    assert done.returncode == 0 and tomllib.loads(saved.read_text())["preset"] == "d2l"


async def test_an_export_while_the_comparison_is_hidden_replays_the_same_run(tmp_path, monkeypatch):
    """Hidden, the comparison trains beside the run (its float32 numbers are those of the pair):
    the settings say compare = true, so a replay trains the same run, not the run alone."""
    monkeypatch.chdir(tmp_path)
    a = app(epochs=3, compare=True)
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.press("c")
        await pilot.pause(0.2)
        assert a.state.hidden
        await pilot.press("e")
        await wait_for(pilot, lambda: list(tmp_path.glob("wdtui-sine-*.toml")))
        # the JSON holds the run shown; the settings its hidden comparison too: the toast says so
        await wait_for(pilot, lambda: any("with the hidden comparison, which trains beside it" in n.message
                                          for n in a._notifications))
    (saved,) = tmp_path.glob("wdtui-sine-*.toml")
    assert tomllib.loads(saved.read_text())["compare"] is True
    (exported,) = tmp_path.glob("wdtui-sine-*.json")
    assert [r["role"] for r in json.loads(exported.read_text())["runs"]] == ["run"]  # what was shown


async def test_an_exports_config_holds_the_set_sizes_as_read(tmp_path, monkeypatch):
    """digits' test set is "all" (the rest of the 1,797 images): the app's JSON said null where
    wdtui run's says how many; its settings file keeps "all", as asked for."""
    monkeypatch.chdir(tmp_path)
    a = app("digits", epochs=1, n_train=32, batch_size=32, compare=False)
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.press("e")
        await wait_for(pilot, lambda: list(tmp_path.glob("wdtui-digits-*.toml")))
    (exported,) = tmp_path.glob("wdtui-digits-*.json")
    (saved,) = tmp_path.glob("wdtui-digits-*.toml")
    config = json.loads(exported.read_text())["config"]
    assert (config["n_train"], config["n_test"]) == (32, 1797 - 32)
    assert tomllib.loads(saved.read_text())["n_test"] == "all"


async def test_an_exports_settings_are_those_its_epochs_trained_and_fewer_epochs_end_the_run(
        tmp_path, monkeypatch):
    """A λ typed after the run finished is pending: the export's settings file held it, and its
    replay trained a run the JSON does not hold (review 14a C3). A change made while training is
    named in the file's header. Epochs set below the epochs trained leave the run ended where it
    is, and the file holds the epochs it trained (the status had read "epoch 9606/2000 done", the
    file 2000)."""
    from test_app_truth import typed

    monkeypatch.chdir(tmp_path)
    a = app(epochs=20, compare=False)
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.press("n")  # one epoch at λ = 0.01, then λ up the ladder for the rest
        await wait_for(pilot, lambda: a.snapshot.records[0].epoch == 1)
        await pilot.press("right_square_bracket", "space")
        await wait_for(pilot, lambda: a.snapshot.finished)
        trained = a.snapshot.records[0].lam
        await pilot.press("right_square_bracket")  # pending: the run is finished
        assert a.config.lam > trained
        await typed(pilot, "epochs", "5")  # fewer than trained: the run ends where it is, r trains 5
        assert a.config.epochs == 5 and a.snapshot.records[0].epoch == 20
        assert any("epochs 5: fewer than the run has trained; it ends where it is (its last epoch stays trained and shown); "
                   "r trains 5 from epoch 0" in n.message
                   for n in a._notifications), [n.message for n in a._notifications]
        a.set_focus(None)
        await pilot.press("e")
        await wait_for(pilot, lambda: list(tmp_path.glob("wdtui-sine-*.toml")))
        await pilot.pause(0.2)
        notices = [n.message for n in a._notifications]
    text = next(tmp_path.glob("wdtui-sine-*.toml")).read_text()
    assert tomllib.loads(text)["lambda"] == trained and tomllib.loads(text)["epochs"] == 20
    assert "# changed while it trained: λ 0.01→0.0178 at epoch 2; this file trains the last of them from epoch 0" in text
    assert any(f"λ {a.config.lam:.4g} is not trained yet, not in it" in n for n in notices), notices


@pytest.mark.parametrize("argv,run_p,other_p", [
    ([], 0.0, 0.5),  # the preset's: coupled λ 0.01 without dropout beside none with p 0.5
    (["--dropout", "0.3"], 0.3, 0.5),  # --dropout is the run's p, as the sidebar's "dropout p"
    (["--dropout", "0.3", "--compare-dropout", "0.2"], 0.3, 0.2),  # each its own; nothing dropped
])
def test_dropout_is_the_runs_p_and_a_saved_app_replays_it(tmp_path, capsys, argv, run_p, other_p):
    """--dropout had set the dropout preset's comparison (the run's field read 0), was thrown
    away beside --compare-dropout, and --save-config wrote the comparison's 0.5 as `dropout`."""
    from wdtui.cli.app_command import comparison_of, main

    parser = build_parser()
    args, config = checked_config(parser, ["--preset", "dropout", *argv])
    config, comparison = comparison_of(parser, args, config)
    if comparison is None:
        from wdtui.app.session import preset_comparison

        config, comparison = preset_comparison(config)
    assert (config.dropout, comparison.dropout) == (run_p, other_p)
    saved = tmp_path / "app.toml"
    assert main(["--preset", "dropout", *argv, "--save-config", str(saved)]) == 0
    settings = tomllib.loads(saved.read_text())
    assert (settings["dropout"], settings["compare_dropout"]) == (run_p, other_p)
    args, replayed = checked_config(build_parser(), ["--config", str(saved)])
    replayed, again = comparison_of(build_parser(), args, replayed)
    assert (replayed.dropout, again.dropout) == (run_p, other_p) and again == comparison


def test_snapshot_takes_dropout_as_the_runs_p_as_the_app_does(tmp_path, monkeypatch):
    import wdtui.app.app as app_module
    from wdtui.cli.main import main as cli

    seen = {}

    class Capture:
        failure, return_code = None, 0

        def __init__(self, config, **kwargs):
            seen.update(config=config, **kwargs)

        def run(self, **kwargs):
            pass

    monkeypatch.setattr(app_module, "WdtuiApp", Capture)
    assert cli(["snapshot", "--preset", "dropout", "--dropout", "0.3", "--out", str(tmp_path / "s.svg")]) == 0
    assert seen["config"].dropout == 0.3 and seen["comparison"].dropout == 0.5
