"""Screens shown over the app (the help)."""
