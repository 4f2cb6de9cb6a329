"""The intelligibility bench: every line of a routine, each engine, in noise, transcribed."""
