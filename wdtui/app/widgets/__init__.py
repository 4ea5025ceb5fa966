"""Widgets of the app: the sidebar, the charts, the status line."""


def page(view, pages: int) -> None:
    """Scroll ``view`` (a scrollable widget) by whole pages, one row kept from the page before."""
    view.scroll_to(y=view.scroll_y + pages * max(view.scrollable_content_region.height - 1, 1), animate=False)
