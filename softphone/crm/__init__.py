"""Talking to the order system (CRM): wire schema, client and reference server."""
