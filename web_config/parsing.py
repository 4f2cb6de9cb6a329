"""Reading numbers out of form fields and headers, which arrive as any text at all."""

from __future__ import annotations


def is_whole_number(text: str) -> bool:
    """True for plain ASCII digits: ``str.isdigit`` also accepts '²', which ``int`` refuses."""
    return text.isascii() and text.isdigit()
