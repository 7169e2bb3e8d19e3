"""Production entry point: ``streamlit run serve.py``.

Runs ``app.py`` inside bo's own server layer (``bo_web.asgi``): exact websocket
origins, security headers, session-only media downloads, no client cache clearing,
and a truthful readiness check at ``/readyz``.
"""

from __future__ import annotations

import streamlit as st
from starlette.middleware import Middleware

from bo_web.asgi import SecurityMiddleware

app = st.App("app.py", middleware=[Middleware(SecurityMiddleware)])
