"""Sign-in hardening: throttling, server-side sessions, security events, second factors."""
