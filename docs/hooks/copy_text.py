"""MkDocs hook: copying an annotated line leaves no trailing spaces.

An annotation is a comment such as `# (1)!` at the end of a line of an example file; Material
shows a marker in its place and leaves it out of what the copy button copies, but the spaces
before it stay, so the copied line ends in whitespace (YAML linters flag it). This marks those
spaces, and the stylesheet hides them while Material copies (`code[data-md-copying]`), so the
page looks the same and the clipboard gets the line without them.
"""

from __future__ import annotations

import re

# Pygments writes the spaces and the comment as two spans: <span class="w">  </span><span class="c1"># (1)!</span>
_GAP = re.compile(r'<span class="w">([ \t]+)</span>(<span class="c[1m]?">#\s*\(\d+\)!</span>)')
# A code block (its <pre> holds no </div>) and what follows it. Material turns `# (1)!` comments
# into annotations only when a numbered list follows the block; elsewhere they stay as written.
_BLOCK = re.compile(r'(<div class="[^"]*\bhighlight\b[^"]*"[^>]*>.*?</div>)(\s*<ol>)?', re.DOTALL)


def mark(html: str) -> str:
    def block(m: re.Match) -> str:
        if not m[2]:
            return m[0]
        return _GAP.sub(r'<span class="w annotation-gap">\1</span>\2', m[1]) + m[2]

    return _BLOCK.sub(block, html)


def on_page_content(html, page, config, files):
    return mark(html)
