# Every target builds what it needs (venvs, wheel) itself; see README.md.
.PHONY: test test-core test-vllm test-sglang test-dynamo demo run bench

test: test-core test-vllm test-sglang test-dynamo

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

# The main job: `vllm serve` on a GPU machine, the replay demo through the engines' real serving code otherwise.
run:
	scripts/run_main.sh

demo:
	scripts/demo.sh

bench:
	scripts/bench.sh
