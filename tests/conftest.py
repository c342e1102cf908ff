"""Shared pytest configuration: nothing here imports an engine."""
