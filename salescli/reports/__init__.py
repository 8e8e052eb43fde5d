"""Report arithmetic (SPEC §6): pure functions, rows in, rows out, testable without a CLI."""
