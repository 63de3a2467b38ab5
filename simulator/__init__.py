"""Drone simulator: a pure core (`simulator.core`) and a Pygame app (`python -m simulator`)."""

import os

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")  # the app's output is ours, not pygame's
