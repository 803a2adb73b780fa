"""`python -m sim.cli`: the `inmail-sim` command."""

from .main import main

raise SystemExit(main())
