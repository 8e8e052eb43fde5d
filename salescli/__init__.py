"""salescli: a command-line sales tracker for small businesses."""

__version__ = "0.1.0"
