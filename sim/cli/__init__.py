"""The command line `inmail-sim`: argument parsing and one handler per command; the only layer that knows
argparse. Handlers call typed library functions of the layers below."""

from .main import main

__all__ = ["main"]
