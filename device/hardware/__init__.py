"""The physical parts: the button and the status LED through gpiozero, the pin factories, and
the keyboard stand-in for a button. They turn pins into ``device.events`` values and back;
they may import ``device.events`` and the engine's ``Edge``, never the voice, service or web.
"""
