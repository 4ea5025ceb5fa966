"""Widgets of the app: the sidebar, the charts, the status line."""


def page(view, pages: int) -> None:
    """Scroll ``view`` (a scrollable widget) by a page (pgdn ``pages`` = 1, pgup −1), to the
    nearest start of a section (a child with the class ``page-stop``: a grid's table, a layer's
    histograms) that the move reaches without skipping a row, so that a page begins with a
    table's title rather than mid-table; where no section starts within a page, by a whole page,
    one row kept from the page before."""
    height = max(view.scrollable_content_region.height, 2)
    y = round(view.scroll_y)
    stops = [child.virtual_region.y for child in view.query_children(".page-stop") if child.display]
    if pages > 0:
        ahead = [s for s in stops if y < s <= y + height]
        target = min(ahead) if ahead else y + height - 1
    else:
        behind = [s for s in stops if y - height <= s < y]
        target = max(behind) if behind else y - (height - 1)
    view.scroll_to(y=target, animate=False)
