"""Calibrating the platform: the measurements and fits, and the panel's calibration wizard."""
