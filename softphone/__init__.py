"""Softphone: a desktop softphone for call-center agents."""

__version__ = "0.1.0"
