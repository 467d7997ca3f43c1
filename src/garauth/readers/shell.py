"""Registry logins written as shell commands: in scripts, and in CI steps (CircleCI `run:`,
GitHub Actions `run:`, GitLab `script:`, Bitbucket `script:`).

    logins(path, script, line=1, column=1) -> list[PullSpec]   one per login command
    detect_text(path, text) -> bool / read_text(path, text) -> ReadResult   for `garauth check`

A login is reported as a PullSpec with no image: `image_text` is the registry host as written,
`context["login"]` the client (docker, podman, buildah, skopeo, helm, crane, oras), and the
credential says where the password comes from:

    docker login -u _json_key --password-stdin HOST < key.json      FILE key.json
    cat key.json | docker login -u _json_key --password-stdin HOST  FILE key.json
    base64 -w0 key.json | docker login -u _json_key_base64 ...      FILE key.json (password_kind "base64")
    echo "$KEY" | docker login -u _json_key --password-stdin HOST   ENV KEY
    gcloud auth print-access-token | docker login -u oauth2accesstoken --password-stdin HOST
                                                                    STEP_OUTPUT "gcloud auth print-access-token"
    docker login -u _json_key -p "$KEY" HOST                        ENV KEY (and context["password_in_argv"])
    skopeo copy --creds "_json_key:$KEY" ...                        ENV KEY

The reader only says what is written; garauth.rules judges it (the username, a password on the
command line, a token stored in a variable). Commands it does not recognise are left alone.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from garauth.model import Credential, CredentialKind, Position, PullSpec, SecretSource
from garauth.readers import ReadResult
from garauth.secretlike import kind_of_secret

NAME = "shell"
CLIENTS = {"docker", "podman", "buildah", "skopeo", "helm", "crane", "oras", "nerdctl"}
_VAR = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")
_WHOLE_VAR = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")
_SEPARATORS = re.compile(r"\s*(?:&&|\|\||;)\s*")
_SHEBANG = re.compile(r"#!.*\b(ba|da|z|k)?sh\b")


def detect_text(path: str, text: str) -> bool:
    """A shell script: by its name (*.sh) or its first line (#!/bin/sh and the like)."""
    return Path(path).suffix in (".sh", ".bash") or bool(_SHEBANG.match(text.split("\n", 1)[0]))


def read_text(path: str, text: str) -> ReadResult:
    return ReadResult(logins(path, text), [], NAME)


_ASSIGN = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=[\"']?\$\((.+?)\)[\"']?\s*$")


def logins(path: str, script: str, line: int = 1, column: int = 1) -> list[PullSpec]:
    """Every registry login in a script. `line`/`column` say where the script starts in its file
    (a YAML block scalar starts on the line after its key). A variable the script itself sets
    from a command (`TOKEN=$(gcloud auth print-access-token)`) is reported as that command's
    output, not as a stored variable."""
    out: list[PullSpec] = []
    assigned: dict[str, str] = {}
    for number, command in _commands(script):
        m = _ASSIGN.match(command)
        if m:
            assigned[m.group(1)] = " ".join(m.group(2).split()[:4])
            continue
        spec = _login(command, Position(path, line + number, column if number == 0 else 1))
        if spec is None:
            continue
        cred = spec.credential
        if cred.password_source is SecretSource.ENV and cred.password_ref in assigned:
            cred = Credential(
                **{
                    **cred.__dict__,
                    "password_source": SecretSource.STEP_OUTPUT,
                    "password_ref": assigned[cred.password_ref],
                }
            )
            spec = PullSpec(**{**spec.__dict__, "credential": cred})
        out.append(spec)
    return out


def _commands(script: str):
    """(line offset, command text) for each command: continuation lines joined (a trailing \\, or
    a line ending in a pipe or && / ||), then split at &&, || and ;."""
    pending, start = "", 0
    for number, raw in enumerate(script.splitlines()):
        if not pending:
            start = number
        stripped = raw.rstrip()
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        if stripped.endswith(("|", "&&")) and not stripped.lstrip().startswith("#"):
            pending += stripped + " "
            continue
        for part in _SEPARATORS.split(pending + raw):
            yield start, part
        pending = ""
    if pending:
        yield start, pending


def _words(text: str) -> list[str] | None:
    try:
        return shlex.split(text, comments=True)
    except ValueError:
        return None


def _login(command: str, where: Position) -> PullSpec | None:
    stages = [s for s in re.split(r"(?<!\|)\|(?!\|)", command)]
    if not stages or not any(client in stages[-1] for client in CLIENTS):
        return None  # no client named: not a login (and no shlex pass over a long command)
    last = _words(stages[-1])
    if not last:
        return None
    while last and ("=" in last[0] and not last[0].startswith("-")):  # VAR=value docker login ...
        last = last[1:]
    if last and last[0] in ("sudo", "exec"):
        last = last[1:]
    if not last or Path(last[0]).name not in CLIENTS:
        return None
    client = Path(last[0]).name
    args = last[1:]
    if client == "helm" and args[:2] == ["registry", "login"]:
        args = args[2:]
    elif client == "crane" and args[:2] == ["auth", "login"]:
        args = args[2:]
    elif args[:1] == ["login"]:
        args = args[1:]
    else:
        return _creds_flag(client, args, where)
    username = password = host = None
    stdin = False
    positional = []
    i = 0
    while i < len(args):
        a = args[i]
        if a in ("-u", "--username") and i + 1 < len(args):
            username, i = args[i + 1], i + 2
            continue
        if a in ("-p", "--password") and i + 1 < len(args):
            password, i = args[i + 1], i + 2
            continue
        if a.startswith("--username="):
            username = a.split("=", 1)[1]
        elif a.startswith("--password="):
            password = a.split("=", 1)[1]
        elif a == "--password-stdin":
            stdin = True
        elif not a.startswith("-"):
            positional.append(a)
        elif a.startswith("<"):
            pass
        i += 1
    redirect = re.search(r"<\s*(\S+)", stages[-1])
    host = positional[0] if positional else None
    context = {"login": client}
    cred = _credential(
        username, password, stdin, stages[:-1], redirect.group(1) if redirect else None, context
    )
    return PullSpec(
        image=None,
        image_text=host or "",
        credential=Credential(**{**cred.__dict__, "position": where}),
        position=where,
        context=context,
        platform=NAME,
    )


def _producer(stages: list[str], redirect: str | None) -> tuple[SecretSource, str | None, str | None]:
    """Where --password-stdin reads from: (source, variable or file or command, what it looks like)."""
    if redirect:
        return SecretSource.FILE, redirect, None
    if not stages:
        return SecretSource.UNRESOLVED, None, None
    words = _words(stages[-1]) or []
    if not words:
        return SecretSource.UNRESOLVED, None, None
    program = Path(words[0]).name
    rest = words[1:]
    if program == "gcloud":
        return SecretSource.STEP_OUTPUT, " ".join(words[:4]), None
    if program == "cat" and rest:
        return SecretSource.FILE, rest[-1], None
    if program == "base64" and rest:
        files = [w for w in rest if not w.startswith("-")]
        return SecretSource.FILE, files[-1] if files else None, "base64"
    if program in ("echo", "printf"):
        text = " ".join(w for w in rest if not w.startswith("-") and w != "%s")
        whole = _WHOLE_VAR.fullmatch(text)
        if whole:
            return SecretSource.ENV, whole.group(1), None
        return SecretSource.LITERAL, None, kind_of_secret(text)
    if program == "curl":
        return SecretSource.STEP_OUTPUT, "curl", None
    return SecretSource.STEP_OUTPUT, program, None


def _credential(
    username: str | None,
    password: str | None,
    stdin: bool,
    before: list[str],
    redirect: str | None,
    context: dict,
) -> Credential:
    variables: dict[str, tuple[str, ...]] = {}
    username_var = None
    if username is not None:
        names = tuple(m.group(1) for m in _VAR.finditer(username))
        whole = _WHOLE_VAR.fullmatch(username)
        username_var = whole.group(1) if whole else None
        if names:
            variables["username"] = names
    if password is not None:
        context["password_in_argv"] = "true"
        whole = _WHOLE_VAR.fullmatch(password)
        names = tuple(m.group(1) for m in _VAR.finditer(password))
        if names:
            variables["password"] = names
        if whole:
            source, ref, kind = SecretSource.ENV, whole.group(1), None
        elif names:
            source, ref, kind = SecretSource.MIXED, None, None
        elif password.startswith("$("):
            source, ref, kind = SecretSource.STEP_OUTPUT, password[2:].split(")")[0].strip(), None
        else:
            source, ref, kind = SecretSource.LITERAL, None, kind_of_secret(password)
    elif stdin:
        source, ref, kind = _producer(before, redirect)
        if kind == "base64":
            context["password_encoding"] = "base64"
            kind = None
        elif source is SecretSource.FILE:
            context["password_encoding"] = "raw"
    else:
        source, ref, kind = SecretSource.UNRESOLVED, None, None
    return Credential(
        kind=CredentialKind.BASIC
        if username is not None or password is not None or stdin
        else CredentialKind.NONE,
        username=None if username_var else username,
        username_var=username_var,
        password_source=source,
        password_ref=ref,
        password_kind=kind,
        variables=variables,
    )


def _creds_flag(client: str, args: list[str], where: Position) -> PullSpec | None:
    """skopeo/podman/buildah `--creds USER:PASSWORD` on a copy, pull or inspect."""
    for i, a in enumerate(args):
        value = None
        if a in ("--creds", "--src-creds", "--dest-creds") and i + 1 < len(args):
            value = args[i + 1]
        elif a.startswith(("--creds=", "--src-creds=", "--dest-creds=")):
            value = a.split("=", 1)[1]
        if value is None:
            continue
        username, _, password = value.partition(":")
        context = {"login": client}
        images = [w for w in args if w.startswith("docker://")]
        host = images[0].removeprefix("docker://").split("/")[0] if images else ""
        cred = _credential(username, password, False, [], None, context)
        context.pop("password_in_argv", None)
        context["creds_flag"] = "true"
        return PullSpec(
            image=None,
            image_text=host,
            credential=Credential(**{**cred.__dict__, "position": where}),
            position=where,
            context=context,
            platform=NAME,
        )
    return None
