# Two entry points for a fresh clone (see README): `make demo` and `make test`.
# Both build the virtual environment they need in .venv first.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
DEMO_DB ?= demo.db

.PHONY: demo test bench lint clean chromium postgresql

$(BIN)/salescli: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

demo: $(BIN)/salescli
	$(BIN)/salescli --db $(DEMO_DB) demo --force

# The dashboard tests open the page in Debian's headless Chromium (with a Chinese font).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
chromium:
	@command -v chromium >/dev/null || { echo "Installing Debian's chromium for the dashboard tests" >&2; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-zenhei >/dev/null; }

# The tests start a throwaway PostgreSQL server of their own (bench/pgserver.py): Debian's.
postgresql:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { echo "Installing Debian's postgresql for the tests" >&2; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; }

# The tests' files go to memory (/dev/shm) when there is one: a test writes and commits often,
# and waiting for the disk took longer than the work.
TEST_TMPDIR := $(shell [ -d /dev/shm ] && [ -w /dev/shm ] && echo /dev/shm || echo "$${TMPDIR:-/tmp}")

test: $(BIN)/salescli chromium postgresql
	TMPDIR=$(TEST_TMPDIR) $(BIN)/python -m pytest; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing on purpose" >&2; exit 1; fi; \
	exit $$rc

lint: $(BIN)/salescli
	$(BIN)/pip install --quiet ruff
	$(BIN)/ruff check salescli tests bench

bench: $(BIN)/salescli
	$(BIN)/python bench/run.py $(ARGS)

clean:
	rm -rf $(VENV) $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
