"""The one exception type for problems the user can fix.

Raise `UserError` for bad input (a file that does not parse, a missing variable, a bad image
reference, a file over a limit): the CLI prints it as one line, with no traceback, and exits 2.
The message is garauth.boundary.Safe text; it names the file and line where there is one, says
what to do, and never contains a secret. `render()` gives the whole line as Safe text. (The
fake registry and the sandbox, which read no user's secrets, still raise plain text; render()
scrubs that of anything shaped like a secret instead.)
"""

from __future__ import annotations


class UserError(Exception):
    def __init__(
        self, message: str, *, file: str | None = None, line: int | None = None, column: int | None = None
    ) -> None:
        self.file = file
        self.line = line
        self.column = column
        self.message = message
        super().__init__(message)

    def render(self):
        """`FILE:LINE:COL: message` as Safe text (the file name only when it is plain)."""
        from garauth import boundary
        from garauth.model import Position

        message = self.message
        if not isinstance(message, boundary.Safe):
            message = boundary.Safe(boundary.scrub(str(message)))
        if not self.file:
            return message
        where = boundary.position(Position(self.file, self.line or 0, self.column or 0))
        return boundary.fmt("{}: {}", where, message)

    def __str__(self) -> str:
        return str(self.render())
