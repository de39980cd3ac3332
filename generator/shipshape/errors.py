"""Errors shipshape reports to the user: each carries the message and the exit code to use."""

from __future__ import annotations


class ShipshapeError(Exception):
    """Base of every error shipshape reports without a traceback."""

    exit_code = 2


class UsageError(ShipshapeError):
    """A command-line argument is malformed or names something that does not exist."""


class AnswerError(ShipshapeError):
    """An answer is invalid for the template (unknown question, bad choice, failed validator)."""


class PresetError(ShipshapeError):
    """A preset cannot be found or read."""


class ProjectError(ShipshapeError):
    """The destination is not in a state the command can work on."""


class CheckFailed(ShipshapeError):
    """A check ran to completion and found a problem (conflicts, a failing step)."""

    exit_code = 1
