"""Decoding for the local model: the call grammar, the grammar-constrained decoder, the lean Gemma forward."""
