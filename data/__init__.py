"""tlkit's data tables as the package ``tlkit.data`` (pyproject ``[tool.setuptools] package-dir``).

``support/`` (the Trusted Launch support matrices, sources in ``support/SOURCES.md``) and
``samples/`` (the synthetic fleet exports) are package data, read through
:func:`tlkit._data.data_root`. There is no code here. ``fixtures/`` is not shipped in the wheel.
"""
