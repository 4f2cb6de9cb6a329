"""The attack suite: each test is one way in that once worked, tried against the real app.
The web tests' fixtures (a real store, a recording control, a fake clock) serve here too."""

from tests.web.conftest import app, client, control, store, web_clock

__all__ = ["app", "client", "control", "store", "web_clock"]
