"""Files the app saves (a screenshot, an export, its settings): written beside the user in a
terminal; in a browser (``wdtui serve``) delivered to the browser as a download through Textual's
``deliver_text``: the user's file belongs on the user's machine, not on the server."""

from __future__ import annotations

import io
from pathlib import Path

from textual.app import App

from ..engine.config import Config
from ..engine.export import write_text
from ..engine.settings import app_settings, settings_text


def save_text(app: App, path: Path, text: str) -> str:
    """Save ``text`` as ``path`` (atomically) or, in a browser, download it as ``path.name``.
    Returns what to tell the user; OSError when it cannot be written. Call on the app's thread."""
    if app.is_web:
        app.deliver_text(io.StringIO(text), save_filename=path.name, open_method="download")
        return f"downloading {path.name}"
    write_text(path, text)
    return f"saved {path}"


def export_files(path: Path, text: str, config: Config, compare: bool) -> list[tuple[Path, str]]:
    """An export: the metrics (``path``, JSON) and beside it the settings that reproduce the run
    (the same name, ``.toml``: ``wdtui --config`` opens it)."""
    return [(path, text), (path.with_suffix(".toml"), settings_text(app_settings(config, compare)))]


def deliver_files(app: App, files: list[tuple[Path, str]]) -> None:
    """In a browser: each file downloaded (call on the app's thread)."""
    for path, text in files:
        save_text(app, path, text)
