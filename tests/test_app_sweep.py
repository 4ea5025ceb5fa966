"""The Sweep tab as an instrument, driven with Textual's pilot: ETA and cancel, the run's λ and
λ = 0 marked, the path of linear models, b for the grid's best (lr, λ), export, colours."""

import dataclasses
import json
import math

from rich.console import Console
from textual.geometry import Region
from test_app import app, wait_for

from wdtui.app.messages import SweepProgress
from wdtui.app.sweep_view import duration
from wdtui.app.widgets.charts import BASELINE, RUN, SweepLossChart, SweepNormChart, SweepPathChart
from wdtui.engine.sweeps.sweep import GridResult
from wdtui.engine.lessons.trends import SHOWN, spelled
from wdtui.tables import cell, grid_tables, rank_scale


async def test_sweep_shows_eta_while_running_and_x_cancels_within_a_step():
    a = app(epochs=100000)
    a.deterministic = False  # the ETA is timing text, hidden in snapshots only
    messages = []
    async with a.run_test(size=(120, 40), message_hook=messages.append) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.press("w")
        await wait_for(pilot, lambda: a.sweep_snapshot is not None and a.sweep_snapshot.eta_s is not None)
        snap = a.sweep_snapshot
        left = snap.epochs - snap.epoch
        assert snap.eta_s > 0 and math.isfinite(snap.eta_s)
        # the next frame shows it (the view changes by frames, with its charts)
        await wait_for(pilot, lambda: "ETA" in str(a.query_one("#sweep-status").render()))
        assert "x cancels" in str(a.query_one("#sweep-status").render())
        # the verdict of an epoch on the way can still change: said as one
        await wait_for(pilot, lambda: "so far: best λ by val loss" in str(a.query_one("#sweep-status").render()))
        await pilot.press("b")  # a best so far, said to be one: it can change before the sweep ends
        notices = [n.message for n in a._notifications]
        assert any("the sweep's best by validation loss" in n and "so far: still training (epoch" in n
                   and "the best may change" in n for n in notices), notices
        await pilot.press("x")
        assert not a.sweeping
        await wait_for(pilot, lambda: a._sweep_worker.is_finished, timeout=2.0)  # stops within a step
        status = str(a.query_one("#sweep-status").render())
        assert f"cancelled: the numbers are epoch {a.sweep_snapshot.epoch}'s" in status and "ETA" not in status
        assert a.sweep_snapshot.epoch < left
        a._notifications.clear()
        await pilot.press("b")  # cancelled: its best is of the epochs it trained, and no longer changes
        notices = [n.message for n in a._notifications]
        assert any(f"cancelled at epoch {a.sweep_snapshot.epoch} of 100000: the best of what it trained" in n
                   for n in notices) and not any("still training" in n for n in notices), notices
    posted = [m for m in messages if isinstance(m, SweepProgress)]
    assert posted and all(m.snapshot.seeds == 3 for m in posted)


async def test_sweep_marks_the_runs_lambda_and_lambda_zero_and_tells_the_verdict():
    a = app(epochs=30)
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.press("w")
        await wait_for(pilot, lambda: a.sweep_snapshot is not None and a.sweep_snapshot.finished)
        chart = a.query_one(SweepLossChart)
        assert chart.data[0] is a.sweep_snapshot and chart.data[1] == a.lam
        await pilot.press("right_square_bracket")  # the run's λ moves: the sweep's mark follows
        assert a.query_one(SweepLossChart).data[1] == a.lam == a.query_one(SweepNormChart).data[1]
        await pilot.pause(0.3)
        text = str(a.query_one(SweepLossChart).render())
        assert "val at λ=0" in text and "test at λ=0" in text  # λ = 0 drawn as a reference
        best = a.sweep_snapshot.best_lambda
        assert f"run λ {a.lam:.3g}" in text and (f"best {best:.3g}" if best else "best λ=0 (dashed)") in text
        status = str(a.query_one("#sweep-status").render())
        for line in a.sweep_snapshot.verdict:  # the CLI's verdict, word for word
            assert line in status
        assert "best λ by val loss" in status and "within 1 SE of the best" in status


def test_eta_is_written_in_seconds_minutes_or_hours():
    assert duration(42.4) == "ETA 42 s" and duration(185) == "ETA 3 min 5 s" and duration(None) == ""
    assert duration(7500) == "ETA 2 h 5 min"


async def test_sparse_sweep_draws_the_regularization_path_with_the_ridge_closed_form():
    a = app("sparse", epochs=30, regularizer="l2")
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.press("w")
        await wait_for(pilot, lambda: a.sweep_snapshot is not None and a.sweep_snapshot.finished)
        snap = a.sweep_snapshot
        assert len(snap.weights) == 26 and all(len(w) == 50 for w in snap.weights)
        assert snap.ridge is not None and len(snap.ridge) == 26
        assert a.query_one("#sweep-path").display
        await pilot.pause(0.3)
        text = str(a.query_one(SweepPathChart).render())
        assert "ridge closed form" in text and "learned" in text and "exact zeros 0 → 0" in text


async def test_sine_sweep_has_no_path_chart():
    a = app(epochs=10)
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.press("w")
        await wait_for(pilot, lambda: a.sweep_snapshot is not None and a.sweep_snapshot.finished)
        assert a.sweep_snapshot.weights is None and not a.query_one("#sweep-path").display


async def test_e_on_the_sweep_tab_exports_the_sweep_json(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    a = app(epochs=20)
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.press("w")
        await wait_for(pilot, lambda: a.sweep_snapshot is not None and a.sweep_snapshot.finished)
        await pilot.press("e")
        await wait_for(pilot, lambda: list(tmp_path.glob("*-sweep.json")))
    doc = json.loads(next(tmp_path.glob("*-sweep.json")).read_text())
    snap = a.sweep_snapshot
    assert doc["lambdas"] == list(snap.lambdas) and doc["seeds"] == 3
    assert doc["best_lambda"] == snap.best_lambda and doc["best_range"] == list(snap.best_range)
    assert doc["final"]["val_loss"] == list(snap.val_loss)
    assert len(doc["final"]["per_seed"]["test_loss"]) == 3 and "paired_vs_zero" in doc["final"]
    assert doc["config"]["validation"]["kind"] == "drawn"


async def test_b_after_a_grid_loads_its_best_lr_and_lambda_and_e_exports_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    a = app(epochs=8)
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.press("g")
        await wait_for(pilot, lambda: a.grid_snapshot is not None and a.grid_snapshot.finished)
        await pilot.press("e")
        await wait_for(pilot, lambda: list(tmp_path.glob("*-grid.json")))
        coupled = next(g for g in a.grid_snapshot.grids if g.regularizer == "coupled")
        decoupled = next(g for g in a.grid_snapshot.grids if g.regularizer == "decoupled")
        r, l = coupled.best
        said = []
        monkeypatch.setattr(a, "notify", lambda message, **kw: said.append(message))
        await pilot.press("b")
        assert a.config.regularizer == "coupled"  # the run's own regularizer's grid, by name
        assert said and "the coupled grid's best" in said[-1]
        own, other = coupled.grid("val_loss")[r][l], decoupled.grid("val_loss")[decoupled.best[0]][decoupled.best[1]]
        assert ("decoupled's grid did better" in said[-1]) == (other < own)  # where the other grid did better, that too
        assert a.config.lr == coupled.lrs[r] and a.lam == coupled.lambdas[l]
        assert a.query_one("#input-lr").value == f"{coupled.lrs[r]:g}"
        assert a.query_one("TabbedContent").active == "charts"
    doc = json.loads(next(tmp_path.glob("*-grid.json")).read_text())
    assert doc["mode"] == "grid" and doc["grids"]["coupled"]["best"]["lr"] == coupled.lrs[r]


def test_sweep_colours_do_not_reuse_the_run_colours():
    """Cyan and orange are the run and its comparison on every tab: the sweep's train, val and
    test curves use other colours; cyan on the Sweep tab is the run's own λ and quantities."""
    sets = {color for _, _, color in SweepLossChart.keys}
    assert len(sets) == 3 and not sets & {RUN, BASELINE}
    assert {color for _, _, color in SweepNormChart.keys} == {RUN}


def test_grid_colour_is_by_rank_so_close_losses_differ():
    scale = rank_scale([0.1146, 0.1309, 0.5, math.nan, 0.1146])
    assert scale == {0.1146: 0.0, 0.1309: 0.5, 0.5: 1.0}  # 0.1146 and 0.1309 far apart in colour


def _grid(regularizer, values, lambdas=(1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0)):
    from wdtui.engine.training.batched import SweepRecord

    k = len(values)
    record = SweepRecord(epoch=5, train_loss=values, test_loss=values, weight_norm=[1.0] * k,
                         penalty=[0.0] * k, zeros=[0] * k, diverged=[False] * k, val_loss=values)
    return GridResult(regularizer, [1e-3, 3e-3, 1e-2, 3e-2, 1e-1], list(lambdas), 1, record)


def test_grid_tables_stay_readable_at_80_columns():
    """Beside the sidebar at 80×24 the Sweep tab has 44 columns: every cell whole, also losses
    below 0.1 (".09…" had cut 8 of 30 on sine-overfit) and a blown-up one (quadratic's
    "1.08e…"); the lr and λ as the hint writes them."""
    values = [0.0902 + 0.0013 * i for i in range(30)]
    values[5], values[11] = 1.08e4, 0.205
    grids = [_grid("coupled", values), _grid("decoupled", values[::-1])]
    for grid in grids:
        grid.lrs[:] = [1e-3, 10**-2.5, 1e-2, 10**-1.5, 1e-1]
    console = Console(width=44, record=True)  # the Sweep tab at 80×24, beside the sidebar
    for table in grid_tables(grids):
        console.print(table)
    text = console.export_text()
    assert "…" not in text and ".0902 " in text and " 10800" in text and ".205" in text
    assert " 1e-5 " in text and " 1e0" in text  # the λ ladder: one notation, as the hint's
    assert "3.16e-3" in text and "3.16e-2" in text and "1e-1 " in text  # lr 10^-2.5 needs 3 digits: all as powers


def test_grid_axes_are_written_in_one_notation_and_cells_print_alike_as_their_3_digits():
    assert spelled([1e-3, 3e-3, 1e-2, 3e-2, 0.1]) == ["0.001", "0.003", "0.01", "0.03", "0.1"]
    assert spelled([1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1.0]) == ["1e-5", "1e-4", "1e-3", "1e-2", "1e-1", "1e0"]
    assert spelled([0.0, 1.523e-9]) == ["0", "1.52e-9"]
    assert [cell(v) for v in (0.0902, 0.14, 2.5, 1.08e4, 1.2e-5, math.inf, 0.009514)] == [
        ".0902", ".14", "2.5", "10800", "1.2e-5", "div", ".00951"]  # not 9.51e-3: it widened its column
    for exponent in range(-3, 5):  # every 3-digit loss from 0.001 to 99,900 in at most 6 characters
        for mantissa in range(100, 1000):
            value = mantissa * 10.0 ** (exponent - 2)
            assert len(cell(value)) <= (5 if 0.01 <= value < 1e5 else 6), (value, cell(value))
    values = [0.09024, 0.09016, 0.0903, 1234.4, 1235.6, 0.000012345, 0.00001234]
    for a in values:  # a cell's spelling tells exactly what SHOWN tells: the tie rule is what is printed
        for b in values:
            assert (cell(a) == cell(b)) == (SHOWN.format(a) == SHOWN.format(b))


def test_the_grids_best_cell_says_how_many_cells_print_alike():
    """The app's sine grid: the best cell (0.1476) printed 0.148 as three cells of another lr did;
    the line says so rather than name one winner the table cannot show."""
    from wdtui.tables import best_line

    values = [0.2 + 0.01 * i for i in range(30)]
    values[20], values[3], values[4] = 0.1476, 0.1478, 0.1481
    assert best_line(_grid("coupled", values)).endswith("test 0.1476; 2 other cells print alike)")
    values[4] = 0.149
    assert best_line(_grid("coupled", values)).endswith("; 1 other cell prints alike)")
    values[3] = 0.16
    assert best_line(_grid("coupled", values)).endswith("(val 0.1476, test 0.1476)")


def test_the_grid_has_lambda_zero_and_its_best_line_gives_lambda_zeros_loss_at_that_lr():
    """On sine (decay hurts) the app's grid named "best λ 1e-4" with no λ = 0 to compare with, while
    the λ sweep said no λ beats λ = 0: the grid has λ = 0, a best λ > 0 is said beside λ = 0's
    loss at its lr, and a best λ = 0 is not marked as the range's end (nothing lies below it)."""
    from wdtui.app.sweep_session import GRID_LAMBDAS
    from wdtui.engine.lessons.trends import describe, read_grid
    from wdtui.tables import best_line

    assert 0.0 in GRID_LAMBDAS and len(GRID_LAMBDAS) == 6  # six columns fit at 80×24
    values = [0.2 + 0.01 * i for i in range(30)]
    values[3 * 6 + 3] = 0.1476  # lr 0.03 (row 3), λ 0.01 (column 3)
    grid = _grid("coupled", values, GRID_LAMBDAS)
    assert best_line(grid).endswith("(val 0.1476, test 0.1476; λ 0 at that lr: val 0.38)")
    values[3 * 6] = 0.1  # λ 0 at lr 0.03 is the best
    grid = _grid("coupled", values, GRID_LAMBDAS)
    assert "λ 0 by validation loss (val 0.1, test 0.1)" in best_line(grid) and "at that lr" not in best_line(grid)
    hint = describe("coupled", read_grid(grid))
    assert "lr 0.03: 0," in hint and "lr 0.03: 0†" not in hint and "may lie beyond" not in hint, hint


async def swept(pilot, key: str) -> None:
    """The app ready, then its λ sweep (w) or its grid (g) trained to the end and drawn."""
    a = pilot.app
    await wait_for(pilot, lambda: a.ready is not None)
    await pilot.press(key)
    snap = (lambda: a.grid_snapshot) if key == "g" else (lambda: a.sweep_snapshot)
    await wait_for(pilot, lambda: snap() is not None and snap().finished)
    await pilot.pause(0.2)


async def test_pgdn_pages_the_grid_tables_at_80x24_and_the_keys_line_says_where_they_go_on():
    a = app(epochs=3)
    async with a.run_test(size=(80, 24)) as pilot:
        await swept(pilot, "g")
        grid = a.query_one("#grid")
        status = lambda: str(a.query_one("#sweep-status").render())  # noqa: E731
        assert grid.max_scroll_y > 0 and grid.scroll_y == 0 and "pgdn: more" in status()
        await pilot.press("pagedown")
        await pilot.pause(0.1)
        assert 0 < grid.scroll_y < grid.max_scroll_y and "pgdn: more" in status()
        # the page starts with the second table's title and header, not mid-table
        assert grid.scroll_y == a.query_one("#grid-1").virtual_region.y
        assert a.query_one("#grid-1").region.y == grid.region.y
        for _ in range(6):
            await pilot.press("pagedown")
        await pilot.pause(0.1)
        assert grid.scroll_y == grid.max_scroll_y and "pgup: back" in status() and "pgdn" not in status()
        await pilot.press("pageup")
        await pilot.pause(0.1)
        assert grid.scroll_y < grid.max_scroll_y and "pgdn: more" in status()
        await pilot.press("2", "pagedown")  # the Weights tab's histograms page the same way
        await pilot.pause(0.1)
        view = a.weights_view
        assert view.max_scroll_y > 0 and view.scroll_y > 0


async def test_z_on_the_sweep_tab_gives_each_chart_the_whole_tab():
    """At 80×24 the sweep's text left the U-curve one plot row and the ‖w‖ chart two, and the
    keys line was cut: there the tab opens with the text (keys first) and the loss chart, z shows
    the ‖w‖ chart alone, then (a linear model's) the weights' path, then the text again. At
    120×40 all of them share the tab and z shows each alone (loss, ‖w‖, path), then all."""
    def plot_rows(chart) -> int:
        rows = chart.render().plain.split("\n")
        return next(i for i, r in enumerate(rows) if "└" in r) - next(i for i, r in enumerate(rows) if "┌" in r) - 1

    for preset, charts, size in (("sine", (SweepLossChart, SweepNormChart), (80, 24)),
                                 ("sparse", (SweepLossChart, SweepNormChart, SweepPathChart), (120, 40))):
        a = app(preset, epochs=5)
        async with a.run_test(size=size) as pilot:
            await swept(pilot, "w")
            status = a.query_one("#sweep-status")
            assert "z: each chart" in str(status.render()).split("\n")[1]  # the keys before the verdict
            # every line on screen, the verdict under a best λ line that wraps beside the sidebar
            rows = status.render_lines(Region(0, 0, status.size.width, status.size.height))
            drawn = " ".join("".join(segment.text for segment in row) for row in rows).split()
            for line in a.sweep_snapshot.verdict:
                assert " ".join(line.split()) in " ".join(drawn), (size, line, drawn)
            small = size == (80, 24)
            shown = [kind for kind in charts if a.query_one(kind).region.height]
            assert shown == ([SweepLossChart] if small else list(charts)), (size, shown)
            assert plot_rows(a.query_one(SweepLossChart)) >= 6, size
            for kind in charts[1:] if small else charts:
                await pilot.press("z")
                await pilot.pause(0.3)
                assert a.query_one("TabbedContent").active == "sweep" and not status.display
                assert [k for k in charts if a.query_one(k).region.height] == [kind], (size, kind)
                assert plot_rows(a.query_one(kind)) >= 12, (size, kind)  # alone: the tab's rows
            await pilot.press("z")
            await pilot.pause(0.1)
            assert status.display
            assert [kind for kind in charts if a.query_one(kind).region.height] == shown

async def test_a_sweep_of_other_settings_is_said_so_and_b_does_not_load_it():
    """A sweep's best λ is the best for the settings it trained: after the run's regularizer or
    preset changes, the tab says so and b loads nothing (review 14a: b had put sine's sweep's
    best into a decoupled run, and a digits grid's best into poly)."""
    a = app(epochs=20)
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.press("w")
        await wait_for(pilot, lambda: a.sweep_snapshot is not None and a.sweep_snapshot.finished)
        await pilot.pause(0.2)
        assert "b: use the best λ" in str(a.query_one("#sweep-status").render())
        # a sweep whose every λ is at chance names no best worth loading (digits at 30 epochs)
        finished = a.state.sweep_snapshot
        unlearned = "no λ has learned yet: every test accuracy is within 2 points of chance (10 %): train longer"
        a.state.sweep_snapshot = dataclasses.replace(finished, verdict=(*finished.verdict[:1], unlearned),
                                                     unlearned=unlearned)
        lam = a.lam
        await pilot.press("b")
        assert a.lam == lam and any(n.message.startswith(f"not loaded: {unlearned}") for n in a._notifications)
        a.state.sweep_snapshot = finished
        a.changes.apply("regularizer", "decoupled")
        await pilot.press("3")
        await wait_for(pilot, lambda: "b is off" in str(a.query_one("#sweep-status").render()), timeout=10)
        status = str(a.query_one("#sweep-status").render())
        assert "regularizer coupled → decoupled" in status and "b is off" in status
        assert "b: use the best λ" not in status
        await pilot.press("b")
        notices = [n.message for n in a._notifications]
        assert any(n.startswith("not loaded: the run's settings changed since the sweep (regularizer coupled → "
                                "decoupled)") for n in notices), notices
        assert a.lam == lam
        a.load_preset("d2l")
        await wait_for(pilot, lambda: a.config.preset == "d2l" and a.ready is not None)
        assert a.state.changed_since_sweep() == ["preset sine → d2l"]


async def test_g_on_an_exact_solve_says_it_has_no_learning_rate_and_trains_nothing():
    a = app("poly")
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.press("g")
        await pilot.pause(0.2)
        notices = [n.message for n in a._notifications]
        assert any("the exact solver has no learning rate" in n for n in notices), notices
        assert a.state.grid_snapshot is None and a.sweeps.control is None


def test_the_app_sweeps_a_presets_own_lambda_range():
    """poly's sweep is over its own range (1e-18 … 0.1, its λ = 1.5e-9 inside), not the λ keys'
    ladder (1e-5 … 10), where it had named 1e-5 best beside a run at 1.5e-9."""
    from wdtui.app.ladder import LADDER
    from wdtui.app.sweeps import lambdas_to_sweep
    from wdtui.engine.config import make_config

    poly = lambdas_to_sweep(make_config("poly"))
    assert poly[0] == 1e-18 and poly[-1] == 0.1 and len(poly) == 18
    assert lambdas_to_sweep(make_config("sine")) == list(LADDER)


def test_a_stale_grid_on_an_exact_solve_points_to_w_not_g():
    from wdtui.app.messages import GridSnapshot
    from wdtui.app.sweep_view import again
    from wdtui.engine.config import make_config

    grid = GridSnapshot(1, "poly", (), "coupled", 1, 1, True)
    assert again(grid, make_config("poly")).startswith("w sweeps λ exactly")
    assert again(grid, make_config("sine")) == "g trains a grid"


def test_the_keys_line_offers_no_b_where_no_lambda_has_learned():
    from wdtui.app.messages import SweepSnapshot
    from wdtui.app.sweep_view import sweep_status

    fields = dict(session=1, preset="digits", regularizer="coupled", lambdas=(0.0, 0.1), epoch=30, epochs=30,
                  train_loss=(2.3, 2.3), test_loss=(2.3, 2.3), weight_norm=(1.0, 1.0), diverged=(False, False),
                  best_index=1, finished=True)
    learned = SweepSnapshot(**fields, verdict=("best λ by val loss: 0.1 (val 2.3, test 2.3)",))
    line = "no λ has learned yet: every test accuracy …"
    guessing = SweepSnapshot(**fields, verdict=(*learned.verdict, line), unlearned=line)
    assert "b: use the best λ" in sweep_status(learned) and "b: use the best λ" not in sweep_status(guessing)
