"""The one error type that crosses the input boundary.

Every problem with a user's file or settings is raised as :class:`DataError`
whose message is one sentence meant for a person (no traceback, no jargon);
the UI shows ``str(err)`` and nothing more.
"""
from __future__ import annotations


class DataError(ValueError):
    """A problem with the user's data, phrased for the user."""


class ModelError(ValueError):
    """A predictive model could not be fitted; the message says why, for a person."""


class UserFacing(Exception):
    pass
