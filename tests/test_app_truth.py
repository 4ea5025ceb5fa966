"""The app tells the truth at every moment and the keyboard never gets lost (issue 12), and typed
text is text (issue 10). Pilot tests, asserting on messages, state and what shows."""

import math
import re

import pytest
import torch
from test_app import app, epoch, trained, wait_for

from wdtui.app.app import WdtuiApp
from wdtui.app.ladder import LADDER
from wdtui.app.messages import Progress
from wdtui.app.screens.help import Decay, HelpScreen
from wdtui.app.session import preset_comparison
from wdtui.engine.config import make_config
from wdtui.engine.lessons.presets import Run
from wdtui.engine.training.regularizers import REGULARIZERS


def help_text(parts) -> str:
    """What the help screen's parts say, as plain text (tables included)."""
    from rich.console import Console

    console = Console(width=110, record=True, file=open("/dev/null", "w"))
    for part in parts:
        console.print(part)
    return console.export_text()


async def typed(pilot, field: str, text: str):
    """``text`` typed into the sidebar's ``field`` in place of its value, then enter; the input."""
    box = pilot.app.query_one(f"#input-{field}")
    box.focus()
    box.value = ""
    await pilot.press(*text, "enter")
    await pilot.pause(0.1)
    return box


async def test_lambda_changes_are_marked_history_and_status_names_the_lambda_of_the_epoch_shown():
    a = app(epochs=10**6, compare=True)
    seen = []
    async with a.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.press("space")
        await wait_for(pilot, lambda: epoch(a) > 50)
        await pilot.press("right_square_bracket")
        await wait_for(pilot, lambda: epoch(a) > 200)
        await pilot.press("right_square_bracket")
        await wait_for(pilot, lambda: a.snapshot.records[0].lam == pytest.approx(10 ** -1.5))
        await wait_for(pilot, lambda: epoch(a) > 400)
        await pilot.press("space")
        await wait_for(pilot, lambda: not a.snapshot.running)
        await pilot.pause(0.3)
        n = a.snapshot.lengths[0]
        history = a.ready.results[0].history["lambda"][:n]
        changed = [i + 1 for i in range(1, n) if history[i] != history[i - 1]]  # epochs (1-based)
        assert len(changed) == 2
        assert [m.epoch for m in a.ready.marks[0]] == changed  # every change marked, at its epoch
        assert a.ready.results[1].history["lambda"][:n].tolist() == [0.0] * n  # the comparison kept its λ
        status = str(a.query_one("StatusLine").render())
        assert f"λ={a.snapshot.records[0].lam:.4g}:" in status and "vs coupled λ=0:" in status
        for chart in ("#loss", "#norm"):
            drawn = str(a.query_one(chart).render())
            # both changes named on the axis (as one chain if two apart have no room), else the
            # latest with "…" (the chart's width at 120×40 depends on the epochs' digits)
            b1, b2 = (m.epoch - 1 for m in a.ready.marks[0])
            assert (f"λ 0.01→0.0178 @{b1} →0.0316 @{b2}" in drawn or f"λ 0.01→0.0178 @{b1} · λ 0.0178→0.0316 @{b2}"
                    in drawn or f"┆ …, λ 0.0178→0.0316 @{b2}" in drawn), drawn
            assert "λ=0.0316" not in drawn  # the curves are never relabelled with the new λ
    for message in seen:  # every state shown: the run's λ is the λ its epoch trained with
        if isinstance(message, Progress):
            record = message.snapshot.records[0]
            assert record.lam in history[: max(record.epoch, 1)] or record.epoch == 0


async def test_while_training_the_charts_and_the_status_describe_the_same_epoch():
    """The screen changes by frames: a λ change is named in the status (as trained, not pending)
    exactly when the charts draw its mark, and the status's epoch is the one the charts end at.
    Sampled between frames for a few seconds of training, on the text each widget last drew."""
    from wdtui.app.widgets.charts import LossChart, NormChart

    a = app(epochs=10**6, compare=True)
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.press("space")
        await wait_for(pilot, lambda: a.query_one(LossChart).data[1].records[0].epoch > 100)  # a frame of training
        await pilot.press("right_square_bracket")
        agreed, ahead = [], 0
        for _ in range(120):
            await pilot.pause(0.05)
            charts = [a.query_one(LossChart), a.query_one(NormChart)]
            if any(c.stale or c._cache is None for c in charts):
                continue  # a frame handed over, not drawn yet
            status = str(a.query_one("StatusLine").render())
            shown = int(re.match(r"(?:epoch|ep) (\d+)/", status).group(1))
            assert all(shown == c.data[1].records[0].epoch for c in charts)
            ahead += epoch(a) > shown  # the worker trains on while a frame is on screen
            in_status = "run coupled λ=0.01778:" in status or "run λ=0.01778:" in status
            assert in_status or "(→ λ=0.01778 pending)" in status  # asked for while training: pending
            for chart in charts:
                assert ("λ 0.01→0.0178 @" in chart._cache[1].plain) == in_status, (status, chart.id)
            agreed.append(in_status)
            if len(agreed) > 10 and agreed[-1]:
                break
        assert agreed and agreed[-1] and ahead  # the change reached the screen; frames lag the worker


async def test_a_change_is_marked_at_its_epoch_and_drawn_to_the_epoch_shown_when_epochs_are_measured_sparsely(
        monkeypatch):
    """With a measuring schedule (digits: every 6th epoch) a change's epoch may be off it: the
    first epoch after a change is measured anyway, so its mark is exact, and the time charts end
    at the frame's epoch (a shown epoch off the schedule), where the status says the run is."""
    from wdtui.app.widgets.charts import LossChart, shown_marks
    from wdtui.engine.training import batched_runs, trainer

    sparse = lambda experiment: trainer.MeasureSchedule(every=7, early=3)  # noqa: E731
    monkeypatch.setattr(trainer, "measure_schedule", sparse)
    monkeypatch.setattr(batched_runs, "measure_schedule", sparse)
    a = app(epochs=10**6, compare=True)
    posted = []
    async with a.run_test(size=(120, 40), message_hook=posted.append) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.press("space")
        await wait_for(pilot, lambda: epoch(a) > 100)
        await pilot.press("right_square_bracket")
        await wait_for(pilot, lambda: a.ready.marks[0])
        await pilot.press("space")
        await wait_for(pilot, lambda: not a.snapshot.running)
        await pilot.pause(0.3)
        mark = a.ready.marks[0][0]
        history = a.ready.results[0].history
        n = a.snapshot.lengths[0]
        epochs, lams = list(history["epoch"][:n]), list(history["lambda"][:n])
        assert all(lam == 0.01 for e, lam in zip(epochs, lams) if e < mark.epoch)  # trained before it: 0.01
        assert all(lam > 0.0177 for e, lam in zip(epochs, lams) if e >= mark.epoch)
        assert [e for e in epochs if e > 3 and e % 7 and e != epochs[-1]] == []  # the schedule's epochs only
        # the first epoch trained at the new λ was measured and posted: the mark is at it
        first = next(m.snapshot.records[0] for m in posted
                     if isinstance(m, Progress) and m.snapshot.records[0].lam > 0.0177)
        assert first.epoch == mark.epoch
        shown = a.state.shown.records[0].epoch
        assert shown_marks(a.ready, a.state.shown) == [mark]
        text = a.query_one(LossChart).render().plain
        assert f"λ 0.01→0.0178 @{mark.epoch - 1}" in text
        status = str(a.query_one("StatusLine").render())
        assert re.match(rf"(epoch|ep) {shown}/", status) and "λ=0.01778" in status


def test_a_status_line_too_long_is_cut_between_words_never_inside_a_number():
    from rich.text import Text

    from wdtui.app.widgets.status import cut

    line = Text("vs coupled λ=0: train 0.0154 test 0.018 ‖w‖ 9.2 · undone: back to epoch 3000 (space goes on)")
    for width in range(20, len(line)):
        shown = cut(line, width).plain
        assert len(shown) <= width and shown.endswith(" …")
        assert line.plain.startswith(shown[:-2]) and line.plain[len(shown) - 2] == " "  # a whole word before "…"
    assert cut(line, len(line)).plain == line.plain


async def test_a_lambda_set_before_the_first_epoch_is_the_runs_own_not_a_change():
    a = app(compare=True, epochs=5)
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.press("right_square_bracket")
        await pilot.press("space")
        await wait_for(pilot, lambda: a.snapshot.finished)
        await pilot.pause(0.3)
        assert a.ready.results[0].history["lambda"][0] == pytest.approx(10 ** -1.75)
        assert a.ready.marks[0] == [] and "┆" not in a.query_one("#loss").render().plain


async def test_lambda_to_zero_does_not_make_both_runs_read_lambda_zero_by_name():
    a = app(epochs=10**6, compare=True)
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        for _ in range(20):
            await pilot.press("left_square_bracket")
        assert a.lam == 0.0
        await pilot.press("n")
        await wait_for(pilot, lambda: epoch(a) == 1)
        await pilot.pause(0.3)
        assert a.ready.labels == ("run", "vs coupled λ=0")  # roles, not λ
        status = str(a.query_one("StatusLine").render())
        assert "run coupled λ=0:" in status and "vs coupled λ=0:" in status


async def test_pending_lambda_while_paused_is_shown_as_pending():
    a = app()
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.press("n")  # one epoch trained with 0.01, then paused
        await wait_for(pilot, lambda: epoch(a) == 1)
        await pilot.press("right_square_bracket")
        await pilot.pause(0.3)
        status = str(a.query_one("StatusLine").render())
        assert "λ=0.01 (→ λ=0.01778 next epoch)" in status  # trained with 0.01; 0.0178 asked for


async def test_enter_in_a_field_gives_the_keys_back_and_q_quits():
    a = app()
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.press("l")
        assert a.focused is a.query_one("#input-lam")
        assert "leave field" in str(a.query_one("Footer").render()) or a.check_action("unfocus", ()) is True
        await pilot.press(*"0.05", "enter")
        assert a.focused is None and a.lam == 0.05
        assert a.check_action("unfocus", ()) is False  # escape is offered only in a field
        await pilot.press("q")
        await wait_for(pilot, lambda: not a.is_running, timeout=3)


async def test_keys_typed_in_one_burst_into_a_field_act_in_the_order_typed():
    """Textual's Input ran bound keys (ctrl+k, backspace, enter) after the characters typed
    behind them: ``ctrl+a ctrl+k 2 4 enter`` in one burst left the λ field empty and focused."""
    from textual import events

    a = app()
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        box = a.query_one("#input-lam")
        for burst, value in ((["ctrl+a", "ctrl+k", "2", "4", "enter"], 24.0),
                             (["end", "x", "backspace", "backspace", ".", "5", "enter"], 2.5)):
            await pilot.press("l")
            for key in burst:  # posted at once, none waiting for the one before
                a.post_message(events.Key(key, key if len(key) == 1 else None))
            await wait_for(pilot, lambda: a.focused is None and a.lam == value, timeout=5)
            assert box.value == f"{value:g}"
        for key in ["l", "0", ".", "5", "enter", "l", "l", "escape"]:  # l, then at once what goes in the field
            a.post_message(events.Key(key, key if len(key) == 1 else None))
        # the end state (focus is None for a moment after the Enter too): the second l went to
        # the field ("l"), escape threw it away with 0.5 in use
        await wait_for(pilot, lambda: a.focused is None and a.lam == 0.5 and box.value == "0.5", timeout=5)
        await pilot.pause(0.3)
        assert a.lam == 0.5 and box.value == "0.5" and a.focused is None
        for key in ["l", "1", "enter", "right_square_bracket"]:  # the key right behind enter is the app's
            a.post_message(events.Key(key, "]" if key.startswith("right") else key if len(key) == 1 else None))
        await wait_for(pilot, lambda: a.lam > 1, timeout=5)
        assert a.focused is None and a.lam == LADDER[LADDER.index(1.0) + 1]
        # shift+tab behind l moves on at once: the keys behind it reach the field it moved to
        order = a.screen.focus_chain  # every widget tab visits: inputs, choices, checkboxes, buttons
        width = a.query_one("#input-width")
        back = order.index(a.query_one("#input-lam")) - order.index(width)
        lam = a.lam
        for key in ["l", *["shift+tab"] * back, "ctrl+a", "ctrl+k", "3", "2", "enter"]:
            a.post_message(events.Key(key, key if len(key) == 1 else None))
        await wait_for(pilot, lambda: a.focused is None and a.config.width == 32, timeout=5)
        assert a.lam == lam  # λ untouched (the burst had set λ = 32)


async def test_escape_leaves_a_field_without_applying_what_was_typed():
    a = app()
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.press("l", "9", "escape")
        assert a.focused is None and a.lam == 0.01 and a.query_one("#input-lam").value == "0.01"
        assert not a.query_one("#field-lam").has_class("-invalid")  # a cancel, not an error
        await pilot.press("l", *"9x", "escape")  # not valid either: thrown away, no reason left under it
        assert a.lam == 0.01 and not str(a.query_one("#field-lam .error").render())
        await pilot.press("l", "9", "tab")  # leaving by tab applies it
        assert a.lam == 9.0


async def test_help_shows_the_live_eta_lambda_and_closes_with_escape():
    a = app(optimizer="sgd", regularizer="decoupled", lr=0.05, lam=0.01)
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.press("question_mark")
        await pilot.pause(0.2)
        assert isinstance(a.screen, HelpScreen)
        text = help_text(a.screen.parts)
        half = math.log(2) / -math.log(1 - 0.05 * 0.01)
        assert "η·λ = 0.0005" in text and "1 − η·λ = 0.9995" in text
        assert f"{half:,.0f} steps" in text and "decoupled" in text and "S(x, t)" in text
        scroll = a.screen.query_one("#help")
        assert a.screen.focused is scroll and scroll.max_scroll_y > 0  # the keys scroll it at once
        await pilot.press("end")
        await wait_for(pilot, lambda: scroll.scroll_y == scroll.max_scroll_y)
        await pilot.press("escape")
        assert not isinstance(a.screen, HelpScreen)
        await pilot.press("f1")
        assert isinstance(a.screen, HelpScreen)


def test_help_half_life_is_what_the_decoupled_update_does():
    lr, lam = 0.1, 0.02
    decay = Decay.of(lr, lam)
    w = torch.ones(3, dtype=torch.float64)
    for _ in range(round(decay.half_life)):
        REGULARIZERS["decoupled"].before_step([w], lam, lr)
    assert w[0].item() == pytest.approx(0.5, rel=2 * lr * lam)
    assert Decay.of(1.0, 2.0).half_life is None  # η·λ ≥ 1: no half-life (the help warns)


def _sgd_decay_alone(lr: float, lam: float, momentum: float, steps: int) -> list[float]:
    """A weight under torch's SGD with momentum and weight_decay, its loss gradient 0: w per step."""
    w = torch.ones(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([w], lr=lr, momentum=momentum, weight_decay=lam)
    out = []
    for _ in range(steps):
        opt.zero_grad()
        (0 * w).sum().backward()
        opt.step()
        out.append(w.item())
    return out


def test_help_half_life_with_momentum_is_what_torchs_sgd_does():
    """digits and dropout (SGD, momentum 0.9, η·λ = 1e-4): the help had said 6,931 steps
    (1 − η·λ) and then that the real shrink is ten times that; torch's SGD halves a weight in
    ~686 steps, as the larger root of r² − (1 + μ − η·λ)·r + μ = 0 says."""
    from wdtui.app.screens.help import live_numbers

    text = live_numbers(make_config("digits")).plain
    stated = float(re.search(r"half-life = ln 2 / −ln \|r\| = ([\d,]+) steps", text).group(1).replace(",", ""))
    assert "6,931" not in text and 680 <= stated <= 692, text
    decay = Decay.of(0.01, 0.01, 0.9)
    w = _sgd_decay_alone(0.01, 0.01, 0.9, 200 + 2 * round(decay.half_life))
    start = 200  # the faster mode (size ≈ μ per step) has died out
    assert w[start + round(decay.half_life)] / w[start] == pytest.approx(0.5, rel=2e-3)
    assert w[start + 1] / w[start] == pytest.approx(decay.factor, rel=1e-6)
    swing = Decay.of(0.01, 50, 0.9)  # complex roots: the weight swings around 0, shrinking by √μ
    w = _sgd_decay_alone(0.01, 50, 0.9, 300)
    assert swing.oscillates and any(a * b < 0 for a, b in zip(w[200:], w[201:]))
    assert abs(w[299]) < 0.9 ** (299 / 2) * 10 and abs(w[299]) > 0.9 ** (299 / 2) / 10
    grow = Decay.of(0.01, 500, 0.9)  # η·λ = 5 ≥ 2(1 + μ): no half-life, the weight grows
    assert grow.half_life is None and abs(_sgd_decay_alone(0.01, 500, 0.9, 30)[-1]) > 1e6
    assert "the weights grow" in live_numbers(make_config("sine", optimizer="sgd", momentum=0.9, lam=500)).plain
    assert "0.9999997" in live_numbers(make_config("sine", regularizer="decoupled", lam=3e-5)).plain  # not "1"


def test_with_adam_the_help_gives_decoupleds_factor_as_a_reference_and_coupled_decays_much_faster():
    """sine (Adam, coupled λ = 0.01): the help headlined a half-life of 6,931 steps as the run's,
    while ‖w‖ fell from 6.6 to ~3.5 in 300 epochs. The numbers are now decoupled's, said so, and
    coupled through Adam does shrink the weights much faster than that rule."""
    from conftest import experiment, trained as engine_trained

    from wdtui.app.screens.help import live_numbers

    text = live_numbers(make_config("sine")).plain
    assert text.index("no single factor is this run's") < text.index("For reference, decoupled decay") < text.index(
        "decay half-life"), text
    exp = experiment("sine", epochs=300)
    coupled = engine_trained(exp, "coupled", 0.01).measure().weight_norm
    decoupled = engine_trained(exp, "decoupled", 0.01).measure().weight_norm
    assert coupled < 0.6 * decoupled, (coupled, decoupled)  # 1 − η·λ over 300 steps alone would leave 97 %


async def test_help_warns_when_eta_lambda_reaches_one():
    a = app(optimizer="sgd", regularizer="decoupled", lr=0.5, lam=4.0)
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.press("f1")
        await pilot.pause(0.2)
        text = help_text(a.screen.parts)
        assert "warning: η·λ = 2 ≥ 1" in text


MARKUP = ["[/]", "[bold]x[/bold", "[red]", "[x=].csv", "[@click=app.quit]q[/]"]


async def test_markup_typed_into_every_field_is_text_and_not_kept():
    a = app()
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        shown_fields = [box for box in a.query("Field")  # the fields on screen (others cannot be typed in)
                        if all(node.display for node in (box, *box.ancestors) if hasattr(node, "display"))]
        assert len(shown_fields) >= 10
        # every kind of markup and a 100 KB paste in the first field, as it is typed and left
        box = shown_fields[0]
        before = box.input.value
        for typed in MARKUP + ["9" * 100_000]:
            box.input.focus()
            box.input.value = typed
            await pilot.pause()
            shown = str(box.query_one(".error").render())
            assert typed[:50] in shown  # literally, brackets and all
            await pilot.press("escape")  # thrown away: the value in use comes back, nothing refused
            await pilot.pause()
            assert box.input.value == before and not str(box.query_one(".error").render())
        # the markup that crashed ([/]) typed into every field, each left for the next (one
        # layout pass for all: a pause costs ~0.1 s of Textual layout per field)
        before = {box: box.input.value for box in shown_fields}
        for box in shown_fields:
            a.set_focus(box.input)
            box.input.value = "[/]"
        a.set_focus(None)
        await pilot.pause(0.2)
        for box in shown_fields:
            assert box.input.value == before[box], box.field
            assert "not applied: '[/]'" in str(box.query_one(".error").render()), box.field
        assert a.is_running


async def test_a_refused_value_does_not_stay_in_its_field():
    a = app("d2l")
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        box = await typed(pilot, "batch_size", "500")
        assert box.value == "5" and a.config.batch_size == 5
        assert a.query_one("#field-batch_size").has_class("-invalid")
        assert "not applied: '500'" in str(a.query_one("#field-batch_size .error").render())


async def test_epochs_raised_beyond_the_memory_their_histories_need_are_refused_as_wdtui_run_refuses_them():
    """wdtui run refuses 10^11 epochs (their histories need ~24 TB); the app's field took them and
    would have grown its histories until memory ran out."""
    a = app()
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        box = await typed(pilot, "epochs", "100000000000")
        reason = str(a.query_one("#field-epochs .error").render())
        assert a.config.epochs == 40 and box.value == "40"
        assert "not applied: '100000000000'" in reason and "of memory" in reason and "history" in reason, reason
        await typed(pilot, "epochs", "50000")  # within memory: applied
        assert a.config.epochs == 50000


async def test_momentum_is_shown_and_set_where_sgd_uses_it():
    """digits' SGD momentum 0.9 decides whether it learns (plain SGD stayed at chance) and was
    shown nowhere: its field shows with SGD (not with Adam, which has betas), and a new value
    restarts the run with it."""
    shown = lambda a, f: a.query_one(f"#field-{f}").display  # noqa: E731
    a = app(optimizer="sgd", momentum=0.9, lr=0.05)
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        assert shown(a, "momentum") and not shown(a, "betas")
        assert a.query_one("#input-momentum").value == "0.9"
        await typed(pilot, "momentum", "0.5")
        await wait_for(pilot, lambda: a.config.momentum == 0.5 and a.ready is not None)
        assert "momentum changed: run restarted" in a.note
    a = app(compare=True)  # Adam, and a comparison with Adam
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        assert shown(a, "betas") and not shown(a, "momentum")
        a.apply_change("compare_optimizer", "sgd")  # the comparison's SGD uses the run's momentum: shown
        await wait_for(pilot, lambda: a.ready is not None and a.comparison.optimizer == "sgd")
        assert shown(a, "betas") and shown(a, "momentum")
        await pilot.press("c")  # hidden with its comparison: its fields are not on screen
        await pilot.pause(0.1)
        assert not shown(a, "momentum")


async def test_regularizer_none_can_be_chosen_and_lambda_returns_with_a_regularizer():
    a = app()
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        a.apply_change("regularizer", "none")
        assert a.config.regularizer == "none" and a.lam == 0.0
        assert a.query_one("#input-lam").disabled
        await pilot.press("right_square_bracket")
        assert a.lam == 0.0
        await pilot.press("n")  # an epoch trained with none: the status names it without a λ it has not
        await wait_for(pilot, lambda: epoch(a) == 1)
        await pilot.pause(0.3)
        status = str(a.query_one("StatusLine").render())
        assert "run none:" in status and "none λ" not in status, status
        a.apply_change("regularizer", "l2")
        assert a.config.regularizer == "l2" and a.lam == 0.01


async def test_finished_run_is_not_restarted_by_space_and_raising_epochs_continues_it():
    a = app(epochs=7)
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        a.apply_change("epochs", 5)  # on the ready run: the status names the new total at once
        await pilot.pause(0.1)
        assert "epoch 0/5 ready" in str(a.query_one("StatusLine").render())
        await pilot.press("space")
        await wait_for(pilot, lambda: a.snapshot.finished)
        await pilot.press("space")
        await pilot.pause(0.3)
        assert epoch(a) == 5 and a.snapshot.finished
        assert any("raise epochs" in str(n.message) for n in a._notifications)
        a.deterministic = False  # the speed is shown (hidden in snapshots only)
        a.apply_change("epochs", 9)
        assert a.note == "epochs 9: continuing from epoch 5"
        a.redraw(force=True)  # the frame before the worker's first epoch of the continuation
        first = str(a.query_one("StatusLine").render()).split("\n")[0]
        assert "epoch 5/9 training" in first and "epochs/s" not in first, first  # not "5/5", no stale speed
        await wait_for(pilot, lambda: a.snapshot.finished and epoch(a) == 9)
        assert a.ready.results[0].history["epoch"].tolist() == list(range(1, 10))  # continued, not restarted
        assert a.note == ""  # done again: "continuing" would no longer be true


async def test_a_long_note_is_cut_between_its_phrases_at_80x24_and_both_runs_keep_their_numbers():
    a = app(epochs=10**6, compare=True)
    async with a.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.press("n", "n", "n")
        await wait_for(pilot, lambda: epoch(a) == 3)
        a.apply_change("width", 32)  # restarts: "width changed: run restarted · ctrl+z goes back to epoch 3"
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.pause(0.3)
        first, second = str(a.query_one("StatusLine").render()).split("\n")
        assert a.note == "width changed: run restarted · ctrl+z goes back to epoch 3"
        assert "train" in first and second.startswith("vs coupled λ=0: train") and "‖w‖" in second
        assert second.endswith("width changed: run restarted …") or second.endswith(a.note)
        assert len(second) <= 78


@pytest.mark.parametrize("preset,run,other", [
    ("sparse", ("l1", 0.2, 0.0), Run("l2", 0.2, 0.0)),
    ("quadratic", ("coupled", 0.1, 0.0), Run("coupled", 0.01, 0.0)),
    ("dropout", ("coupled", 0.01, 0.0), Run("none", 0.0, 0.5)),
    ("sine", ("coupled", 0.01, 0.0), Run("coupled", 0.0, 0.0)),
])
def test_each_preset_opens_with_its_own_comparison(preset, run, other):
    config, comparison = preset_comparison(make_config(preset))
    assert (config.regularizer, config.lam, config.dropout) == run  # the sidebar: the run itself
    assert comparison == other


async def test_a_preset_loaded_in_the_app_compares_its_runs():
    a = app()
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        a.load_preset("sparse")
        await wait_for(pilot, lambda: a.ready is not None and a.config.preset == "sparse")
        assert a.compare and [r.regularizer for r in a.ready.results] == ["l1", "l2"]
        assert "compare: l2 λ=0.2" in str(a.query_one("#input-compare").render())


async def test_ctrl_b_hides_the_sidebar_and_z_shows_one_chart():
    a = app()
    async with a.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.press("ctrl+b")
        assert not a.query_one("#sidebar").display
        await pilot.press("z")
        await pilot.pause(0.1)
        assert a.query_one("#fit").display and not a.query_one("#loss").display


async def test_export_runs_off_the_ui_thread(tmp_path, monkeypatch):
    import threading

    import wdtui.app.delivery as module

    monkeypatch.chdir(tmp_path)
    threads = []
    real = module.write_text
    monkeypatch.setattr(module, "write_text",
                        lambda path, text: (threads.append(threading.current_thread()), real(path, text)))
    a = app(epochs=3)
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.press("e")
        await wait_for(pilot, lambda: list(tmp_path.glob("*.json")))
    assert threads and threads[0] is not threading.main_thread()


def test_help_numbers_follow_the_decay_convention_and_name_every_regularizer():
    from wdtui.app.screens.help import help_body, live_numbers
    from wdtui.engine.config import REGULARIZERS, make_config

    torch_rule = str(live_numbers(make_config("sine", regularizer="decoupled", lam=0.1, lr=0.01)))
    assert "η·λ = 0.001" in torch_rule and "1 − η·λ = 0.999" in torch_rule
    paper = str(live_numbers(make_config("sine", regularizer="decoupled", lam=0.1, lr=0.01,
                                         decay_convention="paper")))
    assert "λ = 0.1 (paper convention" in paper and "1 − λ = 0.9\n" in paper  # η does not enter
    shown = help_text(help_body(make_config("sine"), None))
    for name in REGULARIZERS:  # each regularizer in words and as its update
        assert re.search(rf"^{re.escape(name)}\s+\S", shown, re.M), name
    assert "λ·sign(w)" in shown and "not the Lasso" in shown


def test_sigterm_and_sighup_restore_the_terminal():
    """The app in a real pty: SIGTERM/SIGHUP end it like q (alternate screen left, cursor shown,
    mouse tracking off), with exit status 128 + the signal."""
    import os
    import pty
    import select
    import signal
    import subprocess
    import sys
    import time

    procs = []
    for number in (signal.SIGTERM, signal.SIGHUP):
        leader, follower = pty.openpty()
        proc = subprocess.Popen([sys.executable, "-m", "wdtui.cli.main", "--preset", "sine", "--epochs", "50"],
                                stdin=follower, stdout=follower, stderr=follower, close_fds=True,
                                env={**os.environ, "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "30"})
        os.close(follower)
        procs.append((number, proc, leader, bytearray()))

    def read(leader, out, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.1)
            if ready:
                try:
                    out += os.read(leader, 65536)
                except OSError:
                    return
            elif b"run" in out and b"\x1b[?1049h" in out:
                return

    for number, proc, leader, out in procs:
        read(leader, out, 30)
        assert b"\x1b[?1049h" in out, "the app did not start"
        time.sleep(0.5)
        proc.send_signal(number)
        deadline = time.monotonic() + 10
        while proc.poll() is None and time.monotonic() < deadline:
            read(leader, out, 0.2)
        read(leader, out, 0.3)
        os.close(leader)
        assert proc.wait(5) == 128 + number
        tail = bytes(out[out.rindex(b"\x1b[?1049h"):])
        assert b"\x1b[?1049l" in tail and b"\x1b[?25h" in tail and b"\x1b[?1000l" in tail


@pytest.mark.parametrize("preset,regularizer,ridge", [("d2l", "l2", True), ("sparse", "l1", False)])
async def test_ridge_reference_only_where_training_converges_to_it_and_convention_only_for_decoupled(
        preset, regularizer, ridge):
    a = WdtuiApp(make_config(preset, epochs=3, dtype="float64"), deterministic=True)
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.press("n")
        await wait_for(pilot, lambda: epoch(a) >= 1)
        await pilot.pause(0.3)
        assert a.config.regularizer == regularizer
        assert ("ridge λ=" in str(a.query_one("#fit").render())) is ridge
        convention = a.query_one("#field-decay_convention")
        assert not convention.display  # l1 / l2: the convention is not in use
        a.apply_change("regularizer", "decoupled")
        await pilot.pause(0.1)
        assert convention.display


async def test_toasts_cover_neither_the_status_lines_nor_the_footer_at_80x24():
    a = app(compare=True, epochs=3)
    async with a.run_test(size=(80, 24), notifications=True) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        status = a.query_one("StatusLine")
        await pilot.press("u")  # a warning: nothing is pinned
        await wait_for(pilot, lambda: len(a.screen.query("Toast")) == 1)
        a.notify("a notice long enough to wrap onto a second row at this width", title="export")
        await pilot.pause(0.3)
        assert len(a.screen.query("Toast")) == 1  # the latest only: stacked, three had covered the fit legend
        assert "second row" in str(a.screen.query_one("Toast").render())
        toasts = [t.region for t in a.screen.query("Toast")]
        assert all(t.height for t in toasts)
        for widget in (status, a.query_one("Footer"), a.query_one("#sidebar")):
            assert not any(t.overlaps(widget.region) for t in toasts), widget
        shown = str(status.render())  # both runs' numbers, while the toasts show
        assert "run" in shown and "vs coupled λ=0: train" in shown and shown.count("‖w‖") == 2


def test_the_sidebar_shows_the_fields_each_setting_uses():
    from wdtui.app.widgets.sidebar import in_use

    shown = lambda preset, **o: {f for f, on in in_use(make_config(preset, **o)).items() if on}  # noqa: E731
    assert {"noise", "betas", "lr", "epochs", "width"} <= shown("sine")  # generated data, Adam, an MLP
    assert not {"n_inputs", "modulus", "solver"} & shown("sine")  # sine's x is its one input
    assert "n_inputs" in shown("d2l") and "betas" not in shown("d2l")  # d2l: d inputs, SGD (no betas)
    assert {"modulus"} <= shown("grokking") and not {"noise", "n_inputs"} & shown("grokking")
    assert not {"noise", "n_inputs", "depth"} & shown("digits")  # images define the inputs; no noise; a CNN
    exact = shown("double-descent")
    assert "solver" in exact and not {"optimizer", "lr", "batch_size", "epochs", "width", "activation"} & exact
    assert {"optimizer", "lr", "epochs"} <= shown("double-descent", solver="gd")
    assert not {"dropout", "compare_dropout"} & shown("sparse") and "compare_dropout" in shown("dropout")


async def test_a_comparison_the_model_cannot_train_is_refused_before_anything_restarts():
    """sparse (a linear model): the comparison's dropout p = 0.5 had restarted both runs into
    "cannot start" while the status said "generating the sparse data …" for ever."""
    a = app("sparse", compare=True, epochs=5)
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        session, comparison = a.state.session_number, a.state.comparison
        assert not a.query_one("#field-compare_dropout").display  # not offered where nothing can drop
        a.apply_change("compare_dropout", 0.5)  # as the field would post it
        await pilot.pause(0.2)
        assert a.state.session_number == session and a.state.comparison == comparison and a.ready is not None
        assert "not applied: '0.5'" in str(a.query_one("#field-compare_dropout .error").render())
        assert a.query_one("#input-compare_dropout").value == "0"
    b = app("sine", compare=True, epochs=5)  # an MLP whose comparison drops: depth 0 would leave nothing to drop
    async with b.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: b.ready is not None)
        b.apply_change("compare_dropout", 0.5)
        await wait_for(pilot, lambda: b.ready is not None and b.state.comparison.dropout == 0.5)
        session = b.state.session_number
        b.apply_change("depth", 0)
        await pilot.pause(0.2)
        assert b.state.session_number == session and b.config.depth == 1
        assert "could not train: a linear model" in str(b.query_one("#field-depth .error").render())


async def test_with_the_exact_solver_the_training_fields_give_way_to_the_reason():
    a = app("double-descent", epochs=3)
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        assert not a.query_one("#field-lr").display and not a.query_one("#field-epochs").display
        note = a.query_one("#not-applied")
        assert note.display and "optimizer, lr, batch and epochs are not used" in str(note.render())
        a.apply_change("solver", "gd")
        await wait_for(pilot, lambda: a.ready is not None and a.config.solver == "gd")
        assert a.query_one("#field-lr").display and not a.query_one("#not-applied").display


def test_n_inputs_is_refused_where_the_data_define_the_inputs(capsys):
    from wdtui.cli.main import main

    for preset in ("sine", "digits"):
        with pytest.raises(SystemExit) as exit_info:
            main(["run", "--preset", preset, "--n-inputs", "5", "--epochs", "1", "--quiet"])
        assert exit_info.value.code == 2
        err = capsys.readouterr().err.strip()
        assert "\n" not in err and "--n-inputs" in err and "d2l, sparse, poly, double-descent" in err, err
    assert make_config("d2l", n_inputs=5).n_inputs == 5
    assert make_config("grokking", modulus=7).n_inputs == 14  # the one-hot columns follow p
    assert make_config("sine", n_inputs=1).n_inputs == 1  # the value the data define: a settings file's


async def test_the_footer_shows_the_keys_while_the_app_has_no_focus():
    """In a browser the page reports a blur when it is not focused (wdtui serve showed an empty
    footer row): the footer still follows the keys, e.g. escape while a field has them."""
    from textual import events

    a = app(epochs=3)
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        a.post_message(events.AppBlur())
        await wait_for(pilot, lambda: not a.app_focus)
        footer = lambda: " ".join(str(k.render()) for k in a.query("FooterKey"))  # noqa: E731
        assert "quit" in footer() and "leave field" not in footer()
        a.query_one("#input-lr").focus()
        await wait_for(pilot, lambda: "leave field" in footer())


async def test_keys_typed_in_a_field_neither_compose_the_footer_again_nor_lay_the_screen_out(monkeypatch):
    """The footer is composed again only when the keys it shows change (entering and leaving a
    field), and a field's reason is set only when it changes: each had laid the whole screen out
    again for every digit typed, beside the input's own layout (its text's width)."""
    from textual.screen import Screen

    from wdtui.app.widgets.footer import KeysFooter

    composed, layouts = [], []
    recompose, refresh_layout = KeysFooter.recompose, Screen._refresh_layout
    monkeypatch.setattr(KeysFooter, "recompose", lambda self: (composed.append(1), recompose(self))[1])
    monkeypatch.setattr(Screen, "_refresh_layout", lambda self, *a, **k: (layouts.append(1), refresh_layout(self, *a, **k))[1])
    a = app()
    footer = lambda: " ".join(str(k.render()) for k in a.query("FooterKey"))  # noqa: E731
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.press("l")
        await wait_for(pilot, lambda: "leave field" in footer() and "quit" not in footer())
        await pilot.pause(0.2)  # the footer's new keys laid out (their layout can come a tick later)
        composed.clear(), layouts.clear()
        for key in "0.0316":
            await pilot.press(key)
            await pilot.pause(0.05)
        assert a.query_one("#input-lam").value == "0.0316"
        assert not composed and len(layouts) <= 6, layouts  # one a key: the input's own
        await pilot.press("x")  # a reason appears under the field: that is a new layout
        await wait_for(pilot, lambda: bool(str(a.query_one("#field-lam .error").render())))
        assert layouts and not composed
        await pilot.press("escape")
        await wait_for(pilot, lambda: "quit" in footer() and "leave field" not in footer())
        assert composed


def test_the_help_warns_of_flips_only_where_the_factor_is_the_rule():
    """η·λ = 250: decoupled multiplies each weight by 1 − 250 per step and diverges; coupled decay
    through Adam is divided by √v̂, flips nothing: each step moves a weight about η = 0.01 toward
    0, and after 300 steps the weights sit near 0 (‖w‖ from 6.6 to below 0.2)."""
    from wdtui.app.screens.help import live_numbers
    from wdtui.engine.experiment import build_experiment
    from wdtui.engine.training.solvers import make_trainer

    outcome = {}
    for reg in ("decoupled", "coupled"):
        config = make_config("sine", regularizer=reg, lam=25000, epochs=300)
        words = str(live_numbers(config))
        assert ("flips or zeroes every decayed weight" in words) == (reg == "decoupled"), words
        trainer = make_trainer(build_experiment(config))
        while not trainer.done:
            trainer.run_epoch()
        outcome[reg] = (trainer.diverged, trainer.measure().weight_norm)
    assert outcome["decoupled"][0]
    diverged, norm = outcome["coupled"]
    assert not diverged and norm < 0.2, outcome
    words = str(live_numbers(make_config("sine", lam=25000)))
    assert "no weight flips" in words and "shrink factor" not in words  # no factor 1 − η·λ ≤ 0 quoted as Adam's


@pytest.mark.parametrize("preset", ["sparse", "quadratic"])
async def test_the_fit_charts_scatter_has_round_ticks_and_zero_on_its_own_row(preset):
    a = app(preset, epochs=3)
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.pause(0.3)
        rows = str(a.query_one("#fit").render()).split("\n")
    labels = [m[1] for m in (re.match(r"\s*(-?[\d.]+)\s*[┤├]", row) for row in rows) if m]
    values = [float(v) for v in labels]
    assert len(values) >= 2, rows
    step = abs(values[0] - values[1])
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert any(math.isclose(mantissa, m) for m in (1, 2, 5)), labels  # a 1-2-5 step
    assert all(math.isclose(v / step, round(v / step), abs_tol=1e-6) for v in values), labels
    if preset == "sparse":  # the lasso's zeros and the zero true weights: on the row labelled 0
        assert "0" in labels


def test_a_series_under_others_on_every_point_is_named_as_hidden():
    from wdtui.app.widgets.charts import hidden_series

    drawn = [("true w", [1, 2], [0.01, 0.01]), ("run", [1, 2], [0.0, 0.02]), ("vs", [1, 2], [5.0, -5.0])]
    assert hidden_series(drawn, (-6.0, 6.0), 20) == ["true w"]  # a row is 0.63 high: 0.01 is 0's
    assert hidden_series(drawn, (-6.0, 6.0), 10_000) == []  # rows fine enough to tell them apart
    assert hidden_series([("a", [1], [0.0]), ("b", [2], [0.0])], (-1.0, 1.0), 20) == []  # another x
    ridge = [("ridge", [1, 2], [0.0, 0.02], True), ("run", [1, 2], [0.0, 0.02])]
    assert hidden_series(ridge, (-6.0, 6.0), 20) == ["ridge"]  # a dot over it in every column it crosses
    gapped = [("ridge", [1, 3], [0.0, 0.02], True), ("run", [1, 3], [0.0, 0.02])]
    assert hidden_series(gapped, (-6.0, 6.0), 20) == []  # column 2: the line shows between the dots



async def test_with_regularizer_none_the_sidebar_says_nothing_is_decayed():
    a = app("sparse", epochs=3)
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        summary = lambda: str(a.query_one("#decay-summary").render())  # noqa: E731
        assert summary().startswith("decayed: 1 tensor (50 parameters); not decayed: 1 tensor (1 parameter)")
        a.apply_change("regularizer", "none")
        await pilot.pause(0.1)
        assert summary().startswith("nothing is decayed (regularizer none)")
        widget = a.query_one("#decay-summary")
        needed = widget.get_content_height(widget.size, a.size, widget.size.width)
        assert needed > 5 and widget.size.height >= needed  # every row of it shows (5 cut it)
        a.apply_change("regularizer", "l2")
        await pilot.pause(0.1)
        assert summary().startswith("decayed: 1 tensor")


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_a_pending_change_keeps_both_status_lines_and_says_when_it_applies(size):
    a = app(compare=True, epochs=3)
    async with a.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.press("space")
        await wait_for(pilot, lambda: a.snapshot.finished)
        a.apply_change("lr", 0.03)  # b after a grid does this: the status names it beside λ
        await pilot.press("left_square_bracket")
        await pilot.pause(0.3)
        first, second = str(a.query_one("StatusLine").render()).rstrip("\n").split("\n")
    assert "next epoch" not in first + second and "‖w‖ " in first  # the run's numbers whole
    if size[0] > 100:  # the finished run: not "next epoch"
        assert "(→ λ=0.005623 lr=0.03 if epochs are raised)" in first
    else:  # said below where line 1 has no room for it beside the run's numbers (and when, if it fits)
        assert "· run → λ=0.005623 lr=0.03" in second and "…" not in second, second
    assert second.startswith("vs coupled λ=0: train") and len(first) <= size[0] and len(second) <= size[0]


async def test_escape_leaves_a_checkbox_and_space_then_trains_instead_of_toggling_it():
    a = app(epochs=3)
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        a.query_one("#input-decay_all").focus()
        await pilot.pause(0.1)
        assert a.check_action("unfocus", ()) is True  # the footer offers escape
        decay_all = a.config.decay_all
        await pilot.press("escape", "space")
        await wait_for(pilot, lambda: a.snapshot.finished)
        assert a.focused is None and a.config.decay_all == decay_all and epoch(a) == 3


async def test_q_quits_while_the_help_is_open():
    a = app(epochs=3)
    async with a.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.press("question_mark")
        await pilot.pause(0.1)
        assert isinstance(a.screen, HelpScreen)
        await pilot.press("q")
        await wait_for(pilot, lambda: not a.is_running, timeout=1.0)


async def test_a_diverged_run_leaves_the_axes_to_the_healthy_comparison():
    a = app(compare=True, epochs=30, regularizer="decoupled", lam=25000)  # η·λ = 250: diverges at epoch 2
    async with a.run_test(size=(120, 40)) as pilot:
        await trained(pilot, timeout=30)
        await pilot.pause(0.3)  # its last epoch drawn
        assert a.snapshot.records[0].diverged and not a.snapshot.records[1].diverged
        for chart in ("#loss", "#norm"):
            drawn = str(a.query_one(chart).render())
            ticks = [float(m) for m in re.findall(r"^\s*([-\d.e+]+)\s*┤", drawn, re.M)]
            assert ticks and max(ticks) < 100, (chart, ticks)  # the healthy run's scale (loss < 1, ‖w‖ ~ 7)
            assert "run diverged, at the top" in drawn
        await pilot.resize_terminal(80, 24)
        await wait_for(pilot, lambda: "↑ diverged" in str(a.query_one("#loss").render()))  # said, more briefly
        first = lambda: str(a.query_one("StatusLine").render()).split("\n")[0]  # noqa: E731
        run = a.snapshot.records[0]  # the diverged run's last numbers whole, its ‖w‖ not cut to "‖w‖ …"
        await wait_for(pilot, lambda: len(first()) <= 78, timeout=5)
        assert "DIVERGED" in first() and first().endswith(f"‖w‖ {run.weight_norm:.3g}"), first()


async def test_a_loss_below_the_log_axis_floor_is_said_at_80x24_too():
    """d2l: the comparison at λ = 0 interpolates (train loss ~1e-6), four decades under the run's;
    it is drawn on the axis' floor, and the axis says so also on the narrow charts of 80×24 (the
    note was dropped there: the curve read as 1e-4)."""
    a = app("d2l", compare=True, epochs=100)
    async with a.run_test(size=(120, 40)) as pilot:
        await trained(pilot, timeout=30)
        await pilot.pause(0.3)  # its last epoch drawn
        drawn = str(a.query_one("#loss").render())
        floor = re.search(r"↓ <([\d.e-]+) at the bottom", drawn)
        assert floor and a.snapshot.records[1].train_loss < float(floor.group(1)), drawn
        await pilot.resize_terminal(80, 24)
        await wait_for(pilot, lambda: f"↓ <{floor.group(1)}" in str(a.query_one("#loss").render()))


async def test_lambda_keys_at_the_ladders_ends_say_so():
    a = app(epochs=3, lam=10.0)
    async with a.run_test(size=(120, 40), notifications=True) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.press("right_square_bracket")
        await pilot.pause(0.1)
        assert a.lam == 10.0 and any("ladder's top (10)" in n.message for n in a._notifications)


async def test_each_status_line_takes_its_own_form_and_the_brief_form_keeps_what_tells_the_runs_apart():
    a = app("sparse", compare=True, epochs=3)  # l1 beside l2: the regularizer is the lesson
    async with a.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        status = a.query_one("StatusLine")
        cfg = a.config
        status.show(a.snapshot, a.ready, lam=cfg.lam, regularizer=cfg.regularizer, device="cpu",
                    show_speed=True, note="a note far too long for one line of eighty columns " * 3)
        first, second = str(status.render()).rstrip("\n").split("\n")
        assert "run l1 λ=0.2" in first and second.startswith("vs l2 λ=0.2")
    a = app(compare=True, epochs=3)
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        status = a.query_one("StatusLine")
        cfg = a.config
        show = lambda note: status.show(a.snapshot, a.ready, lam=cfg.lam, regularizer=cfg.regularizer,  # noqa: E731
                                        device="cpu", show_speed=True, note=note)
        show("")
        alone = str(status.render()).split("\n")[0]
        show("a note far too long for the second line, which is cut at its end " * 3)
        first, second = str(status.render()).rstrip("\n").split("\n")
        assert first == alone and first.startswith("epoch 0/3 ready: space to start · run coupled λ=0.01")
        assert second.startswith("vs coupled λ=0: train")  # cut at its end on screen (nowrap, ellipsis)


async def test_beside_an_l1_run_both_status_lines_count_exact_zeros():
    """sparse's lesson is l1's exact zeros (the guide: 36–42 of 50) against l2's none: the status
    lines count them where an L1 run is on screen, and only there."""
    a = app("sparse", compare=True, epochs=300)
    async with a.run_test(size=(120, 40)) as pilot:
        await trained(pilot, timeout=30)
        await pilot.pause(0.3)  # its last epoch drawn
        first, second = str(a.query_one("StatusLine").render()).rstrip("\n").split("\n")
        run, other = a.snapshot.records
        assert run.zeros > 20 and other.zeros == 0
        assert f"‖w‖ {run.weight_norm:.3g} · {run.zeros} zeros" in first and "· 0 zeros" in second, (first, second)
    a = app(compare=True, epochs=3)
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.pause(0.3)
        assert "zeros" not in str(a.query_one("StatusLine").render())


def test_dropout_on_a_linear_model_is_refused_and_its_field_not_shown(capsys):
    """A linear model (depth 0) has no hidden units: dropout p > 0 is one line, exit 2, naming
    what is allowed (it used to build and then fail, saying 'give the config a dropout p > 0')."""
    from wdtui.app.widgets.sidebar import in_use
    from wdtui.cli.main import main

    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--preset", "sparse", "--dropout", "0.5", "--epochs", "1", "--quiet"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "--dropout" in err and "depth 1 or more" in err and "p > 0" not in err, err
    assert make_config("sparse", dropout=0.5, depth=1).dropout == 0.5  # with a hidden layer it applies
    assert not in_use(make_config("d2l"))["dropout"] and in_use(make_config("sine"))["dropout"]


async def test_before_the_first_epoch_a_new_lambda_is_the_runs_and_a_speed_shows_only_while_training():
    a = app(compare=True, epochs=3)
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        a.apply_change("lam", 10.0)
        await pilot.pause(0.2)
        first = str(a.query_one("StatusLine").render()).split("\n")[0]
        assert "run coupled λ=10:" in first and "→" not in first, first  # nothing pending: it has not trained
        await pilot.press("space")
        await wait_for(pilot, lambda: a.snapshot.finished)
        await pilot.pause(0.2)
        first = str(a.query_one("StatusLine").render()).split("\n")[0]
        assert "done" in first and "λ=10" in first and "epochs/s" not in first, first


async def test_a_notice_already_on_screen_is_not_stacked_again():
    a = app(epochs=3)
    async with a.run_test(size=(120, 40), notifications=True) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.press("u", "u", "u")  # "no pinned run" three times
        await pilot.pause(0.2)
        assert len(a.screen.query("Toast")) == 1
        a.notify("another notice")
        await pilot.pause(0.3)
        assert len(a.screen.query("Toast")) == 1 and "another notice" in str(a.screen.query_one("Toast").render())
        from textual import events

        for key in "uc":  # two notices in one tick (typed together): the latest alone
            a.post_message(events.Key(key, key))
        await wait_for(pilot, lambda: "compare" in str(a.screen.query_one("Toast").render()), timeout=5)
        await pilot.pause(0.3)
        assert len(a.screen.query("Toast")) == 1


async def test_the_ridge_weights_are_said_to_be_under_the_dots_only_where_none_of_them_shows():
    """d2l: the guide sends the reader to "ridge λ=3" on the fit chart. Where the run's dots cover
    it, the caption says so (and, where it fits, how far the run is from it); the render is the
    proof: not one cell of the plot in the ridge's colour then, some where it is not said."""
    import numpy as np

    from wdtui.app.widgets.charts import RIDGE, legend_style

    ridge_color = legend_style(RIDGE).color
    said = {}
    # lr 2.5 × d2l's in 40 epochs: the leftover the ridge solution lacks shrinks by (1 − ηλ)^160,
    # as in the preset's 400 steps
    a = app("d2l", compare=True, epochs=40, lr=0.0075)
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        for key, done in (("n", 1), ("n", 2), ("space", 40)):  # far from the ridge at 2; near it at 40
            await pilot.press(key)
            await wait_for(pilot, lambda done=done: epoch(a) == done and not a.snapshot.running)
            if done == 1:
                continue
            await pilot.pause(0.3)
            a.redraw(force=True)
            await pilot.pause(0.1)
            rows = a.query_one("#fit").render().split("\n")
            record = a.snapshot.records[0]
            gap = float(np.max(np.abs(np.array(record.weights) - np.array(a.ready.data.ridge.weights(record.lam)))))
            frame = next(i for i, row in enumerate(rows) if "┌" in row.plain)
            caption = rows[-1].plain.strip() or rows[-2].plain.strip()
            coloured = sum(span.end - span.start for row in rows[frame:] for span in row.spans
                           if getattr(span.style, "color", None) == ridge_color
                           and row.plain[span.start:span.end].strip())
            hidden = "ridge λ=3" in caption and ("under the dots" in caption or "hidden" in caption)
            assert hidden == (coloured == 0), (done, caption, coloured)
            number = re.search(r"(?:≤|=) ([\d.e-]+)$", caption)
            if number:  # the distance as measured, to the 2 digits shown
                assert math.isclose(float(number[1]), gap, rel_tol=0.06), (caption, gap)
            said[done] = hidden
            for selector in ("#fit", "#loss", "#norm"):  # nothing drawn right of a chart's frame (in cells:
                lines = str(a.query_one(selector).render()).split("\n")  # rsvg's PNGs widen braille)
                top = next(i for i, line in enumerate(lines) if "┌" in line)
                bottom = next(i for i, line in enumerate(lines) if "└" in line)
                edge = lines[top].rindex("┐")
                assert all(len(line.rstrip()) == edge + 1 for line in lines[top:bottom + 1]), (selector, lines)
    assert said == {2: False, 40: True}


async def test_a_few_training_points_are_drawn_over_the_curves():
    """poly's 10 points vanished under its curves (the lesson: λ = 0 passes through them)."""
    a = app("poly", compare=True)
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.pause(0.3)
        drawn = a.query_one("#fit").render().plain
        assert drawn.count("●") >= len(a.ready.data.y_train)  # each point, and its legend entry


async def test_a_long_regularizer_name_stays_named_and_the_runs_numbers_stay_whole_at_80x24():
    """At 80 columns "run l1-subgradient λ=0.1778: …" had cut the run's ‖w‖ ("‖w‖ …"); moved to line
    2 it was cut there to "run: …" beside a long comparison name. Line 1 now drops "ep" first and
    keeps the name; line 2 takes it only where line 1 cannot."""
    a = app(compare=True, epochs=200000, lam=0.1778)
    async with a.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        a.apply_change("regularizer", "l1-subgradient")
        await pilot.press("r")
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.pause(0.3)
        first, second = str(a.query_one("StatusLine").render()).rstrip("\n").split("\n")
    assert first.endswith("‖w‖ 6.61") and "run l1-subgradient λ=0.1778:" in first, first  # ‖w‖ had been cut to "‖w‖ …"
    assert first.startswith("0/200000 ready") and len(first) <= 78 and len(second) <= 78
    from wdtui.engine.lessons.presets import Run

    a = WdtuiApp(make_config("sine", regularizer="l1-subgradient", lam=0.001, epochs=20), deterministic=True,
                 comparison=Run("decoupled", 0.1, 0.5, "sgd"))
    async with a.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        await pilot.pause(0.3)
        status = lambda: str(a.query_one("StatusLine").render()).rstrip("\n").split("\n")  # noqa: E731
        first, second = status()
        assert "run l1-subgradient λ=0.001:" in first and first.endswith("‖w‖ 6.61"), first
        assert second.startswith("vs decoupled λ=0.1 p=0.5 sgd: train"), second
        await pilot.press("space")
        await wait_for(pilot, lambda: a.snapshot.finished)
        await pilot.press("right_square_bracket")  # pending, with no room for it beside the long name:
        await pilot.pause(0.3)
        first, second = status()  # left out whole, never "run → …"
        assert "run l1-subgradient λ=0.001:" in first and "…" not in first + second, (first, second)
        await pilot.press("c")  # hidden: alone, the run still names its regularizer
        await pilot.pause(0.3)
        first, second = status()
        assert "run l1-subgradient λ=0.001" in first and "…" not in first, first

async def test_a_preset_that_needs_a_flag_says_so_once():
    """cifar10 from the palette without --data-dir: one notice, the preset named once (it read
    "preset cifar10: preset cifar10 reads …"), and the run stays."""
    a = app()
    async with a.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: a.ready is not None)
        a.load_preset("cifar10")
        await pilot.pause(0.1)
        notices = [n.message for n in a._notifications]
        assert any(n.startswith("preset cifar10 reads the CIFAR-10 python version") and "(start wdtui with --data-dir)"
                   in n for n in notices), notices
        assert not any("preset cifar10: preset cifar10" in n for n in notices) and a.config.preset == "sine"


async def test_a_long_restart_note_keeps_what_ctrl_z_brings_back():
    """At 120×40, c on a run trained alone restarts it beside its comparison with a long first
    phrase (its float32 caveat): the second line had kept that phrase's words and dropped
    'ctrl+z goes back to epoch 3', the one thing to do about it."""
    a = app(epochs=3, compare=False)
    async with a.run_test(size=(120, 40)) as pilot:
        await trained(pilot)
        await pilot.press("c")
        await wait_for(pilot, lambda: a.ready is not None and "ctrl+z goes back to epoch 3" in a.note)
        line = lambda: str(a.query_one("StatusLine").render()).split("\n")[1]  # noqa: E731
        await wait_for(pilot, lambda: "compare on" in line(), timeout=10)  # the status redraws by frames
        second = line()
        assert "ctrl+z goes back to epoch 3" in second and second.startswith("vs coupled λ=0"), second
        assert "compare on" in second  # the phrase's first words: what restarted it


async def test_a_change_back_to_what_a_finished_run_trained_is_not_called_pending():
    a = app(epochs=3, compare=False)
    async with a.run_test(size=(120, 40)) as pilot:
        await trained(pilot)
        await pilot.press("right_square_bracket")
        await pilot.pause(0.1)
        said = [n.message for n in a._notifications]
        assert any(n.endswith("the run is finished; it trains with it if epochs are raised") for n in said), said
        await pilot.press("left_square_bracket")
        await pilot.pause(0.1)
        said = [n.message for n in a._notifications]
        assert "λ → 0.01: what the finished run trained with; nothing is pending" in said, said
