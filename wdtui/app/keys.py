"""The app's keys (its Textual bindings): what each does is in the help screen (``screens/help.py``).
The footer shows what fits in 80 columns; every key is in the help screen (?) and ctrl+p."""

from __future__ import annotations

from textual.binding import Binding

KEYS = [
    Binding("space", "toggle", "start/pause"),
    Binding("n", "step", "step", show=False),
    Binding("r", "reset", "reset", show=False),
    Binding("right_square_bracket", "lambda_up", "λ+", key_display="]"),
    Binding("left_square_bracket", "lambda_down", "λ−", key_display="["),
    # priority: taken when it arrives, so the keys typed right behind it land in the field (a
    # key bound on the app otherwise runs after a round trip that the next keys overtake);
    # the app's check_action passes it on to a field being typed in
    Binding("l", "focus_lambda", "λ field", show=False, priority=True),
    Binding("c", "compare", "compare"),
    Binding("p", "pin", "pin run", show=False),
    Binding("u", "unpin", "unpin", show=False),
    Binding("w", "sweep", "λ sweep", show=False),
    Binding("b", "best", "best λ", show=False),
    Binding("g", "grid", "lr×λ grid", show=False),
    Binding("d", "samples", "n_train sweep", show=False),
    Binding("s", "screenshot", "svg", show=False),
    Binding("e", "export", "export", show=False),
    Binding("t", "tensorboard", "tensorboard", show=False),
    Binding("x", "cancel_sweep", "cancel sweep", show=False),
    Binding("1", "show_tab('charts')", "charts", show=False),
    Binding("2", "show_tab('weights')", "weights", show=False),
    Binding("3", "show_tab('sweep')", "sweep", show=False),
    Binding("4", "show_tab('layers')", "layers", show=False),
    Binding("ctrl+b", "toggle_sidebar", "sidebar", show=False),
    Binding("z", "zoom", "zoom chart", show=False),
    Binding("pagedown", "page(1)", "scroll down", show=False),
    Binding("pageup", "page(-1)", "scroll up", show=False),
    Binding("ctrl+z", "undo", "undo restart", show=False),
    Binding("question_mark", "help", "help", key_display="?"),
    Binding("f1", "help", "help", show=False),
    Binding("q", "quit", "quit"),
    Binding("escape", "unfocus", "leave field"),  # shown only while a field has the keys
    # focus moves at once (priority), so the keys typed right behind a tab reach the widget it
    # moved to, not the one it left (Textual's screen binding runs after a round trip)
    Binding("tab", "focus_next", "next field", show=False, priority=True),
    Binding("shift+tab", "focus_previous", "previous field", show=False, priority=True),
]
