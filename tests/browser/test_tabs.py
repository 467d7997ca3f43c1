"""Linked tabs: choosing a tab (raw or base64 key, say) switches every tab set on the page that
has a tab with the same label, as Material's content.tabs.link promises."""

from __future__ import annotations

import pytest
from served import pages, url_of

SETS = "article .tabbed-set"


def selected(page) -> list[tuple[list[str], str]]:
    """For each tab set: its labels, and the label of the tab that is shown."""
    return page.locator(SETS).evaluate_all(
        """sets => sets.map(s => {
            const labels = [...s.querySelectorAll(':scope > .tabbed-labels > label')];
            const inputs = [...s.querySelectorAll(':scope > input')];
            const on = inputs.findIndex(i => i.checked);
            return [labels.map(l => l.innerText.trim()), labels[on] ? labels[on].innerText.trim() : ''];
        })"""
    )


def linked_pages():
    """Pages with two or more tab sets that share a label."""
    out = []
    for md in pages():
        text = md.read_text(encoding="utf-8")
        labels = [line.strip()[4:].strip() for line in text.splitlines() if line.strip().startswith('=== "')]
        if len(labels) != len(set(labels)):
            out.append(md)
    return out


def test_some_page_has_linked_tabs():
    assert any(md.name == "circleci-json-key.md" for md in linked_pages())


@pytest.mark.parametrize("md", linked_pages(), ids=lambda p: url_of(p))
def test_choosing_a_tab_switches_every_set_with_that_label(visit, md):
    page = visit(url_of(md))
    sets = selected(page)
    shared = [label for labels, _ in sets for label in labels if sum(label in ls for ls, _ in sets) > 1]
    assert shared, "no label is shared between tab sets"
    for label in dict.fromkeys(shared):
        page.locator(f"{SETS} > .tabbed-labels > label").filter(has_text=label).first.click()
        after = selected(page)
        wrong = [labels for labels, shown in after if label in labels and shown != label]
        assert wrong == [], f"after choosing {label!r}, these sets still show another tab: {wrong}"
