"""Demo data, in one place: chain rules and word lists, the generator, the first-start bootstrap.

- ``catalog``: merchants, customers, instruments and amounts drawn from;
- ``chains``: realistic payment chains (parents before children);
- ``generate``: ``generate_demo`` / ``write_demo`` and the demo users;
- ``bootstrap``: ``ensure_demo``, the first start of demo mode.

The rows are written by the bulk loader of the persistence layer
(``bo_core.db.bulk``).
"""

from bo_core.demo.bootstrap import ensure_demo
from bo_core.demo.generate import (
    DEMO_USERS,
    DemoReport,
    check_request,
    create_demo_users,
    demo_rows,
    generate_demo,
    write_demo,
)

__all__ = [
    "DEMO_USERS",
    "DemoReport",
    "check_request",
    "create_demo_users",
    "demo_rows",
    "ensure_demo",
    "generate_demo",
    "write_demo",
]
