"""The station at run time: the core process (devices, control loop, drills, storage writer)
and the panel process, and the local socket between them (see docs/architecture.md)."""
