# ssm-emulator — every target sets up what it needs, so each works on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test codegen codegen-check bench docker-image clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

## run: serve the SSM API on http://127.0.0.1:4583 (no configuration needed)
run: $(STAMP)
	$(BIN)/ssm-emulator

## test: set up and run every test against a real server
test: $(STAMP)
	$(if $(filter 0,$(shell id -u)),,sudo) scripts/setup-test-machine.sh
	$(BIN)/python -m pytest

## codegen: regenerate api_models/ from the pinned botocore's SSM model
codegen: $(STAMP)
	$(BIN)/python tools/generate_api_models.py

## bench: throughput, latency and listing cost against moto's server and a bare Flask app
## (moto lives only in the benchmark's own environment, bench/.venv)
bench: $(STAMP)
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	test -x bench/.venv/bin/python || $(PYTHON) -m venv bench/.venv
	bench/.venv/bin/pip install --quiet -e '.[test]' 'moto[server]'
	bench/.venv/bin/python bench/run.py $(BENCH_ARGS)

## docker-image: build the emulator's container image
docker-image:
	docker build -t ssm-emulator .

clean:
	rm -rf $(VENV) bench/.venv build *.egg-info
