# Two commands for a newcomer: `make run` and `make test`. Everything else is a helper.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
PORT ?= 8000
RESIDENTS ?= 2000

.PHONY: run test install lint typecheck check pytest demo bench clean messages

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip==25.3"
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

install: $(BIN)/.installed

run: install
	$(PY) manage.py migrate --noinput
	$(BIN)/xinshimin demo --residents $(RESIDENTS) --if-empty
	$(BIN)/xinshimin demo-logins
	$(BIN)/xinshimin demo-otp
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

check: install
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

pytest: install
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck check pytest

messages: install
	cd xinshimin && ../$(PY) ../manage.py makemessages -l zh_Hans -l en --no-obsolete && ../$(PY) ../manage.py compilemessages

bench: install
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) var/xinshimin.sqlite3*
