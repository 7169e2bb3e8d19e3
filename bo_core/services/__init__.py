"""Use cases, one function each, shared by the dashboard and the `bo` CLI."""
