"""The status lines: the run's state and numbers on the first, its comparison's on the second.

Everything shown comes from one snapshot (the records of the epoch on screen) and the session's
names for its runs, the same names the legends use: the run's λ is the λ of the epoch shown, and
a λ asked for but not yet trained with is shown as pending ("→ λ=0.0178 next epoch" when paused,
"pending" while training: the frame on screen is up to a second behind the worker).
When a line is wider than the screen it is told more briefly rather than cut before the numbers.
"""

from __future__ import annotations

import math

from rich.text import Text
from textual.widgets import Static

from ..messages import SessionReady, Snapshot


def _num(value: float) -> str:
    return f"{value:.3g}" if math.isfinite(value) else str(value)


def _accuracy(record, brief: bool = False) -> str:
    """`` (91.2 %)`` after the test loss of a classifier; nothing for regression."""
    if record.test_accuracy is None or not math.isfinite(record.test_accuracy):
        return ""
    return f" ({100 * record.test_accuracy:.1f}%)"


SPARSE = ("l1", "l1-subgradient")  # regularizers whose lesson is the count of exact zeros


def numbers(record, brief: bool = False, zeros: bool = False) -> str:
    """A run's numbers; ``zeros``: its count of decayed weights exactly 0 too (where a run on
    screen is an L1 run: sparse's 40 zeros against l2's 0, l1-subgradient's jitter with none)."""
    return (f"train {_num(record.train_loss)} · test {_num(record.test_loss)}{_accuracy(record, brief)}"
            f" · ‖w‖ {_num(record.weight_norm)}" + (f" · {record.zeros} zeros" if zeros else "")
            ).replace(" · ", " " if brief else " · ")


STEADY = 6  # columns a longer form must leave free before the line returns to it


def cut(line: Text, width: int) -> Text:
    """``line`` in ``width`` columns: cut after its last whole word that fits, then "…" (a cut
    inside a number would make it another number: "epoch 300…" for 3000)."""
    if len(line) <= width:
        return line
    end = line.plain.rfind(" ", 0, max(width - 1, 1))
    return line[:end if end > 0 else max(width - 1, 0)] + Text(" …" if end > 0 else "…", style="dim")


class StatusLine(Static):
    DEFAULT_CSS = """
    StatusLine { height: 2; background: $boost; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }
    """
    _shown = ""
    _form = 0  # the first line's form (index into show()'s forms), kept while it fits with room

    def show(self, snapshot: Snapshot | None, ready: SessionReady | None, *, lam: float, regularizer: str,
             device: str, show_speed: bool, note: str = "", hint: str = "", pinned: int = 0,
             within: tuple[int, float] | None = None, building: str = "", lr: float | None = None) -> None:
        """``lam``/``regularizer``: the setting asked for (shown as pending where the epoch on
        screen trained with another); ``hint``: what the second line says without a comparison;
        ``pinned``: how many pinned runs the charts show beside the live ones; ``within``: (epoch,
        share done) of a long epoch being trained; ``building``: how far the session's build is
        (before its first snapshot), e.g. ``loading CIFAR-10 … 40 %``; ``lr``: the lr asked for
        (pending like λ). A line never wraps: what does not fit is cut at its end ("…"), so the
        comparison's line stays below the run's."""
        width = self.size.width or 10**6  # the content's width (the padding is not in it)
        if snapshot is None or ready is None:
            setting = "none" if regularizer == "none" else f"{regularizer} λ={lam:g}"
            line = Text(" · ".join(part for part in (f"run {setting}", device, building or "building…") if part))
            if note:
                line.append(f"\n{note}", style="dim")
            self._set(line)
            return
        # each line told more briefly until it fits: a long note on the second line does not
        # shorten the first, whose form stays the same while the screen's width does
        def lines(brief: bool, when: bool, words: str = note, extras: bool = True, below: bool = False,
                  bare: bool = False, terse: bool = False, unsaid: bool = False, count: bool = True) -> list[Text]:
            return self._lines(snapshot, ready, lam, regularizer, device, show_speed, words, hint, pinned,
                               within, lr, brief=brief, when=when, extras=extras, pending_below=below, bare=bare,
                               terse=terse, unsaid=unsaid, count=count).split("\n", allow_blank=True)

        # the long form; without the device and speed; brief; brief without saying when a change
        # applies; brief with the pending change on the second line (the run's numbers first);
        # the same without "ep" (a long regularizer name stays on line 1: "500/500 done · run
        # l1-subgradient λ=0.001: …"); the same without the count of zeros (an L1 run's); the
        # regularizer on line 2; that without "ep" too (a diverged run's long numbers at 80×24)
        options = [dict(brief=False, when=True), dict(brief=False, when=True, extras=False),
                   dict(brief=True, when=True), dict(brief=True, when=False), dict(brief=True, when=True, below=True),
                   dict(brief=True, when=True, below=True, terse=True),
                   dict(brief=True, when=True, below=True, terse=True, count=False),
                   dict(brief=True, when=True, below=True, bare=True, count=False),
                   dict(brief=True, when=True, below=True, bare=True, terse=True, count=False)]
        forms = [lines(**option) for option in options]
        fits = next((i for i, form in enumerate(forms) if len(form[0]) <= width), len(forms) - 1)
        # the form stays while it fits: it goes back to a longer one only with room to spare (a
        # number growing a digit, a progress or a speed coming and going would make it flicker)
        if fits > self._form or len(forms[fits][0]) <= width - STEADY or not snapshot.running:
            self._form = fits  # (paused or done: the best that fits, whatever came before)
        at = self._form
        first = forms[at][0]  # the second line in the first line's form, or briefer where it must
        parts = note.split(" · ")  # a long note: its leading phrases and "…", never cut mid-phrase
        shorter = (lines(True, False, " · ".join(parts[:keep]) + " …")[1] for keep in range(len(parts) - 1, 0, -1))
        # briefest last: without the note rather than a note cut to a bare "…"
        below, bare = options[at].get("below", False), options[at].get("bare", False)
        count = options[at].get("count", True)
        # (and last, below a long comparison name, without the pending change rather than "run → …":
        # the λ field holds it)
        bare_numbers = lines(True, True, "", below=below, bare=bare, count=count)[1]
        # a note whose first phrase is too long (a restart said with its float32 caveat): its first
        # words, cut between words, where they can say something (else the toast had said it alone)
        words_cut = [cut(lines(True, False, note, below=below, bare=bare, count=count)[1], width)] if (
            note and len(bare_numbers) + 24 <= width) else []
        # a note that ends with what ctrl+z brings back keeps that, its first phrase cut between
        # words (at 120×40 a long restart note had dropped it for its own first words)
        undo = parts[-1] if len(parts) > 1 and parts[-1].startswith("ctrl+z") else ""
        head = parts[0].split()
        with_undo = (lines(True, False, " ".join(head[:keep]) + " … · " + undo)[1]
                     for keep in range(len(head) - 1, 0, -1)) if undo else ()
        seconds = [*(form[1] for form in forms[at:]), *with_undo, *shorter, *words_cut,
                   *(lines(True, when, "", below=below, bare=bare, count=count)[1] for when in (True, False)),
                   lines(True, False, "", below=below, bare=bare, unsaid=True, count=count)[1]]
        second = next((line for line in seconds if len(line) <= width), seconds[-1])
        line = Text("\n").join([cut(first, width), cut(second, width)])
        line.no_wrap, line.overflow = True, "ellipsis"
        self._set(line)

    def _set(self, line: Text) -> None:
        if line.plain != self._shown:
            self._shown = line.plain
            self.update(line, layout=False)  # fixed rows: a layout pass would reflow the screen

    def _lines(self, snapshot: Snapshot, ready: SessionReady, lam: float, regularizer: str, device: str,
               show_speed: bool, note: str, hint: str, pinned: int, within: tuple[int, float] | None,
               lr: float | None, brief: bool, when: bool = True, extras: bool = True,
               pending_below: bool = False, bare: bool = False, terse: bool = False, unsaid: bool = False,
               count: bool = True) -> Text:
        run = snapshot.records[0]
        line = Text()
        line.append(f"{'' if terse else 'ep ' if brief else 'epoch '}{run.epoch}/{snapshot.epochs} ", style="bold")
        diverged = [ready.labels[i] for i, r in enumerate(snapshot.records) if r.diverged]
        if diverged:
            line.append(f"DIVERGED ({', '.join(diverged)})", style="bold white on red")
        elif snapshot.finished:
            line.append("done", style="green")
        elif snapshot.running:
            line.append("training", style="green")
            if within is not None:  # a long epoch: how far it is
                where = f" {'ep' if brief else 'epoch'} {within[0]}:"  # the epoch, not the run
                line.append(f"{where} {100 * within[1]:.0f}%", style="green")
        else:
            line.append("paused" if run.epoch else "ready" if brief else "ready: space to start", style="yellow")
        # the run: its setting at the epoch shown, what is pending, its numbers
        # brief: the regularizer left out only where the comparison's name says it (sparse: l1 vs l2
        # names both); alone, the run names it (a hidden comparison had left l1-subgradient unsaid)
        other = snapshot.records[1].regularizer if len(snapshot.records) > 1 else None
        started = run.epoch > 0  # before the first epoch the setting asked for is the run's own
        shown_reg, shown_lam = (run.regularizer, run.lam) if started else (regularizer, lam)
        # bare: the regularizer named on line 2 instead (a long name, l1-subgradient, had cut the
        # run's ‖w‖ at 80 columns)
        named = bare and shown_reg not in ("none", other)
        setting = ("none" if shown_reg == "none"  # no λ: none has none (as the comparison's name says)
                   else f"λ={shown_lam:.4g}" if (brief and other == shown_reg) or named
                   else f"{shown_reg} λ={shown_lam:.4g}")
        pending = []
        if regularizer != shown_reg:
            pending.append(regularizer)
        if lam != shown_lam:
            pending.append(f"λ={lam:.4g}")
        if started and lr is not None and lr != run.lr:
            pending.append(f"lr={lr:.4g}")
        line.append(f" · {ready.labels[0]} ")
        line.append(setting, style="bold cyan")
        # a finished run trains again only when its epochs are raised; running, the frame on
        # screen is up to a second behind the worker: "pending" until a frame shows the epochs
        # trained with it (the mark says where it began)
        later = ("" if not when else " if epochs are raised" if snapshot.finished
                 else " pending" if snapshot.running else " next epoch")
        if pending and not pending_below:
            line.append(f" (→ {' '.join(pending)}{later})", style="yellow")
        zeros = count and any(r.regularizer in SPARSE for r in snapshot.records)
        line.append(f": {numbers(run, brief, zeros)}")
        if extras and not brief:  # else the numbers of both runs before the device and the speed
            line.append(f" · {device}", style="dim")
            # a speed while it trains (not paused or done, nor before its first epoch since)
            if show_speed and snapshot.running and run.epoch and run.epochs_per_s > 0:
                line.append(f" · {run.epochs_per_s:.0f} epochs/s", style="dim")
        line.append("\n")
        # the second line: the comparison's numbers, the pinned runs, the note (or a hint)
        compared = len(snapshot.records) > 1
        if compared:
            line.append(f"{ready.labels[1]}", style="bold #ffa500")
            line.append(f": {numbers(snapshot.records[1], brief, zeros)}")
        if pinned:  # the ghosts' names are in the legends; here how many, and how to drop them
            line.append(" · " if compared else "")
            line.append(f"{pinned} pinned" + ("" if brief else " (u unpins)"), style="bold #969696")
        words = note if compared else note or hint
        if pending and pending_below and not unsaid:  # the line above kept the run's numbers instead
            words = " · ".join(part for part in (f"run → {' '.join(pending)}{later}", words) if part)
        elif pending and not when and snapshot.finished and not unsaid:  # the line above had no room to say when
            words = " · ".join(part for part in ("→ if epochs are raised", words) if part)
        if named:  # the regularizer line 1 left out
            words = " · ".join(part for part in (f"run: {shown_reg}", words) if part)
        if words:
            line.append(f" · {words}" if compared or pinned else words, style="dim")
        return line
