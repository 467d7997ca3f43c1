"""The platform comparison's data (src/garauth/data/platforms.toml) and its rendering
(docs/hooks/platforms_table.py): every row a platform of issue 10, every established fact linked
to its source, every fact not yet established shown as such with who completes it."""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from garauth import data

ROOT = Path(__file__).resolve().parents[1]
PLATFORMS = data.platforms()
FACTS = ("job_image", "credential", "usernames")


def _hook():
    spec = importlib.util.spec_from_file_location("platforms_table", ROOT / "docs/hooks/platforms_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_rows_are_the_platforms_of_the_guide():
    ids = [p.id for p in PLATFORMS]
    assert ids == ["circleci", "github_actions", "gitlab_ci", "bitbucket_pipelines", "kubernetes", "clients"]
    for platform_id in ids[:-1]:  # each CI system's or runtime's row is named as its reader is
        assert importlib.import_module(f"garauth.readers.{platform_id}").NAME == platform_id


@pytest.mark.parametrize("platform", PLATFORMS, ids=lambda p: p.id)
def test_every_fact_is_linked_or_marked_as_not_established(platform):
    for name in FACTS:
        fact = getattr(platform, name)
        assert bool(fact.text) == bool(fact.source), f"{platform.id}.{name}: text and source go together"
        if fact.source:
            parts = urlsplit(fact.source)
            assert parts.scheme == "https" and parts.netloc, f"{platform.id}.{name}: {fact.source}"
    assert platform.job_image.answer in ("yes", "no", "step", "")
    assert bool(platform.job_image.answer) == platform.job_image.known
    if not platform.filled_by:  # complete rows have every fact, their docs and a page in the guide
        assert all(getattr(platform, name).known for name in FACTS), platform.id
        assert platform.docs and platform.guide
        assert (ROOT / "docs" / platform.guide).is_file()
        assert platform.usernames.names


def test_usernames_in_the_table_are_ones_artifact_registry_accepts():
    for platform in PLATFORMS:
        for name in platform.usernames.names:
            assert data.username(name) is not None, (platform.id, name)


def test_the_table_has_a_row_per_platform_and_names_who_fills_each_gap():
    table = _hook().platforms_table()
    lines = table.splitlines()
    assert len(lines) == 2 + len(PLATFORMS)
    for platform, line in zip(PLATFORMS, lines[2:], strict=True):
        assert line.startswith(f"| **{platform.name}** |")
        gaps = sum(not getattr(platform, name).known for name in FACTS)
        if gaps:
            assert line.count(f"*To be filled by {platform.filled_by}.*") >= gaps
        else:
            assert "To be filled" not in line


def test_the_hook_replaces_only_its_marker():
    hook = _hook()
    page = "before\n\n<!-- garauth:platforms-table -->\n\nafter\n"
    out = hook.on_page_markdown(page, None, None, None)
    assert out.startswith("before\n\n| Platform |") and out.endswith("\n\nafter\n")
    assert hook.on_page_markdown("no marker\n", None, None, None) == "no marker\n"
