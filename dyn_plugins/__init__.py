"""dyn-plugins: NVIDIA Dynamo's tool-call parser formats and names inside vLLM and SGLang.

Importing the package never imports an engine or torch; the adapters load lazily.
"""

__version__ = "0.1.0"
