"""What a technician checks: diagnostics of a running station, the self-test and the I²C scan."""
