# Quick start: `make demo` builds the example study; `make test` runs the test suite.
# Both set up a virtual environment in .venv first (Python 3.11+ and pip are all they need).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EXAMPLE := examples/tafa-len
OUT := $(EXAMPLE)/output

.PHONY: demo test install clean registry

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/reportgen build $(EXAMPLE) --out $(OUT)
	@echo "Open $(OUT)/manuscript.pdf and $(OUT)/supplement.pdf (or their .docx)"

test: $(STAMP)
	$(BIN)/python -m pytest reportgen tests README.md

# Regenerate the synthetic registry (committed; only needed when the generator changes).
registry: $(STAMP)
	$(BIN)/python examples/synthetic-registry/generate.py --out examples/synthetic-registry/data --patients 1500 --seed 20240820
	$(BIN)/reportgen lock examples/synthetic-registry/data --name synthetic-registry-2024-08-20

clean:
	rm -rf $(VENV) $(OUT)
