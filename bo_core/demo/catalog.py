"""Merchants, customers, instruments and amounts the demo data is drawn from."""

from __future__ import annotations

import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from functools import cache
from itertools import accumulate
from random import Random
from typing import Generic, TypeVar

T = TypeVar("T")


class Weighted(Generic[T]):
    """Items with weights, drawn with one ``random()`` call each."""

    def __init__(self, pairs: tuple[tuple[T, int], ...]) -> None:
        self.items = tuple(item for item, _ in pairs)
        self.cumulative = tuple(accumulate(weight for _, weight in pairs))
        self.total = self.cumulative[-1]

    def draw(self, rng: Random) -> T:
        return self.items[bisect_right(self.cumulative, rng.random() * self.total)]


@dataclass(frozen=True, eq=False)
class Merchant:
    name: str
    country: str
    descriptor: str
    prefix: str
    channels: tuple[str, ...]
    currencies: Weighted[str]
    recurring: bool = False


def _merchant(
    name: str,
    country: str,
    channels: tuple[str, ...],
    currencies: tuple[tuple[str, int], ...],
    recurring: bool = False,
) -> Merchant:
    descriptor = name.replace("-", " ").upper()
    prefix = "".join(part[0] for part in name.split("-")).upper()
    return Merchant(name, country, descriptor, prefix, channels, Weighted(currencies), recurring)


MERCHANTS: Weighted[Merchant] = Weighted(
    (
        (_merchant("nordwind-apparel", "DE", ("web", "mobile-app"), (("EUR", 1),)), 24),
        (
            _merchant(
                "lumen-streaming", "NL", ("subscriptions", "web"), (("EUR", 6), ("USD", 2), ("GBP", 2)), True
            ),
            16,
        ),
        (_merchant("vela-bikes", "IT", ("web", "pos"), (("EUR", 1),)), 12),
        (_merchant("alpenblick-travel", "CH", ("web", "call-center"), (("CHF", 3), ("EUR", 1))), 10),
        (_merchant("thames-tea-company", "GB", ("web",), (("GBP", 1),)), 9),
        (_merchant("harbor-electronics", "US", ("web", "marketplace"), (("USD", 1),)), 11),
        (_merchant("sakura-stationery", "JP", ("web",), (("JPY", 1),)), 8),
        (_merchant("pearl-gulf-market", "BH", ("web", "mobile-app"), (("BHD", 1),)), 7),
        (_merchant("kestrel-fitness", "AT", ("subscriptions",), (("EUR", 1),), True), 6),
    )
)

# Median and bounds of a purchase, in major units.
AMOUNT_SHAPE: dict[str, tuple[float, float, float]] = {
    "EUR": (45.0, 1.0, 4_000.0),
    "USD": (55.0, 1.0, 5_000.0),
    "GBP": (40.0, 1.0, 3_500.0),
    "CHF": (60.0, 1.0, 5_000.0),
    "JPY": (5_500.0, 100.0, 600_000.0),
    "BHD": (18.0, 0.5, 1_800.0),
}
EXPONENT = {"EUR": 2, "USD": 2, "GBP": 2, "CHF": 2, "JPY": 0, "BHD": 3}

FIRST_NAMES: dict[str, tuple[str, ...]] = {
    "DE": ("Lukas", "Anna", "Jürgen", "Sophie", "Maximilian", "Lea", "Felix", "Marie", "Jonas", "Hannah"),
    "AT": ("Florian", "Katharina", "Tobias", "Magdalena", "Elias", "Theresa"),
    "NL": ("Daan", "Sanne", "Lotte", "Bram", "Femke", "Ruben", "Noor", "Sem"),
    "IT": ("Giulia", "Marco", "Chiara", "Luca", "Francesca", "Matteo", "Sofia", "Niccolò"),
    "CH": ("Luca", "Nina", "Noah", "Mia", "Reto", "Seraina", "Urs", "Léa"),
    "GB": ("Oliver", "Amelia", "Harry", "Isla", "George", "Emily", "Jack", "Charlotte"),
    "US": ("James", "Olivia", "Michael", "Emma", "Ethan", "Ava", "Daniel", "Madison"),
    "JP": ("Haruto", "Yui", "Sota", "Hina", "Ren", "Aoi", "Yuki", "Takumi"),
    "BH": ("Ahmed", "Fatima", "Yusuf", "Maryam", "Ali", "Noor", "Hassan", "Layla"),
    "FR": ("Camille", "Louis", "Chloé", "Hugo", "Manon", "Théo"),
    "ES": ("Lucía", "Javier", "Carmen", "Alejandro", "Martina", "Pablo"),
}
LAST_NAMES: dict[str, tuple[str, ...]] = {
    "DE": ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Becker", "Hoffmann", "Wagner"),
    "AT": ("Gruber", "Huber", "Bauer", "Pichler", "Steiner", "Moser"),
    "NL": ("de Jong", "Jansen", "de Vries", "van den Berg", "Bakker", "Visser"),
    "IT": ("Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo"),
    "CH": ("Meier", "Keller", "Brunner", "Baumann", "Zürcher", "Favre"),
    "GB": ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans", "O'Neill"),
    "US": ("Johnson", "Miller", "Davis", "Garcia", "Rodriguez", "Martinez", "Anderson", "Lee"),
    "JP": ("Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto", "Nakamura"),
    "BH": ("Al-Khalifa", "Al-Sayed", "Haddad", "Al-Mahmood", "Nasser", "Al-Ansari"),
    "FR": ("Martin", "Bernard", "Dubois", "Lefèvre", "Moreau", "Laurent"),
    "ES": ("García", "Fernández", "López", "Martínez", "Sánchez", "Pérez"),
}
MAIL_DOMAINS: dict[str, tuple[str, ...]] = {
    "DE": ("web.de", "gmx.de", "t-online.de", "gmail.com"),
    "AT": ("gmx.at", "aon.at", "gmail.com"),
    "NL": ("ziggo.nl", "kpnmail.nl", "gmail.com"),
    "IT": ("libero.it", "virgilio.it", "gmail.com"),
    "CH": ("bluewin.ch", "gmx.ch", "proton.me"),
    "GB": ("btinternet.com", "yahoo.co.uk", "outlook.com"),
    "US": ("gmail.com", "yahoo.com", "outlook.com", "icloud.com"),
    "JP": ("yahoo.co.jp", "docomo.ne.jp", "gmail.com"),
    "BH": ("batelco.com.bh", "gmail.com", "outlook.com"),
    "FR": ("orange.fr", "free.fr", "gmail.com"),
    "ES": ("telefonica.net", "gmail.com", "hotmail.es"),
}
FOREIGN_COUNTRIES = tuple(FIRST_NAMES)

# (payment method, brand, weight, bin prefixes); DD and VA carry no BIN.
INSTRUMENTS: tuple[tuple[str, str, int, tuple[str, ...]], ...] = (
    ("CC", "VISA", 30, ("4",)),
    ("CC", "MASTER", 22, ("51", "53", "55", "2221", "2720")),
    ("CC", "AMEX", 6, ("34", "37")),
    ("CC", "DINERS", 3, ("36", "300", "305")),
    ("DC", "VISA DEBIT", 9, ("4",)),
    ("DC", "MAESTRO", 6, ("6759", "5018", "6761")),
    ("DD", "SEPA", 9, ()),
    ("VA", "PAYPAL", 10, ()),
    ("VA", "KLARNA", 5, ()),
)
Instrument = tuple[str, str, int, tuple[str, ...]]
INSTRUMENTS_SEPA: Weighted[Instrument] = Weighted(tuple((i, i[2]) for i in INSTRUMENTS))
INSTRUMENTS_CARDS: Weighted[Instrument] = Weighted(tuple((i, i[2]) for i in INSTRUMENTS if i[0] != "DD"))
SEPA_CURRENCIES = frozenset({"EUR"})

SUCCESS_CODES: Weighted[str] = Weighted((("000.000.000", 90), ("000.100.110", 6), ("000.000.100", 4)))
PENDING_CODES: Weighted[str] = Weighted(
    (("000.200.000", 4), ("000.200.100", 3), ("800.400.500", 2), ("100.400.500", 1))
)
REJECTED_CODES: Weighted[str] = Weighted(
    (
        ("800.100.151", 3),
        ("800.100.152", 5),
        ("800.100.155", 3),
        ("800.100.171", 1),
        ("800.100.402", 1),
        ("100.100.101", 2),
        ("100.396.103", 1),
        ("200.300.404", 1),
    )
)
CHARGEBACK_REASONS = (
    "Reason 10.4: card-absent fraud",
    "Reason 13.1: merchandise not received",
    "Reason 13.3: not as described",
    "Reason 4837: no cardholder authorization",
    "Reason 4853: cardholder dispute",
)


@cache
def ascii_fold(text: str) -> str:
    """``Müller`` -> ``muller``, ``O'Neill`` -> ``oneill`` (for e-mail local parts)."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return "".join(c for c in plain.lower() if c.isalnum())


def amount_minor(rng: Random, currency: str) -> int:
    """A purchase amount, log-normally spread around the currency's median."""
    median, low, high = AMOUNT_SHAPE[currency]
    major = min(high, max(low, rng.lognormvariate(0.0, 0.9) * median))
    unit: int = 10 ** EXPONENT[currency]
    minor = round(major * unit)
    if currency == "JPY":
        return max(100, minor // 10 * 10)
    if rng.random() < 0.4:
        cent = max(1, unit // 100)
        return max(unit, minor // unit * unit - cent)  # prices ending in .99
    return minor
