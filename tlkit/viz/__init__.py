"""Matplotlib figures for tlkit results.

Each function takes computed results (DataFrames, replay results) and returns a
:class:`matplotlib.figure.Figure`; none computes domain results and none calls ``plt.show()``.
"""
