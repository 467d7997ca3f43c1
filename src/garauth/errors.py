"""The one exception type for problems the user can fix.

Raise `UserError` for bad input (a file that does not parse, a missing variable, a bad image
reference): the CLI prints its message as one line, with no traceback, and exits 2. Messages
name the file and line where there is one, say what to do, and never contain a secret.
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
        where = file or ""
        if file and line:
            where += f":{line}" + (f":{column}" if column else "")
        super().__init__(f"{where}: {message}" if where else message)
