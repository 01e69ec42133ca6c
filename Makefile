# The two quick-start commands: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test fast fuzz lint check-stories clean

# The demo needs only the package; the tests also need the dev tools, the
# diffusers extra (torch is pinned to the CPU build in pyproject.toml), the ray
# extra (a slow test renders on a local Ray instance), the wordnet extra (the
# painter's lexical fallback) and the moviepy extra (storyscore.moviepy is
# tested with a real clip). moviepy goes in without its dependencies, then
# those one by one: moviepy 2.2 caps pillow below 12, and resolving the extra
# would downgrade pillow for every test (pillow 11 warns about calls that
# pillow 13 accepts); moviepy itself runs on pillow 13.
$(VENV)/.installed-base: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,diffusers,ray,wordnet]'
	$(BIN)/python -m pip install --quiet --no-deps 'moviepy>=2,<3'
	$(BIN)/python -m pip install --quiet decorator 'imageio>=2.5,<3' 'proglog<=1.0.0' python-dotenv
	touch $@ $(VENV)/.installed-base

## Render the demo story to out/demo.mp4 (with .srt, .musicxml and .mid beside it).
demo: $(VENV)/.installed-base
	$(BIN)/storyscore check stories/demo.sco
	$(BIN)/storyscore render stories/demo.sco -o out/demo.mp4

## Lint, type-check and run every test, in parallel on every core. Tests go out two
## at a time, longest modules first (tests/conftest.py), so no worker idles at the end.
test: lint
	$(BIN)/python -m pytest -n auto --maxschedchunk 2

## The fast loop: every test that runs no ffmpeg, voice, synthesis or browser, on every
## core (under a minute on 2).
fast: $(VENV)/.installed-test
	$(BIN)/python -m pytest -m "not slow" -n auto

## The property tests with fresh examples (the suite's are the same every run):
## a failure is kept in .hypothesis/ and replayed first next time.
fuzz: $(VENV)/.installed-test
	$(BIN)/python -m pytest -m hypothesis -n auto --hypothesis-profile fuzz

lint: $(VENV)/.installed-test
	$(BIN)/ruff check storyscore tests bench
	$(BIN)/mypy

check-stories: $(VENV)/.installed-base
	for story in stories/*.sco; do $(BIN)/storyscore check $$story > /dev/null || exit 2; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis out
