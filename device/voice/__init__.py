"""Spotter's voice: adapters around espeak-ng (through pyttsx3), the WAV cache and the sound device.

Lines arrive from the service and leave as audio. It may import ``device.events``
and ``routines``; never the engine, the hardware, the service or the web.
"""
