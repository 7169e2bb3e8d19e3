"""bo: the payments back-office engine (rules, persistence, services)."""

__version__ = "0.1.0"
