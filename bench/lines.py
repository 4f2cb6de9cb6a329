"""The texts the benchmarks have spoken: ours, and long enough to tell lengths apart."""

# Exactly 60 words, and short enough (278 characters) to be a routine cue.
SIXTY_WORDS = (
    "Lie on the mat with your feet flat and knees up. Now lift your hips up high and hold "
    "them there. Keep your back flat and your ribs down. Do not let your knees fall in or "
    "out. Breathe in and out, slow and calm. Push down with your feet and keep your arms on "
    "the mat by your side."
)
