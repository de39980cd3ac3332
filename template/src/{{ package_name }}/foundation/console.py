"""What every subcommand of the CLI shares: exit codes, and how a failure is reported."""

from __future__ import annotations

import argparse
import sys

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
Commands = argparse._SubParsersAction


def fail(message: str) -> int:
    """Print ``error: message`` on stderr; the exit code of a failed command."""
    print(f"error: {message}", file=sys.stderr)
    return EXIT_FAILED
