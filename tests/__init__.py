"""Tests for the softphone."""
