# The two commands of the README: `make demo` and `make test`. Each does all set-up on a fresh Debian 12.
SWIFT ?= swift
RELEASE_LOOM := .build/release/loom
DEBUG_LOOM := .build/debug/loom
# Models the real-weight tests read; `loom models pull` fetches each once into $LOOM_HOME.
TEST_MODELS := whisper-tiny.en whisper-base smollm2-135m-instruct silero-vad minilm-l6-v2

.PHONY: demo test build bootstrap test-models references clean

bootstrap:
	@Scripts/bootstrap

build: bootstrap
	$(SWIFT) build -c release --product loom

# The main job on the samples: Pipelines/demo.yaml transcribes the speech in Samples/ into out/demo/
# (txt, srt, json), embeds it, puts speech and photos into one search index, which is then queried.
demo: build
	$(RELEASE_LOOM) models pull whisper-base silero-vad minilm-l6-v2
	$(RELEASE_LOOM) run Pipelines/demo.yaml
	@echo "== out/demo/audio/jfk.srt"; cat out/demo/audio/jfk.srt
	$(RELEASE_LOOM) search --index out/demo/media.loom "what can I do for my nation"

test-models: bootstrap
	$(SWIFT) build --product loom
	$(DEBUG_LOOM) models pull $(TEST_MODELS)

test: test-models
	LOOM_REQUIRE_MODELS=1 $(SWIFT) test

# Regenerates the committed reference fixtures under Tests/Fixtures (needs the reference venv).
references:
	@py=$$(Scripts/reference-venv) && for s in Scripts/reference/[!_]*.py; do echo "== $$s"; "$$py" "$$s" || exit 1; done

# libFuzzer harnesses of every parser, under AddressSanitizer, FUZZ_SECONDS each (Fuzz/README.md);
# FUZZ_HARNESSES picks some (e.g. "gguf index"). The smoke (CI) runs each for a few seconds.
FUZZ_SECONDS ?= 60
.PHONY: fuzz fuzz-smoke
fuzz: bootstrap
	FUZZ_SECONDS=$(FUZZ_SECONDS) Fuzz/run $(FUZZ_HARNESSES)

fuzz-smoke: bootstrap
	Fuzz/run --smoke

clean:
	rm -rf .build
