"""The harness behind the documented commands, in one place: ``dyn-plugins demo`` (recorded model outputs replayed
through vLLM's and SGLang's real serving code: :mod:`.vllm_serving` / :mod:`.sglang_serving`, :mod:`.vllm_demo` /
:mod:`.sglang_demo`), ``make run`` (a real ``vllm serve`` on CPU with a tiny random model: :mod:`.live_server`,
:mod:`.cpu_model`, :mod:`.live_demo`) and Dynamo's replay worker (:mod:`.dynamo_worker`).

No model weights from a hub: the tokenizer is built locally (:mod:`.tokenizer`) with every format's markers as
special tokens. The adapters (:mod:`dyn_plugins.vllm`, :mod:`dyn_plugins.sglang`) import nothing from here.
"""
