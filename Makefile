# The two quick-start commands: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
EXTRAS ?= dev

.PHONY: install demo test lint check-stories clean

install: $(VENV)/.installed-$(EXTRAS)

$(VENV)/.installed-$(EXTRAS): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[$(EXTRAS)]'
	touch $@

## Render the demo story to out/demo.mp4 (with .srt, .musicxml and .mid beside it).
demo: install
	$(BIN)/storyscore check stories/demo.sco
	$(BIN)/storyscore render stories/demo.sco -o out/demo.mp4

## Lint, type-check and run every test.
test: install lint
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check storyscore tests bench
	$(BIN)/mypy

check-stories: install
	for story in stories/*.sco; do $(BIN)/storyscore check $$story > /dev/null || exit 2; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
