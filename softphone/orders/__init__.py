"""The order rules core: what the order form computes and checks, with no Qt.

- :mod:`~softphone.orders.pricing`: unit prices per customer type, the discount rule
  that applies, line totals, tax and total (the CRM server computes with the same code);
- :mod:`~softphone.orders.draft`: :class:`~softphone.orders.draft.OrderDraft`, the order
  being taken, with its autosave JSON and the ``OrderCreate`` it becomes;
- :mod:`~softphone.orders.rules`: inline validation, the debt block and the offer rule;
- :mod:`~softphone.orders.suggestions`: what to offer, and why;
- :mod:`~softphone.orders.catalogue`: product search as the agent types;
- :mod:`~softphone.orders.drafts`: where drafts are kept between autosaves;
"""
