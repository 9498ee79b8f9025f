"""Counts to physics: calibration, COP, frames and sway metrics (pure numpy and scipy)."""
