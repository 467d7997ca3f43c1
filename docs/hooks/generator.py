"""MkDocs hook: the snippet generator's data, exported at build time from the project's sources.

The generator page (docs/how-to/snippet-generator.md, docs/javascripts/generator.js) fills the
reader's values into templates and checks them as `garauth check` would. Nothing it uses is
written twice:

- Templates are derived here from the example files the guide shows and the tests run: the
  example's own values (location, project, repository, image, tag, account, pool...) are
  replaced by placeholders. The build fails if an example value is left over, or if filling a
  template with the example's values does not give back the example exactly as the guide
  shows it (markers and annotation comments out, no trailing spaces).
- Locations come from src/garauth/data/locations.toml.
- Rule IDs, names, messages and fixes come from garauth.rules; the patterns the page checks
  values against come from garauth.refs, the parser `garauth check` uses.

Everything goes to generator.json beside the page, which the page loads once.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from garauth import data, refs
from garauth.rules import rules

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
PAGE = "how-to/snippet-generator.md"
OUTPUT = "how-to/snippet-generator/generator.json"

# The values every example in the generator uses, and the form field each one comes from.
EXAMPLE_VALUES = {
    "location": "us-central1",
    "project": "demo-project",
    "repository": "demo-repo",
    "image": "hello",
    "ref": ":1.0",
    "account": "reader",
    "project_number": "123456789012",
    "pool": "circleci",
    "provider": "circleci",
}

# platform -> (label, {credential: example file})
PLATFORMS = {
    "circleci-image": (
        "CircleCI: the job's own image (auth: or gcp_auth:)",
        {
            "raw": "circleci/json-key-raw.yml",
            "base64": "circleci/json-key-base64.yml",
            "keyless": "circleci/gcp-auth-explicit.yml",
        },
    ),
    "circleci-login": (
        "CircleCI: docker login in a step (machine executor)",
        {"raw": "circleci/docker-login-machine.yml"},
    ),
}

# Rules whose checks the page runs on the form's values (see generator.js).
PAGE_RULES = ("GA201", "GA204", "GA205", "GA301", "GA302")

_MARKER = re.compile(r"^\s*#\s*--8<--\s*\[(?:start|end):[a-z][-_0-9a-z]*\]\s*$")
_ANNOTATION = re.compile(r"\s*#\s*\(\d+\)!\s*$")


def shown(path: str) -> str:
    """An example file as the guide shows it whole: section markers and annotation comments
    out, no trailing whitespace."""
    lines = (EXAMPLES / path).read_text(encoding="utf-8").splitlines()
    return "\n".join(_ANNOTATION.sub("", s).rstrip() for s in lines if not _MARKER.match(s)) + "\n"


def _substitutions(v: dict[str, str]) -> list[tuple[str, str]]:
    """Example text -> template text, most specific first."""
    host = f"{v['location']}-docker.pkg.dev"
    return [
        (f"{host}/{v['project']}/{v['repository']}/{v['image']}{v['ref']}", "{{reference}}"),
        (f"https://{host}", "https://{{host}}"),
        (
            f"{v['account']}@{v['project']}.iam.gserviceaccount.com",
            "{{account}}@{{project}}.iam.gserviceaccount.com",
        ),
        (
            f"projects/{v['project_number']}/locations/global/workloadIdentityPools/{v['pool']}",
            "projects/{{project_number}}/locations/global/workloadIdentityPools/{{pool}}",
        ),
        (f"workload_identity_provider: {v['provider']}", "workload_identity_provider: {{provider}}"),
    ]


def template(path: str) -> str:
    text = shown(path)
    for example, placeholder in _substitutions(EXAMPLE_VALUES):
        text = text.replace(example, placeholder)
    left = [
        value
        for key, value in EXAMPLE_VALUES.items()
        if key not in ("ref", "pool", "provider", "account", "image") and value in text
    ]
    if left:
        raise ValueError(f"generator: {path} still holds example values {left} after templating")
    return text


def fill(text: str, values: dict[str, str]) -> str:
    """What generator.js does with a template (kept here to check the templates at build time)."""
    host = f"{values['location']}-docker.pkg.dev"
    path = "/".join(p for p in (values["project"], values["repository"], values["image"]) if p)
    filled = {**values, "host": host, "reference": f"{host}/{path}{values['ref']}"}
    return re.sub(r"\{\{(\w+)\}\}", lambda m: filled[m[1]], text)


def build() -> dict:
    platforms = {}
    for key, (label, credentials) in PLATFORMS.items():
        templates = {}
        for credential, path in credentials.items():
            text = template(path)
            if fill(text, EXAMPLE_VALUES) != shown(path):
                raise ValueError(f"generator: the template from {path} does not give the example back")
            templates[credential] = {"example": path, "template": text}
        platforms[key] = {"label": label, "credentials": templates}
    all_rules = rules()
    return {
        "example_values": EXAMPLE_VALUES,
        "platforms": platforms,
        "locations": [{"name": loc.name, "group": loc.group, "host": loc.host} for loc in data.locations()],
        "patterns": {
            "component": refs._COMPONENT.pattern,
            "tag": refs._TAG.pattern,
            "project_id": refs._PROJECT_ID.pattern,
            "digest_hex": refs._DIGEST_HEX,
        },
        "rules": {
            rid: {
                "name": all_rules[rid].name,
                "summary": all_rules[rid].summary,
                "fix": all_rules[rid].fix,
                "page": all_rules[rid].page,
            }
            for rid in PAGE_RULES
        },
    }


def on_post_build(config):
    out = Path(config["site_dir"]) / OUTPUT
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(build(), indent=1, sort_keys=True), encoding="utf-8")
