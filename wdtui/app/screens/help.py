"""The help screen (? or F1): the keys, what each regularizer does in words and as its update,
the live numbers of the current run's decay, and the preset's guide when it has one.

The numbers: a decay that multiplies a weight by (1 − η·λ) each step halves it, on its own (no
gradient), after ln 2 / −ln(1 − η·λ) steps. That factor is exact for ``decoupled`` (any
optimizer) and for ``l2``/``coupled`` with plain SGD; with momentum the decay builds up in the
buffer and the factor is a root of r² − (1 + μ − η·λ)·r + μ = 0 (:class:`Decay`); with Adam
coupled decay is divided by Adam's per-weight scale, so no single factor describes it. ``l1``
subtracts η·λ from each weight's size per step instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ...engine.config import REGULARIZERS, Config, rule_text
from ...engine.lessons.presets import PRESETS, Run

KEYS = (
    ("space", "start / pause training (a finished run: raise epochs to continue it)"),
    ("n", "train one epoch, then pause"),
    ("r", "reset: the run again from epoch 0 (same seed)"),
    ("ctrl+z", "undo a reset or a restart (model, data, a new comparison): the run replaced comes back"),
    ("] / [", "λ up / down the ladder (1e-5 … 10, 0 below, and the preset's own λ), from the next epoch"),
    ("l", "go to the λ field; Enter applies it and gives the keys back"),
    ("c", "compare on/off: the preset's other run (or any setting: sidebar, Comparison); off hides it, on shows it"),
    ("p / u", "pin the run as shown (dimmed on the time charts, kept through resets; put away while "
              "another problem — data, loss — is shown) / unpin"),
    ("w / b", "λ sweep over the ladder (or the preset's own range) / use its best λ (after a grid: its "
              "best (lr, λ)); not once the run's settings differ from the sweep's"),
    ("g", "(lr, λ) grid: coupled beside decoupled (not for the exact solver: no lr)"),
    ("d", "n_train sweep (exact solver): test loss against n, one curve per λ (double descent)"),
    ("x", "cancel the running sweep or grid"),
    ("1 2 3 4", "Charts, Weights, Sweep, Layers tab"),
    ("z", "show one chart alone (again: the next one, then all); on the Sweep and Layers tabs theirs"),
    ("pgdn / pgup", "scroll the grid's tables (Sweep tab) or the histograms (Weights tab)"),
    ("ctrl+b", "hide / show the sidebar"),
    ("e / s", "export the metrics as JSON (the run's with its settings as TOML; a sweep's JSON only) / save an SVG screenshot"),
    ("t", "TensorBoard event files of the runs on/off (folder runs, or --tensorboard DIR)"),
    ("escape", "leave a sidebar field, choice or checkbox (the value in use stays); close this help"),
    ("ctrl+p", "every command and preset"),
    ("? / F1", "this help"),
    ("q", "quit"),
)

WORDS = {
    "none": "no decay: the weights follow the data gradient alone.",
    "l2": "the textbook penalty: λ/2·‖w‖² is added to the loss, so its gradient λ·w joins the data "
          "gradient and goes through the optimizer (momentum, Adam's scaling).",
    "coupled": "the optimizers' own weight_decay (torch.optim.SGD/Adam): λ·w is added to the "
               "gradient. The same update as l2; with Adam the decay is divided by √v̂ like the gradient.",
    "decoupled": "AdamW / SGDW (Loshchilov & Hutter): every weight shrinks by a factor each step, "
                 "outside the optimizer, whatever its gradient history: 1 − η·λ in torch's convention "
                 "(AdamW's weight_decay), 1 − λ in the paper's.",
    "l1": "lasso's proximal step: after the optimizer's step each weight moves η·λ toward 0 and "
          "stops at exactly 0, so small weights become exact zeros (the Lasso with plain SGD).",
    "l1-subgradient": "the L1 penalty as blog posts write it: λ·Σ|w| is added to the loss and autograd "
                      "takes its subgradient λ·sign(w); weights shrink toward 0 but jitter around it "
                      "instead of landing on exactly 0.",
}


@dataclass(frozen=True)
class Decay:
    """The per-step decay numbers of a run, alone (no data gradient): η·λ, the factor ``factor``
    a weight is multiplied by per step, and the half-life in steps ln 2 / −ln |factor| (None where
    the weights do not shrink).

    Without momentum the factor is 1 − η·λ. SGD with momentum μ (torch's: b ← μ·b + λ·w,
    w ← w − η·b) applied to the decay's gradient λ·w is the linear system
    (w, b) ← ((1 − η·λ)·w − η·μ·b, λ·w + μ·b), whose eigenvalues solve
    r² − (1 + μ − η·λ)·r + μ = 0. After the faster mode has died out a weight is multiplied by the
    root of larger size per step, r ≈ 1 − η·λ/(1 − μ) for small η·λ: ten times the shrink of
    1 − η·λ at μ = 0.9. Where the roots are complex (η·λ > (1 − √μ)²) the weights oscillate
    around 0 while shrinking by |r| = √μ per step (``oscillates``); past η·λ = 2(1 + μ) they grow."""

    product: float
    factor: float  # the dominant root's size, signed where it is real
    half_life: float | None
    momentum: float = 0.0
    oscillates: bool = False

    @classmethod
    def of(cls, lr: float, lam: float, momentum: float = 0.0) -> "Decay":
        product = lr * lam
        oscillates = False
        if momentum == 0:
            factor = 1 - product
        else:
            b = 1 + momentum - product
            disc = b * b - 4 * momentum
            if disc >= 0:
                roots = ((b + math.sqrt(disc)) / 2, (b - math.sqrt(disc)) / 2)
                factor = max(roots, key=abs)
                oscillates = factor < 0
            else:  # a complex pair: both of size √(product of the roots) = √μ
                factor, oscillates = math.sqrt(momentum), True
        # without momentum a factor ≤ 0 (η·λ ≥ 1) flips the weights: no half-life to quote
        halves = 0 < product < 1 if momentum == 0 else 0 < abs(factor) < 1 and product > 0
        half_life = math.log(2) / -math.log(abs(factor)) if halves else None
        return cls(product, factor, half_life, momentum, oscillates)


def steps_per_epoch(config: Config) -> int | None:
    if config.n_train is None:
        return None
    batch = config.effective_batch_size or config.n_train
    return max(1, math.ceil(config.n_train / batch))


def live_numbers(config: Config, trained: str = "") -> Text:
    """What the current run's decay does per step, in numbers, with what they assume. ``trained``:
    the setting the epoch on screen trained with, where the one asked for (``config``) is pending."""
    reg, lr, lam = config.regularizer, config.lr, config.lam
    paper = reg == "decoupled" and config.decay_convention == "paper"
    # momentum carries the decay's gradient where it goes through SGD's buffer (not decoupled's)
    momentum = config.momentum if config.optimizer == "sgd" and reg in ("l2", "coupled") else 0.0
    # the paper's convention shrinks by λ per step whatever η: the product is λ (η = 1 in the formula)
    decay = Decay.of(1.0, lam) if paper else Decay.of(lr, lam, momentum)
    rate = "λ" if paper else "η·λ"
    out = Text()
    out.append(f"the run: {reg}, {config.optimizer}, η (lr) = {lr:.4g}, λ = {lam:.4g}"
               + (" (pending)" if trained else "") + "\n", style="bold")
    if trained:
        out.append(f"pending: the epoch on screen trained with {trained}; the numbers below are of the setting "
                   "asked for, from the next epoch trained\n", style="yellow")
    if reg == "none" or lam == 0:
        out.append("no decay: λ = 0 or regularizer none.\n")
        return out
    out.append(f"{rate} = {decay.product:.4g}" + (" (paper convention: the shrink per step does not "
                                                 "depend on η)" if paper else "") + "\n")
    exact = reg == "decoupled" or config.optimizer == "sgd"  # the factor 1 − η·λ is the rule itself
    l1 = reg in ("l1", "l1-subgradient")
    if momentum:
        return out + momentum_numbers(decay, steps_per_epoch(config))
    if decay.product >= 1 and exact and not l1:
        out.append(f"warning: {rate} = {decay.product:.3g} ≥ 1 — the factor 1 − {rate} = {decay.factor:.3g} is ≤ 0: "
                   "each step flips or zeroes every decayed weight instead of shrinking it. "
                   "Lower λ or lr.\n", style="bold red")
    elif decay.product >= 1 and config.optimizer == "sgd":  # l1: a step of η·λ toward 0, stopping at 0
        out.append(f"warning: {rate} = {decay.product:.3g} ≥ 1: each step moves every decayed weight at least "
                   "that far toward 0, so any weight below it is zeroed at every step. Lower λ or lr.\n",
                   style="bold red")
    elif decay.product >= 1:  # coupled or l2 (or l1) through Adam: divided by √v̂, no flip
        out.append(f"{rate} = {decay.product:.3g} ≥ 1, but with Adam the decay is divided by √v̂ like the "
                   "gradient: no weight flips; where λ·w outweighs the data gradient each step moves a "
                   f"weight about η = {lr:g} toward 0, so the weights stay near 0 and the data is "
                   "barely learned.\n", style="yellow")
    steps = steps_per_epoch(config)
    if reg in ("l1", "l1-subgradient") and config.optimizer == "sgd":
        out.append(f"each step moves every decayed weight {decay.product:.3g} toward 0 (a weight of size 1 "
                   f"reaches 0 after {1 / decay.product:,.0f} steps without gradient"
                   + (")\n" if reg == "l1" else "; the subgradient then jitters around 0 instead of stopping)\n"))
        return out
    if reg in ("l1", "l1-subgradient"):
        out.append("with Adam the L1 step goes through Adam's scaling: no single per-step number describes "
                   "it (a notice says what it does).\n", style="yellow")
        return out
    if decay.product >= 1 and not exact:  # the note above says what Adam does: no factor to quote
        out.append("(alone, without the data gradient, which pulls the weights back)\n", style="dim")
        return out
    if not exact:  # the factor is decoupled's, not this run's: said first, and the numbers named so
        out.append(f"with Adam, {reg} decay goes through Adam's scaling (divided by √v̂): no single factor is "
                   "this run's, and weights with small gradients decay much faster than the rule below. "
                   "For reference, decoupled decay at this η·λ:\n", style="yellow")
    out.append(f"shrink factor per step 1 − {rate} = {factor_text(decay.factor)}\n")
    if decay.half_life is not None:
        line = f"decay half-life = ln 2 / −ln(1 − {rate}) = {decay.half_life:,.0f} steps"
        if steps:
            line += f" ({steps} per epoch: {decay.half_life / steps:,.1f} epochs)"
        out.append(line + "\n")
    out.append("(alone, without the data gradient, which pulls the weights back)\n", style="dim")
    return out


def factor_text(factor: float) -> str:
    """A factor as close to 1 as decay's: enough digits to show it is not 1 (1 − 3e-07 is
    0.9999997, not "1", which reads as no decay)."""
    digits = 6
    while digits < 15 and float(f"{factor:.{digits}g}") == 1.0 and factor != 1.0:
        digits += 1
    return f"{factor:.{digits}g}"


def momentum_numbers(decay: Decay, steps: int | None) -> Text:
    """SGD with momentum on coupled or l2 decay: the decay goes through the buffer (:class:`Decay`)."""
    out = Text()
    mu = decay.momentum
    out.append(f"with momentum μ = {mu:g} the decay builds up in the buffer: after the first steps a weight "
               f"is multiplied per step by the larger root of r² − (1 + μ − η·λ)·r + μ = 0, ", style="yellow")
    if decay.half_life is None:
        out.append(f"|r| = {abs(decay.factor):.4g} ≥ 1: η·λ ≥ 2(1 + μ) = {2 * (1 + mu):g}, the weights grow, "
                   "flipping sign each step. Lower λ or lr.\n", style="bold red")
        return out
    if decay.oscillates:
        out.append(f"|r| = {abs(decay.factor):.4g}: the weights swing around 0 as they shrink "
                   f"(η·λ > (1 − √μ)² = {(1 - math.sqrt(mu)) ** 2:.3g}).\n", style="yellow")
    else:
        out.append(f"r = {factor_text(decay.factor)} (about 1 − η·λ/(1 − μ) = "
                   f"{factor_text(1 - decay.product / (1 - mu))}, not 1 − η·λ = {factor_text(1 - decay.product)})\n",
                   style="yellow")
    line = f"decay half-life = ln 2 / −ln |r| = {decay.half_life:,.0f} steps"
    if steps:
        line += f" ({steps} per epoch: {decay.half_life / steps:,.1f} epochs)"
    out.append(line + "\n")
    out.append("(alone, without the data gradient, which pulls the weights back)\n", style="dim")
    return out


def help_body(config: Config, comparison: Run | None, trained: str = "") -> list:
    keys = Table.grid(padding=(0, 2))
    keys.add_column(style="bold cyan", no_wrap=True)
    keys.add_column()
    for key, what in KEYS:
        keys.add_row(key, what)
    regs = Table.grid(padding=(0, 2))
    regs.add_column(style="bold", no_wrap=True)
    regs.add_column()
    for name in REGULARIZERS:
        regs.add_row(Text(name, style="bold reverse" if name == config.regularizer else "bold"),
                     Text(f"{WORDS[name]}\n{rule_text(name, config.optimizer, config.decay_convention)}"))
    parts = [Text("keys", style="bold underline"), keys, Text(""),
             Text("this run, now", style="bold underline"), live_numbers(config, trained)]
    if comparison is not None:
        same = "data, initialization and lr" if comparison.optimizer else "data, initialization, optimizer and lr"
        parts.append(Text(f"compared with: {comparison.regularizer} λ={comparison.lam:g}"
                          + (f" dropout p={comparison.dropout:g}" if comparison.dropout else "")
                          + (f" optimizer {comparison.optimizer}" if comparison.optimizer else "")
                          + f" (same {same}; set it in the sidebar's Comparison panel)\n"))
    parts += [Text("regularizers (w: a decayed weight, g: its data gradient, η: lr, opt: the "
                   "optimizer's direction)", style="bold underline"), regs]
    preset = PRESETS.get(config.preset)
    guide = getattr(preset, "guide", "") if preset is not None else ""
    if guide:
        parts += [Text(""), Text(f"preset {config.preset}", style="bold underline"), Text(guide)]
    return parts


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 90%; max-width: 110; height: 90%; border: round $accent;
                                  background: $panel; padding: 0 1; }
    HelpScreen .help-title { text-style: bold; color: $accent; }
    """
    BINDINGS = [Binding("escape,question_mark,f1", "close", "close help"),
                Binding("q", "app.quit", "quit")]  # q quits at any moment, as the key list says
    AUTO_FOCUS = "#help"  # the scroll area has the keys: ↓, PageDown and End reach the guide

    def __init__(self, config: Config, comparison: Run | None, trained: str = ""):
        super().__init__()
        self.config = config
        self.comparison = comparison
        self.parts = help_body(config, comparison, trained)  # what it shows (Rich renderables)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Static("wdtui help — ↑ ↓ PgUp PgDn Home End scroll · escape closes it", classes="help-title")
            for part in self.parts:
                yield Static(part)

    def action_close(self) -> None:
        self.dismiss(None)
