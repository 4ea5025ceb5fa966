"""Lessons: the presets, their guides, and the closed forms and trends that check them."""
