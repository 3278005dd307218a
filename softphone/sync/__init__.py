"""Keeping the local customer cache in step with the CRM, and sending queued records."""
