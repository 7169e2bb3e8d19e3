"""Persistence: typed SQLAlchemy models, engine, unit of work, migrations."""
