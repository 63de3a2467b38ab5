"""Drone simulator: a pure core (`simulator.core`) and a Pygame app (`python -m simulator`)."""
