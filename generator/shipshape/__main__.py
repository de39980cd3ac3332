"""Run the CLI as ``python -m shipshape``."""

from shipshape.cli import main

raise SystemExit(main())
