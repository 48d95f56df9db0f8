# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test typecheck bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

demo: $(STAMP)
	@echo
	@echo "botguard demo on http://127.0.0.1:8000 (built-in default rules). Try:"
	@echo "  curl -i -A 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36' http://127.0.0.1:8000/"
	@echo "  curl -i -A 'Googlebot/2.1 (+http://www.google.com/bot.html)' http://127.0.0.1:8000/"
	@echo "  curl -i http://127.0.0.1:8000/api/status    # scripted clients: refused on /, admitted under /api"
	@echo
	$(BIN)/python -m uvicorn examples.starlette_app:app --host 127.0.0.1 --port 8000

# The type check first, so that pytest's summary is the last line.
test: $(STAMP)
	$(BIN)/python -m mypy
	$(BIN)/python -m pytest -q

typecheck: $(STAMP)
	$(BIN)/python -m mypy

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache

# The short benchmarks; the long runs (load.sh, soak.sh, reload_under_load.sh, leak.py) are in the README.
bench: $(STAMP)
	$(BIN)/python benchmarks/accuracy.py
	$(BIN)/python benchmarks/speed.py
	$(BIN)/python benchmarks/overhead.py
