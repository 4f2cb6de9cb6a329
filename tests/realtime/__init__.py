"""Real time: Spotter built as the daemon builds it, speaking with the real voice into a
sound device that plays no faster than a card, heard by a separate process, and pressed by
a scripted trainee who reacts to what was heard (``sound_card``, ``coach``, ``hog``)."""
