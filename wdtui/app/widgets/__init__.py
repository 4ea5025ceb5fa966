"""Widgets of the app: the sidebar, the charts, the status line."""
