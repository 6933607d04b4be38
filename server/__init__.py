"""Wangge (网格防控): offline-first rural epidemic prevention."""

__version__ = "0.1.0"
