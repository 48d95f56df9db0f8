# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
HOST   ?= 127.0.0.1
PORT   ?= 8000
VENV   := .venv
BIN    := $(VENV)/bin
# Material's notice about MkDocs 2 is not a problem of this project's docs.
MKDOCS := NO_MKDOCS_2_WARNING=1 $(BIN)/python -m mkdocs
STAMP  := $(VENV)/.installed
# The tested versions of what the dev extra installs; `make clean test CONSTRAINTS=` takes the newest.
CONSTRAINTS ?= constraints-dev.txt

.PHONY: demo test typecheck docs bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml $(CONSTRAINTS) | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]' $(if $(CONSTRAINTS),-c $(CONSTRAINTS))
	touch $@

# `make demo PORT=8080` (and HOST=...) to serve elsewhere.
demo: $(STAMP)
	@echo
	@echo "botguard demo on http://$(HOST):$(PORT) (built-in default rules). Try:"
	@echo "  curl -i -A 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36' http://$(HOST):$(PORT)/"
	@echo "  curl -i -A 'Googlebot/2.1 (+http://www.google.com/bot.html)' http://$(HOST):$(PORT)/"
	@echo "  curl -i http://$(HOST):$(PORT)/api/status    # scripted clients: refused on /, admitted under /api"
	@echo
	$(BIN)/python -m uvicorn examples.starlette_app:app --host $(HOST) --port $(PORT)

# The type check and the docs build first (a broken link fails), so that pytest's summary is the last line.
test: $(STAMP)
	$(BIN)/python -m mypy
	$(MKDOCS) build --strict
	$(BIN)/python -m pytest -q

typecheck: $(STAMP)
	$(BIN)/python -m mypy

# The docs site (MkDocs, Material, mkdocstrings) into site/; --strict: a warning or broken link fails.
docs: $(STAMP)
	$(MKDOCS) build --strict

clean:
	rm -rf $(VENV) build site *.egg-info .pytest_cache .mypy_cache

# The short benchmarks; the long runs (load.sh, soak.sh, reload_under_load.sh, leak.py) are in the docs.
bench: $(STAMP)
	$(BIN)/python benchmarks/accuracy.py
	$(BIN)/python benchmarks/speed.py
	$(BIN)/python benchmarks/overhead.py
