"""Pixel data: decoding, LUTs, colour and the array backend (numpy or cupy)."""
