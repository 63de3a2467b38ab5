"""Backends: one `Backend` protocol (base), and the OpenAI-compatible, local and replay models behind it."""
