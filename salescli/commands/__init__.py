"""One module per noun; each defines ``app``, attached by ``salescli.cli``."""
