# Casework: `make run` (demo on SQLite) and `make test` are all a new machine needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
export FLASK_APP := casework:create_app
export CASEWORK_ENV ?= development

.PHONY: run test install install-test catalogues migrate demo totp lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@

install: $(VENV)/.installed catalogues
install-test: $(VENV)/.installed-test catalogues

catalogues: $(VENV)/.installed
	$(BIN)/python -c "from casework.i18n import compile_catalogues; compile_catalogues()"

instance:
	mkdir -p instance && chmod 700 instance

migrate: install instance
	$(BIN)/flask keys init-dev
	$(BIN)/flask db upgrade

demo: migrate
	$(BIN)/flask demo load

run: demo
	@echo "Casework on http://127.0.0.1:$(PORT)  (Ctrl+C to stop)"
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

totp: install
	@$(BIN)/flask demo totp

test: install-test
	$(BIN)/pytest -n auto

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/mypy

BENCH_PG     ?= postgresql+psycopg://postgres@127.0.0.1:5432/casework_bench
BENCH_SQLITE ?= sqlite:///$(CURDIR)/instance/bench/bench.sqlite3
BENCH_BASE   ?= 0794ec3

# Every issue-14 figure, before (BENCH_BASE) and after, on fresh PostgreSQL and SQLite databases.
bench: install-test
	$(BIN)/python bench/run_all.py --generate --pg-url $(BENCH_PG) --sqlite-url $(BENCH_SQLITE) \
		--instance instance/bench --baseline $(BENCH_BASE)

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .mypy_cache
