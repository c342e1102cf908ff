"""dyn-plugins benchmarks (not shipped in the wheel): ``python -m benchmarks.streaming``."""
