"""The footer of keys, shown whether or not the app has the focus.

Textual's Footer fills in its keys only while the app has the focus (``Footer.bindings_changed``
returns early otherwise). In a browser (``wdtui serve``) the page reports a blur whenever it is
not the focused element, and a page loaded without focus (a headless browser, another window
in front, the address bar focused) kept an empty footer row until the user pressed a key; in a
terminal that reports focus, a footer hidden behind another window went stale the same way.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class KeysFooter(Footer):
    _shown: tuple | None = None  # the keys the footer was last composed with

    def bindings_changed(self, screen: Screen) -> None:
        self._bindings_ready = True
        if self.is_attached and screen is self.screen:
            self.call_after_refresh(self._show_keys)

    async def _show_keys(self) -> None:
        """Compose again only when the keys to show changed. The bindings are announced as
        changed after most keys (a digit typed in a field, space): each recompose mounted every
        key again and laid the screen out again for a footer that showed the same keys."""
        shown = tuple((binding, enabled, tooltip) for _, binding, enabled, tooltip in self.screen.active_bindings.values())
        if shown != self._shown:
            self._shown = shown
            await self.recompose()
