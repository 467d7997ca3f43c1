"""Check, encode or generate service-account key files.

  garauth key check FILE         say whether FILE is a usable JSON key, and if not, why
  garauth key encode FILE        print the key as one line of base64 (the _json_key_base64 password)
  garauth key generate --out F   write a key file for tests (made like the fake makes them)

`check` takes the layers a key picks up on its way into a secret store off one by one (quotes,
escaped quotes, base64, base64 again, a JSON string) and names each, then checks the key's fields.
Messages name the file and what is wrong; key material is never printed, except by `encode`,
whose output is the encoded key (write it with --out to keep it off the terminal).

Exit status: 0 usable (check), written (encode, generate); 1 not usable as it is; 2 the file
cannot be read, or a usage error.
"""

from __future__ import annotations

import argparse
import secrets
from pathlib import Path

from garauth import boundary, keyfile
from garauth.boundary import fmt, own
from garauth.errors import UserError
from garauth.readers import keyfile as keyfile_reader


def _read(path: str) -> str:
    if path == "-":
        import sys

        limit = keyfile_reader.limit()
        raw = sys.stdin.buffer.read(limit + 1)
        if len(raw) > limit:
            raise UserError(
                fmt(
                    "standard input is larger than {} bytes, garauth's limit for a key.",
                    boundary.number(limit),
                )
            )
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise UserError(
                own("standard input is not text (a .p12 key? registries need the JSON key).")
            ) from None
    try:
        return keyfile_reader.read_text(path)
    except UserError as err:
        if "UTF-8" in err.message:
            raise UserError(
                own("is not text (a .p12 key? registries need the JSON key)."), file=path
            ) from None
        raise


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="key_command", metavar="ACTION", required=True)
    check = sub.add_parser(
        "check",
        aliases=["validate"],
        help="say whether a file is a usable JSON key, and if not, why",
        description="Say whether FILE is a usable service-account JSON key, and if not, what is wrong and what to do. Nothing from the key is printed.",
    )
    check.add_argument("file", metavar="FILE", help="key file, or - for standard input")
    encode = sub.add_parser(
        "encode",
        help="base64-encode a key file on one line (for _json_key_base64)",
        description="Print a usable key file as one line of base64, the password for username _json_key_base64.",
    )
    encode.add_argument("file", metavar="FILE", help="key file, or - for standard input")
    encode.add_argument(
        "--out", metavar="FILE", help="write to this file (mode 0600) instead of standard output"
    )
    gen = sub.add_parser(
        "generate",
        help="write a new key file for tests (not known to Google)",
        description="Write a new RSA key file shaped like Google's, for tests against the fake registry. Google does not know it.",
    )
    gen.add_argument("--out", required=True, metavar="FILE", help="file to write (mode 0600)")
    gen.add_argument("--project", default="demo-project", help="project ID (default: demo-project)")
    gen.add_argument(
        "--account", default="test", help="service account ID, the part before @ (default: test)"
    )


def run(args: argparse.Namespace) -> int:
    action = args.key_command
    if action in ("check", "validate"):
        facts = keyfile.analyse(_read(args.file))
        if facts.username == "_json_key":
            email = facts.key.get("client_email") if facts.key else None
            key_id = str(facts.key.get("private_key_id", ""))[:8] if facts.key else ""
            boundary.emit(
                fmt(
                    "{}: OK, a JSON key for {} (key ID {}…); use it with username _json_key",
                    boundary.path(args.file),
                    boundary.name(email),
                    boundary.name(key_id),
                )
            )
            return 0
        boundary.emit(fmt("{}: {}", boundary.path(args.file), keyfile.describe_problems(facts)))
        return 1
    if action == "encode":
        text = _read(args.file)
        facts = keyfile.analyse(text)
        if facts.username != "_json_key":
            raise UserError(fmt("{}; nothing encoded.", keyfile.describe_problems(facts)), file=args.file)
        encoded = keyfile.encode_base64(text)
        if args.out:
            _write(Path(args.out), encoded + "\n")
            boundary.emit(fmt("wrote {}", boundary.path(args.out)))
        else:
            print(encoded)  # the one output that is key material, on purpose: see the module docstring
        return 0
    out = Path(args.out)
    if out.exists():
        raise UserError(own("exists already; choose another --out"), file=args.out)
    email = f"{args.account}@{args.project}.iam.gserviceaccount.com"
    new = keyfile.new_key_file(args.project, email, str(10**20 + secrets.randbelow(9 * 10**20)))
    _write(out, keyfile.dumps(new.key_file))
    boundary.emit(fmt("wrote {}: a test key for {}", boundary.path(args.out), boundary.name(email)))
    return 0


def _write(path: Path, content: str) -> None:
    try:
        keyfile.write_private(path, content)
    except OSError as err:
        raise UserError(
            fmt("cannot write the file: {}", own(err.strerror or "error")), file=str(path)
        ) from None
