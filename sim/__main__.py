"""`python -m sim`: the `inmail-sim` command."""

from .cli.main import main

raise SystemExit(main())
