"""The ``spotter`` command line and its diagnostics (``doctor``, ``routines show``).

The top layer: it may import anything below it, and imports each lazily, so that a
command loads only what it uses.
"""
