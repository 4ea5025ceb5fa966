"""The command palette (Ctrl+P): every action of the app, and every preset."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from ..engine.lessons.presets import PRESETS

ACTIONS = (
    ("Start / pause training", "space", "toggle"),
    ("Step one epoch", "n", "step"),
    ("Reset the run (same seed)", "r", "reset"),
    ("Undo a reset or restart (the replaced run comes back)", "ctrl+z", "undo"),
    ("Regenerate the data (seed + 1)", "", "regenerate"),
    ("λ up the ladder", "]", "lambda_up"),
    ("λ down the ladder", "[", "lambda_down"),
    ("Compare on/off (the comparison is set in the sidebar)", "c", "compare"),
    ("Pin the run as shown (a dimmed copy to compare with)", "p", "pin"),
    ("Unpin the latest pinned run", "u", "unpin"),
    ("Sweep λ over the ladder (batched)", "w", "sweep"),
    ("Use the sweep's best λ", "b", "best"),
    ("(lr, λ) grid: coupled beside decoupled", "g", "grid"),
    ("Save an SVG screenshot", "s", "screenshot"),
    ("Export the metrics as JSON and the settings as TOML", "e", "export"),
    ("TensorBoard event files on/off", "t", "tensorboard"),
    ("Show the charts", "", "show_tab('charts')"),
    ("Show the weight histograms", "", "show_tab('weights')"),
    ("Show the λ sweep", "", "show_tab('sweep')"),
)


class WdtuiCommands(Provider):
    def _commands(self):
        app = self.app
        for title, key, action in ACTIONS:
            yield title, f"key: {key}" if key else "", partial(app.run_action, action)
        for preset in PRESETS.values():
            yield f"Preset: {preset.name}", preset.title, partial(app.load_preset, preset.name)

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)
