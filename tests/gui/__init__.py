"""Tests of the Qt front end (pytest-qt, offscreen)."""
