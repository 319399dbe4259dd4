# Two entry points: `make run` (install, ingest corpus/ if the index is missing or stale, serve the chat)
# and `make test` (install, then the whole test suite). Everything installs into .venv/ from pinned versions.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run test test-fast browser clean

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# torch first, alone: torch==2.13.0 resolves to the CPU build on this disk, never the multi-GB CUDA one
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -r requirements.lock
	$(BIN)/pip install -q --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/lessons serve --ingest

# Browser tests need Debian's chromium (Playwright's own browser download cannot work offline).
browser:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

test: install browser
	$(BIN)/lint-imports
	$(BIN)/pytest

test-fast: install
	$(BIN)/lint-imports
	$(BIN)/pytest -m "not slow and not browser and not server"

clean:
	rm -rf .lessons
