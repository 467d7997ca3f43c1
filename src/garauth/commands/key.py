"""Read, validate, encode or generate service-account key files.

  garauth key check FILE         say whether FILE is a usable JSON key, and if not, why
  garauth key encode FILE        print the key as one line of base64 (the _json_key_base64 password)
  garauth key generate --out F   write a key file for tests (made like the fake makes them)

Messages name the file and what is wrong; key material is never printed, except by `encode`,
whose output is the encoded key (write it with --out to keep it off the terminal).
"""

from __future__ import annotations

import argparse
import secrets
import sys
from pathlib import Path

from garauth import keyfile
from garauth.errors import UserError


def read_key_text(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    p = Path(path)
    if not p.exists():
        raise UserError("no such file", file=path)
    if p.is_dir():
        raise UserError("is a directory, not a key file", file=path)
    try:
        return p.read_text("utf-8")
    except UnicodeDecodeError:
        raise UserError("is not text (a .p12 key? registries need the JSON key)", file=path) from None


def validate(path: str) -> dict:
    """The parsed key file, or UserError saying what is wrong (never showing the key)."""
    text = read_key_text(path)
    try:
        key = keyfile.parse(text)
    except keyfile.KeyFileError as err:
        raise UserError(str(err), file=path) from None
    found = keyfile.problems(key)
    if found:
        raise UserError("; ".join(found), file=path)
    return key


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="key_command", metavar="ACTION", required=True)
    check = sub.add_parser("check", aliases=["validate"], help="check that a file is a usable JSON key")
    check.add_argument("file", help="key file, or - for standard input")
    encode = sub.add_parser("encode", help="base64-encode a key file on one line (for _json_key_base64)")
    encode.add_argument("file", help="key file, or - for standard input")
    encode.add_argument("--out", help="write to this file (mode 0600) instead of standard output")
    gen = sub.add_parser("generate", help="write a new key file for tests (not known to Google)")
    gen.add_argument("--out", required=True, help="file to write (mode 0600)")
    gen.add_argument("--project", default="demo-project")
    gen.add_argument("--account", default="test", help="service account ID (the part before @)")


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except OSError as err:  # writing --out: a missing directory, no permission, a full disk
        target = getattr(args, "out", None) or getattr(args, "file", None)
        raise UserError(f"cannot write the file: {err.strerror or err}", file=target) from None


def _run(args: argparse.Namespace) -> int:
    action = args.key_command
    if action in ("check", "validate"):
        key = validate(args.file)
        print(f"{args.file}: OK, a JSON key for {key['client_email']} (key ID {key['private_key_id'][:8]}…)")
        return 0
    if action == "encode":
        validate(args.file)
        encoded = keyfile.encode_base64(read_key_text(args.file))
        if args.out:
            keyfile.write_private(Path(args.out), encoded + "\n")
            print(f"wrote {args.out}")
        else:
            print(encoded)
        return 0
    if action == "generate":
        out = Path(args.out)
        if out.exists():
            raise UserError("exists already; choose another --out", file=args.out)
        email = f"{args.account}@{args.project}.iam.gserviceaccount.com"
        new = keyfile.new_key_file(args.project, email, str(10**20 + secrets.randbelow(9 * 10**20)))
        keyfile.write_private(out, keyfile.dumps(new.key_file))
        print(f"wrote {out}: a test key for {email}")
        return 0
    raise UserError(f"unknown action {action}")
