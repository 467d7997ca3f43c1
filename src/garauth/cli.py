"""The `garauth` command.

Each subcommand lives in its own module, which provides `add_arguments(parser)` and
`run(args) -> int` and a module docstring whose first line is the command's help. This file only
dispatches, and is the last line of defence: an exception that escapes a command is reported as
one line naming the command, the file and the exception's type, never its text (which may quote
the input). Set GARAUTH_DEBUG=1 to see the traceback. Add a command by adding a line to COMMANDS.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import importlib.util
import os
import sys
import traceback

from garauth import __version__, boundary
from garauth.boundary import fmt, own
from garauth.errors import UserError

COMMANDS = {
    "check": "garauth.commands.check",
    "pulls": "garauth.commands.pulls",
    "key": "garauth.commands.key",
    "fake-registry": "garauth.fake.server",
    "sandbox": "garauth.commands.sandbox",
}


class _Parser(argparse.ArgumentParser):
    """argparse, with its error messages (which quote the arguments) through the boundary."""

    def error(self, message: str):  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"{self.prog}: error: {boundary.scrub(message)}\n")
        sys.exit(2)


def _first_line(modname: str) -> str:
    """A command's one-line help: the first line of its module's docstring, read without
    importing the module (the fake and the sandbox pull in a web server)."""
    spec = importlib.util.find_spec(modname)
    source = spec.loader.get_source(modname) if spec and spec.loader else ""  # type: ignore[union-attr]
    doc = ast.get_docstring(ast.parse(source or "")) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; only `command`'s module is imported (all of them when command is None)."""
    parser = _Parser(prog="garauth", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"garauth {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, modname in COMMANDS.items():
        if command is not None and name != command:
            sub.add_parser(name, help=_first_line(modname))
            continue
        module = importlib.import_module(modname)
        doc = (module.__doc__ or "").strip()
        p = sub.add_parser(
            name,
            help=doc.splitlines()[0],
            description=doc,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else argv
    chosen = next((w for w in words if not w.startswith("-")), None)
    parser = build_parser(chosen if chosen in COMMANDS else None)
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    try:
        return int(args._run(args) or 0)
    except UserError as err:
        boundary.error(fmt("garauth {}: {}", own(args.command), err.render()))
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader of our output went away (`garauth check | head`): not our failure to report.
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keep Python from failing at exit
        except OSError:
            pass
        return 0
    except Exception as err:  # the last line of defence: name the type, never the text
        if os.environ.get("GARAUTH_DEBUG") == "1":
            traceback.print_exc()
        target = getattr(args, "file", None) or ", ".join(getattr(args, "paths", None) or [])
        where = fmt(" while reading {}", boundary.path(target)) if target else own("")
        boundary.error(
            fmt(
                "garauth {}: internal error ({}){}. This is a bug in garauth; set GARAUTH_DEBUG=1 to see the traceback.",
                own(args.command),
                own(type(err).__name__),
                where,
            )
        )
        return 3


if __name__ == "__main__":
    sys.exit(main())
