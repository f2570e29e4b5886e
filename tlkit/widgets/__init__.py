"""ipywidgets apps for the notebooks.

Widgets hold wiring only: handlers call pure functions from the domain packages and write results
into widget values (never ``print``), so notebooks stay stable under nbval and the apps can be
tested by setting ``.value`` and calling ``.click()`` without a browser.
"""
