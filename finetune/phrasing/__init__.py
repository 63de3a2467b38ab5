"""Phrasing: how a call is said in words (number words, style, phrasebooks, the template grammar)."""
