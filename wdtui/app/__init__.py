"""The Textual app. Imports textual; the engine never imports this package."""
