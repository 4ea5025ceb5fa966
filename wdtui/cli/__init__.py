"""The command line: ``wdtui`` (the app), ``wdtui run``, ``wdtui presets``…"""
