# Two commands matter: `make run` and `make test`. Everything else is what they call.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
MO := $(patsubst %.po,%.mo,$(wildcard plugin/locale/*/LC_MESSAGES/messages.po))

.PHONY: run test bench lint typecheck unit install system-deps browser-deps postgres messages clean

run: install
	$(BIN)/facilitate db upgrade
	$(BIN)/facilitate serve

test: install system-deps browser-deps postgres lint typecheck
	$(BIN)/pytest -q -p no:cacheprovider -n 2

bench: install system-deps
	@command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null)
	$(BIN)/pytest -q -s -p no:cacheprovider tests/bench

install: $(STAMP) $(MO)

# Compiled translations (git-ignored), rebuilt when a .po changes.
%.mo: %.po | $(STAMP)
	$(BIN)/pybabel compile -i $< -o $@ >/dev/null

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $@

# lint-imports checks the layers (pyproject's [tool.importlinter]); no cache left in the tree.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

typecheck: install
	$(BIN)/mypy

# Debian's Chromium for the browser tests (Playwright drives it; no browser download) and
# Debian's Prosody for the Jitsi connector tests (each test starts its own on free ports).
system-deps:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v prosody >/dev/null || missing="$$missing prosody"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing (needs root)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

# axe-core from the npm registry, into the git-ignored node_modules/.
browser-deps: system-deps node_modules/axe-core/axe.min.js

node_modules/axe-core/axe.min.js: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $@

# The PostgreSQL tests need the local server; start it if the machine has it stopped.
postgres:
	@pg_isready -q -h 127.0.0.1 -p 5432 || \
	  (command -v pg_ctlcluster >/dev/null && pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start) || \
	  (echo "PostgreSQL is not running on 127.0.0.1:5432 and could not be started" && exit 1)

# Refresh the translation template after changing user-facing text.
messages: install
	$(BIN)/pybabel extract -F babel.cfg -k N_ --no-location --sort-output -o plugin/locale/messages.pot .

clean:
	rm -rf $(VENV) node_modules .mypy_cache .ruff_cache data facilitation.db*
