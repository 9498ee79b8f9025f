"""The scientific libraries behind the sway measures, filters and checks, imported where they are
used rather than with the modules that use them.

The panel shows results far more often than it computes them, so it starts without them (its
start-up here: 1.2 to 0.5 s of CPU, 126 to 59 MiB; several seconds sooner on a Pi when the
panel restarts). The core loads them before its loop starts (``load()``, called by
``Station``), so no trial's scoring imports a library while the loop runs: scipy.signal alone
is 0.7 s of CPU here, holding the GIL in slices the control loop would wait behind. A test
checks that every scipy import in the project names one of ``SCORING``.
"""

import importlib

SCORING = (
    "scipy.signal",
    "scipy.integrate",
    "scipy.spatial",
    "scipy.spatial.distance",
    "scipy.stats",
)
"""Every scipy module the project imports (in sensing: filters, spectral, cog, metrics,
ellipse, quality)."""


def load() -> None:
    """Import every module of ``SCORING`` now (the core, before its loop starts)."""
    for name in SCORING:
        importlib.import_module(name)
