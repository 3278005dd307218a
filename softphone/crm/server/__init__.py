"""The reference CRM server: the connector API over SQLAlchemy (``server`` extra)."""
