"""The running process: the one composition root (``build``), the worker thread that moves events
into the engine and lines out to the voice, and what the OS needs (config, systemd, network).

The only layer that knows every other one: it may import the engine, the voice, the hardware,
``routines`` and ``web_config``; nothing imports it but the command line.
"""
