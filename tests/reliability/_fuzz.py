"""Hostile input generators shared by the fuzzing tests."""

from __future__ import annotations

from hypothesis import strategies as st

NASTY = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",
    "\u202eevil",
    "\u200b",
    "\r\n",
    "\x1b[31mred",
    "'; DROP TABLE transactions; --",
    "' OR '1'='1",
    "1; DELETE FROM audit_log",
    '"><script>alert(1)</script>',
    "<img src=x onerror=alert(1)>",
    "{{7*7}}",
    "%s%s%n",
    "../../etc/passwd",
    "\\",
    "NULL",
    "😀" * 200,
    "é" * 128,
    "x" * 10_000,
    "Z̸̡̢͖a̶l̷g̵o̴" * 50,
]
MALFORMED_AMOUNTS = [
    "NaN",
    "nan",
    "inf",
    "-Infinity",
    "-1",
    "-0.01",
    "0",
    "0.00",
    "1e5",
    "1E-2",
    "1,000.00",
    "12,50",
    "0.001",
    "1.2.3",
    "5.",
    ".5",
    "0x10",
    "1_000",
    "5 EUR",
    "€5",
    "+5",
    "１２",
    "١٢",
    "99999999999999999999",
    "9" * 40,
    "9" * 5000,
    "1" + "0" * 13,
    "10000000000000.00",
    "  7.50  ",
    "00000000000000000000000000000000001",
]
WRONG_CURRENCIES = ["USD", "usd", "eur", "XXX", "EURO", "€", "JPY", "BHD", "", " ", "E U R", "123"]

hostile_text = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=200),
    st.text(st.characters(categories=["Cc", "Cf", "Zl", "Zp", "Co"]), min_size=1, max_size=20),
    st.builds(lambda ch, n: ch * n, st.characters(), st.integers(100, 10_000)),
    st.text(st.characters(codec="ascii"), max_size=300),
)
amounts = st.one_of(
    st.sampled_from(MALFORMED_AMOUNTS),
    hostile_text,
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats().map(repr),
    st.decimals(min_value=0, max_value=10**6, places=3).map(str),
)
uuids = st.one_of(
    hostile_text,
    st.uuids().map(lambda u: u.hex),
    st.uuids().map(str),
    st.text("0123456789abcdefABCDEF-", min_size=30, max_size=40),
)


def cli_safe(value: str) -> bool:
    """An argv element must be encodable and NUL-free."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in value
