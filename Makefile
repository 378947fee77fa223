# The project's entry points. `make run` and `make test` are the README's two commands.
SHELL := /bin/bash
VENV ?= $(CURDIR)/.venv
export PIPELINES_VENV := $(VENV)
ASL_CONFORMANCE ?= $(abspath $(CURDIR)/../shared/conformance/asl-dev.jsonl)
export ASL_CONFORMANCE
STACK ?= ml-pipelines

.PHONY: run report test venv tools lint fmt check-template build build-check build-arm64 deploy bench clean-venv

## run: the weekly retraining pipeline locally: real Lambda handlers, mocked services, virtual time
run:
	cargo run --quiet --bin pipelines -- run ml-retraining

## report: every test case of every workflow, then a static site in target/pipelines/site/
report:
	cargo run --quiet --bin pipelines -- report --run

## test: set up the Python tools and promtool, then run the whole test suite
test: venv tools
	cargo test --workspace

## venv: the Python tools (moto, cfn-lint, aws-sam-cli, cargo-lambda) in .venv
venv:
	./scripts/setup-venv.sh

## tools: system tools the tests need (promtool, and Chromium for the report-page tests)
tools:
	./scripts/setup-tools.sh

## lint: formatting and clippy, as CI runs them
lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

fmt:
	cargo fmt --all

## check-template: cfn-lint, sam validate --lint and checkov (0 failed, every skip justified) on sam-template.yaml
check-template: venv
	./scripts/lint-template.sh

## build: the deployable artefacts with SAM (cargo-lambda under the hood)
build: venv
	PATH="$(VENV)/bin:$$PATH" sam build --template-file sam-template.yaml

## build-check: sam build on an x86_64 copy of the template (checks the build where arm64 cannot be built)
build-check: venv
	./scripts/sam-build-x86.sh

## build-arm64: release binaries for Graviton (needs `rustup target add aarch64-unknown-linux-gnu`)
build-arm64: venv
	PATH="$(VENV)/bin:$$PATH" cargo lambda build --release --arm64

## deploy: sam deploy with the defaults in samconfig.toml
deploy: build
	PATH="$(VENV)/bin:$$PATH" sam deploy --stack-name $(STACK)

## bench: the metrics benchmark against pandas and polars (see bench/README.md)
bench:
	./bench/evaluate-metrics.sh
