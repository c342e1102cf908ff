"""Replaying recorded model outputs through the engines' real serving code (demo and tests).

Nothing here runs a model: a tiny tokenizer is built locally (no hub access) with every format's
markers as special tokens, and the engine adapters' replay harnesses feed its token ids back.
"""
