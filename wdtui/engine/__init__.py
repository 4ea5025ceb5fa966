"""The engine: data, models, regularizers, trainers. Never imports textual or plotext.

Import the submodules you need (``wdtui.engine.training.trainer``…); this package file stays empty so
that ``wdtui.engine.config`` and ``wdtui.engine.lessons.presets`` load without torch.
"""
