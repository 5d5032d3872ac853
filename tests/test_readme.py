"""The README's Python snippets run as written, so they cannot drift from the code."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SNIPPETS = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)


def test_readme_has_snippets() -> None:
    assert len(SNIPPETS) >= 2


@pytest.mark.parametrize("index", range(len(SNIPPETS)))
def test_readme_snippet_runs(index: int, tmp_path: Path) -> None:
    code = SNIPPETS[index].replace('"tests/data/', f'"{ROOT}/tests/data/')
    cwd = os.getcwd()
    os.chdir(tmp_path)  # snippets may write files
    try:
        exec(compile(code, f"README snippet {index}", "exec"), {})
    finally:
        os.chdir(cwd)
