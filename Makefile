# Two commands do all the set-up: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
# Test processes (pytest-xdist): each has its own SQLite files and embedded PostgreSQL.
# worksteal: each takes one half of the tests in order (pytest orders them by database, so
# mostly one database each, and a module's shared servers start once), and one that runs out
# takes half of what the other has left.
PYTEST_WORKERS ?= 2
FLASK  := FLASK_APP=wsgi.py $(BIN)/flask

.PHONY: run test lint format bench clean messages translations

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11+ is needed")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $(VENV)/.installed $@

# Links in emails and feeds are built from BASE_URL, never from the request's Host header.
# Another port (5000 is often taken): make run PORT=5001. On every address (HOST=0.0.0.0) the
# links say 127.0.0.1; to be reached from other machines, name this one: BASE_URL=http://host:5000
run: export BASE_URL ?= http://$(if $(filter 0.0.0.0 ::,$(HOST)),127.0.0.1,$(HOST)):$(PORT)
run: $(VENV)/.installed translations
	@$(BIN)/python -c 'import socket as s; f, t, p, _, a = s.getaddrinfo("$(HOST)", $(PORT), type=s.SOCK_STREAM)[0]; c = s.socket(f, t, p); c.setsockopt(s.SOL_SOCKET, s.SO_REUSEADDR, 1); c.bind(a)' 2>/dev/null \
	  || { echo "Cannot serve on $(HOST):$(PORT) (taken?). Choose another port: make run PORT=5001"; exit 1; }
	$(FLASK) db upgrade
	$(FLASK) demo load
	@echo "Serving on $(BASE_URL) (emails are printed here by the outbox worker)"
	$(FLASK) outbox send --every 10 & trap 'kill $$! 2>/dev/null' EXIT INT TERM; \
	  $(FLASK) run --host $(HOST) --port $(PORT)

test: $(VENV)/.dev-installed translations
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist worksteal --durations=15 $(PYTEST_ARGS)

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev-installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Each bench/*.py that runs as a script (bench/baselines.py is only served by bench/http.py).
bench: $(VENV)/.dev-installed
	@for script in bench/*.py; do grep -q '^if __name__ == "__main__":' "$$script" 2>/dev/null || continue; echo "== $$script"; PYTHONPATH=. $(BIN)/python "$$script" || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

# Extract user-facing strings into translations/messages.pot (catalogues live in translations/).
# A new string: `make messages`, then `pybabel update -i translations/messages.pot -d translations
# --no-fuzzy-matching` and translate it in translations/es/LC_MESSAGES/messages.po.
messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -o translations/messages.pot .

# The compiled catalogues (.mo, not kept in git) from the .po files, rebuilt when a .po is newer.
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard translations/*/LC_MESSAGES/messages.po))
translations: $(CATALOGUES)
translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po | $(VENV)/.installed
	$(BIN)/pybabel compile -l $* -i $< -o $@
