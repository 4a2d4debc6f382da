# coordapp — `make run` for the demo, `make test` for the test suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi

.PHONY: run test install install-dev translations lint worker extract-messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# Requirements and the compiled translations (without them every page is in English).
install: $(VENV)/.installed translations
install-dev: $(VENV)/.installed-dev

translations: $(VENV)/.installed
	$(BIN)/pybabel compile --use-fuzzy -d translations --statistics 2>&1 | tail -n 1

# Every catalogue (en, ru, be) follows the template; new or changed messages then need a
# translation (tests/test_translations.py fails until each has one, not fuzzy).
extract-messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_pgettext:1c,2 --add-comments=TRANSLATORS: \
		--project=coordapp --copyright-holder=coordapp --add-location=file --sort-output \
		-o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --previous --ignore-pot-creation-date

# Migrate the SQLite file under instance/, load the demo once, then serve the app
# with the background worker beside it. Ctrl-C stops both.
run: $(VENV)/.installed translations
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo
	@trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/huey_consumer coordapp.worker.huey --workers 2 --logfile instance/worker.log & worker=$$!; \
	echo "worker started (log: instance/worker.log); serving on http://127.0.0.1:5000"; \
	$(BIN)/flask run --host 127.0.0.1 --port 5000

worker: $(VENV)/.installed
	$(BIN)/huey_consumer coordapp.worker.huey --workers 2

# The whole suite. TEST_DATABASE_URL=postgresql+psycopg://... runs it on PostgreSQL.
test: $(VENV)/.installed-dev translations
	$(BIN)/pytest $(PYTEST_ARGS)

# Format, lint and the architecture contracts (pyproject.toml, [tool.importlinter]).
lint: $(VENV)/.installed-dev
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/lint-imports
