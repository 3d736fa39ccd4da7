"""Benchmarks that compare the emulator with moto and with a do-nothing app on the emulator's own stack.

Run with ``python bench/run.py`` (or ``make bench``); see ``bench/README.md``.
"""
