"""The connection to an Open Payment Platform gateway (``BO_GATEWAY=opp``).

- ``settings``: the ``BO_GATEWAY*`` settings, parsed and validated;
- ``client``: the HTTP client (back-office operations and the query API);
- ``crypto``: AES-256-GCM of the webhook notifications;
- ``webhook_app``: the notification receiver (ASGI, served by uvicorn);
- ``sandbox``: a local gateway for tests and demos (``bo gateway sandbox``).
"""
