"""``balance-station``: the command line and its subcommands."""
