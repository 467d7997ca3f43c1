"""How the sandbox says it could not be set up."""

from __future__ import annotations

SETUP_FAILED = 125  # exit status when the sandbox itself could not be set up


class SandboxError(Exception):
    """The sandbox could not be set up; the message is one line for the user."""
