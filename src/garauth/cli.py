"""The `garauth` command.

Each subcommand lives in its own module, which provides `add_arguments(parser)` and
`run(args) -> int` and a one-line module docstring used as the command's help. This file only
dispatches; add a command by adding a line to COMMANDS.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from garauth import __version__
from garauth.errors import UserError

COMMANDS = {
    "pulls": "garauth.commands.pulls",  # what a CI config will pull, and with which credential
    "key": "garauth.commands.key",  # read, validate, encode or generate service-account keys
    "fake-registry": "garauth.fake.server",  # run the fake Artifact Registry
    "sandbox": "garauth.sandbox",  # run a command where the real hostnames reach the fake
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="garauth", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"garauth {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, modname in COMMANDS.items():
        module = importlib.import_module(modname)
        doc = (module.__doc__ or "").strip().splitlines()
        p = sub.add_parser(name, help=doc[0] if doc else None, description=(module.__doc__ or "").strip())
        p.formatter_class = argparse.RawDescriptionHelpFormatter
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    try:
        return int(args._run(args) or 0)
    except UserError as err:
        print(f"garauth {args.command}: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
