"""Data values become inert markdown text (the browser proof is tests/e2e/test_hostile_values.py)."""

from __future__ import annotations

import pytest

from bo_web.safe import WORD_JOINER, md


@pytest.mark.parametrize(
    "value",
    [
        "![pixel](http://evil.example/p.png)",
        "[Session expired: sign in again](http://evil.example/login)",
        "see http://evil.example/x",
        "www.evil.example",
        "mail me@evil.example",
        "<img src=x onerror=alert(1)>",
        ":red[alarm] :material/warning: $x^2$",
        "**bold** _it_ `code` # heading\n- list",
    ],
)
def test_no_markdown_construct_survives(value: str) -> None:
    out = md(value)
    unescaped = out.replace(WORD_JOINER, "")
    for ch in "![]()<>*_`#:$@":
        assert ch not in unescaped.replace("\\" + ch, "")  # every punctuation mark is escaped
    for trigger in ("://", "www.", "@e", ":r", ":m"):
        assert trigger not in out.replace("\\", "")  # autolink and directive triggers are broken
    assert "\n" not in out


def test_the_text_reads_the_same() -> None:
    value = "Refund 12.50 for order #42 (see www.shop.example)"
    assert md(value).replace("\\", "").replace(WORD_JOINER, "") == value
