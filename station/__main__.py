"""``python -m station``: the same as the ``balance-station`` command."""

import sys

from station.cli.main import main

sys.exit(main())
