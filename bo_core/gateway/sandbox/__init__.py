"""A local gateway of the Open Payment Platform family, for tests and demos.

``state`` holds transactions and applies the platform's rules; ``server``
serves the HTTP API, the admin endpoints (``/__sandbox/...``), the faults and
the webhooks. Start it with ``bo gateway sandbox``.
"""
