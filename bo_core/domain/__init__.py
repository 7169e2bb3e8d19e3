"""Pure domain model of the back office: no database, no user interface."""
