"""The command line `inmail-sim`: argument parsing and one module per command; the only layer that knows
argparse. Handlers check every flag (exit 2 naming it) and call typed library functions of the layers
below; `main` turns every failure into one line and an exit status."""

from .main import main

__all__ = ["main"]
