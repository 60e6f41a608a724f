# Two commands matter: `make run` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Interface catalogues: .po in the repo, .mo compiled here (and by the package build, see setup.py), never committed.
PO := $(wildcard bot/locale/*/LC_MESSAGES/awarebot.po)
MO := $(PO:.po=.mo)

.PHONY: run test check chat ask bench clean catalogues messages

$(STAMP): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile --domain awarebot --input-file $< --output-file $@

catalogues: $(MO)

# For translators: collect the marked strings, then merge them into every language's .po (new ones come in empty).
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg --no-default-keywords -k N_ --no-location --sort-output \
		--project awarebot --copyright-holder "awarebot contributors" -o bot/locale/awarebot.pot .
	$(BIN)/pybabel update --domain awarebot -i bot/locale/awarebot.pot -d bot/locale --ignore-obsolete --no-fuzzy-matching --width 120

run: $(STAMP) catalogues
	$(BIN)/awarebot start

# Lint and types first (configured in pyproject.toml), then the suite.
check: $(STAMP) catalogues
	$(BIN)/ruff check bot handlers tests bench
	$(BIN)/mypy

# Two processes (pytest-xdist): the machine has 2 cores, and much of the suite waits on servers and subprocesses.
# Each process starts its own PostgreSQL and Redis (session fixtures), so they share nothing but the model cache.
test: check
	$(BIN)/python -m pytest -n 2 --dist loadfile

# The console conversation and one question, without activating the virtualenv: make ask Q="how do I report"
chat: $(STAMP) catalogues
	$(BIN)/awarebot chat

ask: $(STAMP) catalogues
	@test -n "$(Q)" || { echo 'usage: make ask Q="your question"' >&2; exit 2; }
	$(BIN)/awarebot ask "$(Q)"

bench: $(STAMP) catalogues
	$(BIN)/pip install --quiet -e '.[test,bench]'
	$(BIN)/python -m pytest -m bench_extras tests/test_bench_smoke.py
	$(BIN)/python -m bench
	$(BIN)/python -m bench.workers

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
