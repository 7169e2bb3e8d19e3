"""Data shown as text, never as markup.

Streamlit renders titles, captions, alerts, button labels and ``st.markdown`` as
GitHub-flavoured markdown: an image in a memo would load from anywhere, a link in
a holder name would become a button, and a bare URL or e-mail address becomes a
live link even when the usual markdown characters are escaped. ``md`` therefore
escapes *every* ASCII punctuation character with a backslash (CommonMark renders
``\\x`` as ``x`` for all of them): no markdown, emoji or colour directive, math,
HTML, or autolink (``http\\:\\/\\/``, ``www\\.``, ``a\\@b``) survives, and the
person reading sees the value exactly as stored. Line breaks become spaces.

Escapes alone do not stop autolinks: Streamlit's renderer finds ``http://``,
``www.`` and ``name@domain`` in the *text* after the escapes are resolved (the
review found exactly this). So an invisible WORD JOINER (U+2060) also follows every
``:`` and ``@`` and sits inside ``www.``: nothing looks different, but no URL,
e-mail address, emoji shortcode or ``:color[...]`` directive is recognised.
"""

from __future__ import annotations

import re

_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
_LINE_BREAKS = re.compile(r"[\r\n\t\u2028\u2029]+")
_WWW = re.compile(r"(www)(\.)", re.IGNORECASE)
WORD_JOINER = "\u2060"


def md(value: object) -> str:
    """``value`` as inert markdown text (for titles, captions, labels, alerts, markdown)."""
    text = _LINE_BREAKS.sub(" ", "" if value is None else str(value))
    text = _WWW.sub(rf"\1{WORD_JOINER}\2", text)
    text = _PUNCTUATION.sub(r"\\\1", text)
    return text.replace(":", ":" + WORD_JOINER).replace("@", "@" + WORD_JOINER)
