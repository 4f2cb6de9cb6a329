"""Errors the command line reports as one line, never as a traceback."""


class CommandError(Exception):
    """A problem the user can fix; printed as one line, never as a traceback."""
