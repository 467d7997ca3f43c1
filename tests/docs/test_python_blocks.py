"""Every Python block written inline in docs/ is linted and run, and its printed output checked."""

from __future__ import annotations

import pytest
from docpages import DOCS
from pytest_examples import CodeExample, EvalExample, find_examples


@pytest.mark.parametrize("example", list(find_examples(str(DOCS))), ids=str)
def test_python_block(example: CodeExample, eval_example: EvalExample):
    if example.prefix_settings().get("test") == "skip":
        pytest.skip("marked test=skip in the page")
    eval_example.set_config(line_length=100, target_version="py311")
    if eval_example.update_examples:
        eval_example.format(example)
        eval_example.run_print_update(example)
    else:
        eval_example.lint(example)
        eval_example.run_print_check(example)
