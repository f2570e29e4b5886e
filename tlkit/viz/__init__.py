"""Matplotlib figures and tables for tlkit results.

Each figure function takes computed results (DataFrames, replay results) and returns a
:class:`matplotlib.figure.Figure`; none computes domain results and none calls ``plt.show()``.
:func:`table` turns a result with ``to_rows()`` (e.g. :class:`tlkit.tpm.TamperReport`) into a
DataFrame, :func:`fields` a (nested) mapping into a two-column table. Domain-specific modules:
:mod:`tlkit.viz.tpm`, :mod:`tlkit.viz.eventlog`, :mod:`tlkit.viz.support`, :mod:`tlkit.viz.fleet` (alert
rates of simulated fleets).
"""

from tlkit.viz._tables import SupportsRows, fields, table

__all__ = ["SupportsRows", "fields", "table"]
