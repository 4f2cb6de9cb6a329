"""Spotter's benchmarks: the six figures of its README, measured on the real code paths.

``python -m bench`` (or ``./dev bench``) runs them all and prints one table.
"""
