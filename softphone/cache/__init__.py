"""The encrypted local copy of the CRM's customers, products and prices, and the outbox."""
