"""salescli: a command-line sales tracker for small businesses."""

__version__ = "0.1.0"


def main() -> None:
    """The console script. Loading the command line takes a moment: Ctrl-C then is an
    interruption like any other (status 130), not a traceback."""
    try:
        from salescli.cli import main as run

        run()
    except KeyboardInterrupt:
        raise SystemExit(130) from None
