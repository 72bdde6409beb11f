# The two commands of the README: `make demo` and `make test`. Each does all set-up on a fresh Debian 12.
SWIFT ?= swift
RELEASE_LOOM := .build/release/loom
DEBUG_LOOM := .build/debug/loom
# Models the real-weight tests read; `loom models pull` fetches each once into $LOOM_HOME.
TEST_MODELS := whisper-tiny.en smollm2-135m-instruct

.PHONY: demo test build bootstrap test-models references clean

bootstrap:
	@Scripts/bootstrap

build: bootstrap
	$(SWIFT) build -c release --product loom

demo: build
	$(RELEASE_LOOM) models pull whisper-tiny.en
	$(RELEASE_LOOM) inspect --recursive Samples

test-models: bootstrap
	$(SWIFT) build --product loom
	$(DEBUG_LOOM) models pull $(TEST_MODELS)

test: test-models
	LOOM_REQUIRE_MODELS=1 $(SWIFT) test

# Regenerates the committed reference fixtures under Tests/Fixtures (needs the reference venv).
references:
	@py=$$(Scripts/reference-venv) && for s in Scripts/reference/*.py; do echo "== $$s"; "$$py" "$$s" || exit 1; done

clean:
	rm -rf .build
