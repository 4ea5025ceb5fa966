"""The sidebar: Dataset, Model and Regularization panels. It shows only the values in use.

Typed values are checked by the engine's own field parsers (as Textual validators): an invalid
value is marked on its input with the reason under it while it is typed, and only a valid value,
committed with Enter or by leaving the field (tab, a click), is posted to the app as
:class:`FieldCommitted`. Escape leaves the field without applying what was typed. Leaving a field
with an invalid value puts the value in use back and says what was not applied. Enter and escape
hand the keys back to the app (space, ], q act again). Typed text is shown as text.
"""

from __future__ import annotations

from typing import Any, Iterable

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.validation import ValidationResult, Validator
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from ...engine.config import (
    ACTIVATIONS,
    DECAY_CONVENTIONS,
    MODELS,
    OPTIMIZERS,
    REGULARIZERS,
    SOLVERS,
    UNUSED_BY_EXACT,
    ConfigError,
    parse_field,
    unused_fields,
)
from ...engine.lessons.presets import PRESETS, Run


def shorten(typed: str, most: int = 40) -> str:
    """A typed value as far as a message repeats it (a paste can be 100 KB)."""
    return typed if len(typed) <= most else typed[:most] + "…"


class FieldValidator(Validator):
    def __init__(self, field: str):
        super().__init__()
        self.field = field

    def validate(self, value: str) -> ValidationResult:
        try:
            parse_field(self.field, value)
        except ConfigError as error:
            return self.failure(error.message)
        return self.success()


class FieldInput(Input):
    """An Input whose own editing keys act in the order they were typed.

    Textual's Input inserts a printable key when it arrives but runs a bound key (backspace,
    home, end, ctrl+k, enter) only after the key has bubbled up to the app and come back as an
    action, so in a burst of keys (a fast typist, a macro, ``tmux send-keys``) the characters
    typed after it overtake it: ``ctrl+a ctrl+k 2 4 enter`` typed "24", then cleared it, and
    the field was left empty and focused (Textual issue #6605). Here the field's own bindings
    run inline, when the key arrives; keys it does not bind (the app's) travel on as before.
    Enter commits at once (not by a message that the keys behind it would overtake), escape
    leaves the field at once with the value in use kept, and a key that reaches the field after
    it gave the keys back goes to the app, as it was typed for."""

    async def action_submit(self) -> None:
        self.query_ancestor(Field).submit(self.value, self.validate(self.value))

    async def _on_key(self, event: events.Key) -> None:
        """Runs before Input's own handler (Textual calls each class's, unless one prevents the
        default)."""
        if self.app.focused is not self:
            # forwarded here before an Enter ahead of it gave the keys back: to the app, as if
            # typed now, behind the value Enter committed (both travel up the same way)
            event.stop()
            event.prevent_default()
            self.post_message(Retyped(event.key, event.character))
            return
        if event.key == "escape":  # leave the field, the value in use kept (at once, as Enter)
            event.stop()
            event.prevent_default()
            self.query_ancestor(Field).cancel(self.value, self.validate(self.value))
            await self.app.run_action("unfocus")
            return
        if not event.is_printable:
            for binding in self._bindings.key_to_bindings.get(event.key, ()):
                if not binding.priority and await self.app.run_action(binding.action, self):
                    event.stop()
                    event.prevent_default()
                    return


class Retyped(Message):
    """A key that reached a field after the field gave the keys back: the app takes it again."""

    def __init__(self, key: str, character: str | None):
        super().__init__()
        self.key = key
        self.character = character


class FieldCommitted(Message):
    """A sidebar value the user set: ``field`` is the config key, ``value`` already parsed."""

    def __init__(self, field: str, value: Any):
        super().__init__()
        self.field = field
        self.value = value


class Field(Vertical):
    """A label, a compact input, and a line for the reason when the value is invalid."""

    DEFAULT_CSS = """
    Field { height: auto; }
    Field > Horizontal { height: 1; }
    Field Label { width: 12; color: $text-muted; }
    Field Input { width: 1fr; }
    Field .error { color: $error; height: auto; max-height: 4; display: none; }
    Field.-invalid .error { display: block; }
    """
    SHOWN = 120  # characters of a typed value repeated in a message (a paste can be 100 KB)

    def __init__(self, field: str, label: str, value: str, parse_as: str | None = None):
        """``parse_as``: the config field whose parser checks the value (the comparison's
        ``compare_lam`` is a λ), ``field`` by default."""
        super().__init__(id=f"field-{field}")
        self.field = field
        self.parse_as = parse_as or field
        self.label = label
        self.initial = value
        self.committed = value

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Label(self.label)
            yield FieldInput(self.initial, id=f"input-{self.field}", compact=True,
                        validators=[FieldValidator(self.parse_as)], validate_on=["changed", "submitted", "blur"])
        yield Static("", classes="error")

    _error: str | None = None  # the reason shown under the input

    @property
    def input(self) -> Input:
        return self.query_one(Input)

    def set_value(self, text: str) -> None:
        """Show a value set by the app (not by typing)."""
        self.committed = text
        with self.input.prevent(Input.Changed):
            self.input.value = text
        self.show_error(None)

    def show_error(self, message: str | None) -> None:
        """The reason under the input, as text (it may repeat what was typed: ``[/]`` is text)."""
        if message is not None and len(message) > 2 * self.SHOWN:
            message = message[: self.SHOWN] + " … " + message[-self.SHOWN // 2:]
        self.set_class(message is not None, "-invalid")
        self.input.set_class(message is not None, "-invalid")
        if message != self._error:  # a new text lays the screen out again: not for every key typed
            self._error = message
            self.query_one(".error", Static).update(Text(message or ""))

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        if event.value != self.input.value:  # overtaken (escape put the value in use back): stale
            return
        result = event.validation_result
        self.show_error(None if result is None or result.is_valid else result.failure_descriptions[0])

    def cancel(self, value: str, result: ValidationResult | None) -> None:
        """Escape: what was typed is thrown away, valid or not; the value in use comes back, with
        no reason under it (nothing was refused: leaving by tab or a click applies or refuses)."""
        if value.strip() != self.committed or result is None or not result.is_valid:
            self.set_value(self.committed)

    def submit(self, value: str, result: ValidationResult | None) -> None:
        """Enter: commit a valid value and give the keys back to the app; an invalid value keeps
        the field (with its reason) so it can be corrected, or left with escape."""
        if self._commit(value, result):
            self.app.set_focus(None)

    @on(Input.Blurred)
    def _blurred(self, event: Input.Blurred) -> None:
        """Leaving the field: a valid value is committed; an invalid one is not kept on screen —
        the value in use comes back, marked with why the other was not applied."""
        event.stop()
        if not self._commit(event.value, event.validation_result):
            refused = event.value.strip()
            reason = event.validation_result.failure_descriptions[0]
            self.set_value(self.committed)
            self.show_error(f"not applied: {shorten(refused)!r}: {reason}")

    def _commit(self, value: str, result) -> bool:
        """Post a valid changed value; False when the value is invalid."""
        text = value.strip()
        if result is not None and not result.is_valid:
            self.show_error(result.failure_descriptions[0])
            return False
        if text != self.committed:
            self.committed = text
            self.post_message(FieldCommitted(self.field, parse_field(self.parse_as, text)))
        return True


class Choice(Horizontal):
    """A label and a compact Select. Posts only real changes (a Select also reports the value it
    is mounted or reset with)."""

    DEFAULT_CSS = """
    Choice { height: 1; }
    Choice Label { width: 12; color: $text-muted; }
    Choice Select { width: 1fr; }
    """

    def __init__(self, field: str, label: str, options: Iterable[str], value: str):
        super().__init__(id=f"field-{field}")
        self.field = field
        self.label = label
        self.options = list(options)
        self.initial = value
        self.current = value

    def compose(self) -> ComposeResult:
        yield Label(self.label)
        yield Select([(o, o) for o in self.options], value=self.initial, allow_blank=False,
                     compact=True, id=f"input-{self.field}")

    @property
    def select(self) -> Select:
        return self.query_one(Select)

    def set_value(self, value: str) -> None:
        self.current = value
        self.select.value = value

    def set_options(self, options: Iterable[str], value: str) -> None:
        self.options = list(options)
        self.current = value
        self.select.set_options([(o, o) for o in self.options])
        self.select.value = value

    @on(Select.Changed)
    def _changed(self, event: Select.Changed) -> None:
        event.stop()
        if event.value is not Select.BLANK and event.value != self.current:
            self.current = event.value
            self.post_message(FieldCommitted(self.field, event.value))


class Toggle(Horizontal):
    """An on/off setting (a compact checkbox, readable in any terminal)."""

    DEFAULT_CSS = """
    Toggle { height: 1; }
    Toggle Checkbox { width: 1fr; }
    """

    def __init__(self, field: str, label: str, value: bool):
        super().__init__(id=f"field-{field}")
        self.field = field
        self.label = label
        self.initial = value
        self.current = value

    def compose(self) -> ComposeResult:
        yield Checkbox(self.label, self.initial, id=f"input-{self.field}", compact=True)

    def set_value(self, value: bool) -> None:
        self.current = value
        self.query_one(Checkbox).value = value

    @on(Checkbox.Changed)
    def _changed(self, event: Checkbox.Changed) -> None:
        event.stop()
        if event.value != self.current:
            self.current = event.value
            self.post_message(FieldCommitted(self.field, event.value))


def text(value: Any, none: str = "full") -> str:
    """How a config value is shown in an input (None: ``none``, e.g. full batch, all examples;
    a pair as the flag takes it: ``0.9,0.999``)."""
    if value is None:
        return none
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple):
        return ",".join(text(v) for v in value)
    return str(value)


FIELD_TEXTS = ("n_train", "n_inputs", "noise", "modulus", "seed", "width", "depth", "dropout", "betas", "momentum",
               "lr", "batch_size", "epochs")  # the config's fields typed in an input
CHOICES = ("preset", "model", "activation", "optimizer", "solver", "regularizer", "decay_convention")
def field_text(config, field: str) -> str:
    """A config field as its input shows it."""
    return text(getattr(config, field), "all" if field == "n_train" else "full")


def in_use(config, also: str | None = None) -> dict[str, bool]:
    """Which of the fields that only some settings use are in use with ``config``
    (:func:`~wdtui.engine.config.unused_fields`: noise, n_inputs, modulus, the training fields
    under the exact solver, width, activation and dropout p (the run's and the comparison's) of
    a linear model, depth of the CNN, betas without Adam, momentum without SGD: digits' 0.9
    decides whether it learns), and solver (shown for a preset that solves exactly, or exact
    chosen). ``also``: the optimizer a comparison on screen trains with (its betas or momentum
    are the run's)."""
    unused = unused_fields(config, optimizers=[also] if also else ())
    shown = {field: field not in unused for field in (
        "noise", "n_inputs", "modulus", *UNUSED_BY_EXACT, "width", "activation", "dropout", "depth")}
    shown["solver"] = config.solver == "exact" or PRESETS[config.preset].config.get("solver", "gd") == "exact"
    shown["compare_optimizer"] = shown["optimizer"]
    shown["compare_dropout"] = shown["dropout"]
    return shown


class Sidebar(VerticalScroll):
    DEFAULT_CSS = """
    Sidebar { width: 32; padding: 0 1; background: $panel; scrollbar-size-vertical: 1; }
    Sidebar .panel { height: auto; border-top: solid $primary; padding-bottom: 1; }
    Sidebar .panel-title { text-style: bold; color: $accent; }
    Sidebar #rule { color: $text-muted; height: auto; }
    Sidebar #not-applied { color: $warning; height: auto; }
    /* 5 rows kept from the start (it arrives after the first layout); more where its text needs them
       (regularizer none: "nothing is decayed …; a regularizer would act on: …" takes 6 at 120×40) */
    Sidebar #decay-summary { color: $text-muted; height: auto; min-height: 5; }
    Sidebar Button { width: 100%; height: 1; min-width: 0; border: none; }
    """

    def __init__(self, config, lam: float, compare: bool, comparison: str, devices: list[str],
                 run: Run | None = None):
        super().__init__(id="sidebar")
        self.config = config
        self.lam = lam
        self.compare = compare
        self.comparison = comparison  # the comparison run's setting, e.g. "l2 λ=0.2"
        self.run = run or Run(config.regularizer, 0.0)  # the comparison run itself
        self.devices = devices

    def compose(self) -> ComposeResult:
        c = self.config
        with Vertical(classes="panel"):
            yield Label("Dataset", classes="panel-title")
            yield Choice("preset", "preset", PRESETS, c.preset)
            yield Field("n_train", "n_train", text(c.n_train, "all"))
            yield Field("n_inputs", "n_inputs", text(c.n_inputs))
            yield Field("noise", "noise", text(c.noise))
            yield Field("modulus", "modulus p", text(c.modulus))
            yield Field("seed", "seed", text(c.seed))
            yield Button("regenerate (seed + 1)", id="regenerate", compact=True)
        with Vertical(classes="panel"):
            yield Label("Model", classes="panel-title")
            yield Choice("model", "model", MODELS, c.model)
            yield Field("width", "width", text(c.width))
            yield Field("depth", "depth", text(c.depth))
            yield Choice("activation", "activation", ACTIVATIONS, c.activation)
            yield Field("dropout", "dropout p", text(c.dropout))
            yield Choice("solver", "solver", SOLVERS, c.solver)
            yield Static("", id="not-applied")
            yield Choice("optimizer", "optimizer", OPTIMIZERS, c.optimizer)
            yield Field("betas", "betas", text(c.betas))
            yield Field("momentum", "momentum", text(c.momentum))
            yield Field("lr", "lr", text(c.lr))
            yield Field("batch_size", "batch", text(c.batch_size))
            yield Field("epochs", "epochs", text(c.epochs))
            yield Choice("device", "device", self.devices, c.device)
        with Vertical(classes="panel"):
            yield Label("Regularization", classes="panel-title")
            yield Choice("regularizer", "regularizer", REGULARIZERS, c.regularizer)
            yield Choice("decay_convention", "convention", DECAY_CONVENTIONS, c.decay_convention)
            yield Field("lam", "λ", f"{self.lam:.4g}")
            yield Toggle("decay_all", "decay all parameters", c.decay_all)
            yield Static("", id="rule")
            yield Static("", id="decay-summary")
        with Vertical(classes="panel"):
            # the comparison: any setting of regularizer, λ, dropout p and optimizer (same data,
            # initialization and lr as the run); its fields show only while it is on
            yield Label("Comparison", classes="panel-title")
            yield Toggle("compare", f"compare: {self.comparison}", self.compare)
            with Vertical(id="comparison-fields"):
                yield Choice("compare_regularizer", "regularizer", REGULARIZERS, self.run.regularizer)
                yield Field("compare_lam", "λ", f"{self.run.lam:.4g}", parse_as="lam")
                yield Field("compare_dropout", "dropout p", text(self._p(self.run)), parse_as="dropout")
                yield Choice("compare_optimizer", "optimizer", OPTIMIZERS, self.run.optimizer or c.optimizer)

    def on_mount(self) -> None:
        self.query_one("#comparison-fields").display = self.compare
        self.show_in_use(self.config)

    def show_in_use(self, config) -> None:
        """Only the fields ``config`` uses are shown (:func:`in_use`); with the exact solver a line
        says why the training fields are gone."""
        also = self.run.optimizer if self.compare else None  # a comparison's optimizer uses the run's betas/momentum
        for field, shown in in_use(config, also).items():
            self.query_one(f"#field-{field}").display = shown
        note = self.query_one("#not-applied", Static)
        note.display = config.solver == "exact"
        note.update(Text("solver exact: the closed-form solution, so optimizer, lr, batch and epochs are "
                         "not used (solver gd trains)"))
    def _p(self, run: Run) -> float:
        return self.config.dropout if run.dropout is None else run.dropout

    def show_config(self, config, lam: float) -> None:
        """Put every value of ``config`` in its widget (after a preset change)."""
        self.config = config
        for field in FIELD_TEXTS:
            self.query_one(f"#field-{field}", Field).set_value(field_text(config, field))
        self.query_one("#field-lam", Field).set_value(f"{lam:.4g}")
        for field in CHOICES:
            self.query_one(f"#field-{field}", Choice).set_value(getattr(config, field))
        self.query_one("#field-decay_all", Toggle).set_value(config.decay_all)
        self.show_in_use(config)

    def show_comparison(self, on: bool, comparison: str, run: Run | None = None) -> None:
        """The comparison's name on its toggle, and (``run``) its setting in its fields."""
        self.comparison, self.compare = comparison, on
        toggle = self.query_one("#field-compare", Toggle)
        toggle.query_one(Checkbox).label = f"compare: {comparison}"
        toggle.set_value(on)
        self.query_one("#comparison-fields").display = on
        if run is not None:
            self.run = run
            self.query_one("#field-compare_regularizer", Choice).set_value(run.regularizer)
            self.query_one("#field-compare_lam", Field).set_value(f"{run.lam:.4g}")
            self.query_one("#field-compare_dropout", Field).set_value(text(self._p(run)))
            self.query_one("#field-compare_optimizer", Choice).set_value(run.optimizer or self.config.optimizer)
        self.show_in_use(self.config)

    def show_devices(self, devices: list[str], value: str) -> None:
        if devices != self.devices:
            self.devices = devices
            self.query_one("#field-device", Choice).set_options(devices, value)
