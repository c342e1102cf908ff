"""SGLang adapter: Dynamo's formats as ``BaseFormatDetector`` classes, registered by :mod:`.plugin`.

Importing this package does not import SGLang; :mod:`.detector` does.
"""
