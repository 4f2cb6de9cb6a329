"""The session engine: button edges, gestures, actions and the time in; lines to speak out.

Pure logic: no I/O, no threads, no sleeps, time only from an injected clock. It
may import ``device.events`` and ``routines.model`` and nothing else outside
itself (import-linter enforces it), so it is tested with a fake clock and runs
the same on a Pi, in the web page's preview and in a test.
"""
