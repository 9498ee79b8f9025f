"""Repeatable noise for the emulated chips: a deviate that depends only on a seed and a time."""

import math
from math import cos, log, sqrt

_TWO_PI = 2.0 * math.pi


def gauss(seed: int, t_s: float) -> float:
    """A standard normal deviate that depends only on ``seed`` and time ``t_s`` (to 1 ns):
    splitmix64 of the pair, then Box-Muller on its two 32-bit halves."""
    mask = (1 << 64) - 1
    z = (seed * 0x9E3779B97F4A7C15 + round(t_s * 1e9) + 0x9E3779B97F4A7C15) & mask
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
    z ^= z >> 31
    u1 = ((z >> 32) + 1) / 4294967296.0  # (0, 1]
    u2 = (z & 0xFFFFFFFF) / 4294967296.0
    return sqrt(-2.0 * log(u1)) * cos(_TWO_PI * u2)
