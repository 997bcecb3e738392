"""Operations: pure functions, arguments in, ``Result`` out (no printing, no exit, no argv)."""
