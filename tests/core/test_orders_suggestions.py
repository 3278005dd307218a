"""What the agent is prompted to offer, in which order, and why."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from softphone.crm import schema
from softphone.orders import suggestions
from softphone.orders.catalogue import Catalogue
from softphone.orders.draft import OrderDraft
from softphone.orders.drafts import DraftStore, InMemoryDraftStore
from tests.core.orders_samples import PRICE_LISTS, T0, customer, product

CT = schema.CustomerType
D = Decimal


def order(number: int, *skus: str, days_ago: int = 0,
          status: schema.OrderStatus = schema.OrderStatus.RECEIVED) -> schema.Order:
    return schema.Order(
        id=f"O-{number}", number=str(number), customer_id="C-1", status=status,
        created_at=T0 - timedelta(days=days_ago),
        lines=[schema.OrderLine(sku=sku, quantity=1, unit_price=D(1), line_total=D(1))
               for sku in skus],
        subtotal=D(1), tax=D(0), total=D(1), payment_method="invoice",
        delivery=schema.Delivery(method=schema.DeliveryMethod.PICKUP, date=T0.date()))


def catalogue(*products: schema.Product) -> dict[str, schema.Product]:
    return {p.sku: p for p in products}


def offered(found: list[suggestions.Suggestion]) -> list[tuple[str, str]]:
    return [(s.sku, s.reason) for s in found]


def test_specials_then_new_then_usual_then_usual_for_the_type() -> None:
    products = catalogue(
        product("N-1", name="Zest", is_new=True), product("S-1", name="Oolong", is_special=True),
        product("B-1", name="Both", is_new=True, is_special=True), product("U-1"),
        product("U-2"), product("T-1"), product("PLAIN"))
    history = [order(1, "U-1", "U-2", days_ago=40), order(2, "U-2", days_ago=5)]
    found = suggestions.suggest(products, customer(), PRICE_LISTS, recent_orders=history,
                                usual_for_type=["T-1", "U-1"])
    assert offered(found) == [
        ("B-1", "special, new"), ("S-1", "special"), ("N-1", "new"),
        ("U-2", "you usually order this"),
        ("U-1", "you ordered this before, usual for retail customers"),
        ("T-1", "usual for retail customers")]
    # The catalogue's own list of flagged products gives the same answer, without a scan.
    index = Catalogue(products.values())
    assert [p.sku for p in index.flagged] == ["B-1", "S-1", "N-1"]
    assert offered(suggestions.suggest(
        products, customer(), PRICE_LISTS, recent_orders=history,
        usual_for_type=["T-1", "U-1"], flagged=index.flagged)) == offered(found)


def test_the_customers_usual_products_rank_by_frequency_then_recency() -> None:
    products = catalogue(*(product(sku) for sku in ("A", "B", "C", "D")))
    history = [order(1, "A", "B", days_ago=30), order(2, "B", "C", days_ago=20),
               order(3, "D", "A", days_ago=1), order(4, "C", days_ago=3),
               order(5, "D", "D", days_ago=90, status=schema.OrderStatus.CANCELLED)]
    found = suggestions.suggest(products, customer(), PRICE_LISTS, recent_orders=history)
    # A, B and C were in two orders each; A most recently (1 day), then C (3), then B (20).
    assert [s.sku for s in found] == ["A", "C", "B", "D"]
    assert found[3].reason == "you ordered this before"  # the cancelled order is ignored


def test_what_is_in_the_order_unknown_or_unpriced_is_never_suggested() -> None:
    products = catalogue(product("IN", is_new=True), product("NOPRICE", is_new=True,
                                                             wholesale=None),
                         product("OK", is_new=True))
    history = [order(1, "GONE", "IN")]
    found = suggestions.suggest(products, customer(CT.KEY), PRICE_LISTS,
                                recent_orders=history, usual_for_type=["GONE"],
                                exclude={"IN"})
    assert offered(found) == [("OK", "new")]
    marketer = suggestions.suggest(products, customer(CT.MARKETER), PRICE_LISTS)
    assert marketer == []  # no price list for the type: nothing can be offered


def test_many_new_products_do_not_crowd_out_the_usual_ones() -> None:
    news = [product(f"N-{n:02d}", is_new=True) for n in range(30)]
    products = catalogue(*news, product("U-1"), product("U-2"))
    history = [order(1, "U-1", "U-2")]
    found = suggestions.suggest(products, customer(), PRICE_LISTS, recent_orders=history,
                                limit=6)
    assert [s.sku for s in found] == ["N-00", "N-01", "N-02", "N-03", "U-1", "U-2"]
    alone = suggestions.suggest(catalogue(*news), customer(), PRICE_LISTS, limit=6)
    assert [s.sku for s in alone] == [f"N-{n:02d}" for n in range(6)]


def test_the_list_is_bounded_and_stable() -> None:
    products = catalogue(*(product(f"S-{n:03d}", is_special=True) for n in range(200)))
    first = suggestions.suggest(products, customer(), PRICE_LISTS, limit=1000)
    assert len(first) == suggestions.MAX_LIMIT
    reordered = dict(reversed(products.items()))
    assert suggestions.suggest(reordered, customer(), PRICE_LISTS, limit=1000) == first
    assert suggestions.suggest(products, customer(), PRICE_LISTS, limit=0) == []


# ----------------------------------------------------------------------- draft stores
def test_the_in_memory_store_gives_back_what_a_restart_would() -> None:
    store: DraftStore = InMemoryDraftStore()
    first = OrderDraft.for_customer(customer())
    first.add_product(product("TEA-1"), PRICE_LISTS, 2)
    second = OrderDraft.for_customer(customer(CT.KEY, id="C-2"))
    second.created_at = first.created_at + timedelta(seconds=1)
    store.save(second)
    store.save(first)
    first.set_quantity("TEA-1", 5, PRICE_LISTS)
    store.save(first)  # replaces the earlier copy
    assert store.load_all().result() == [first, second]
    store.delete(first.draft_id)
    store.delete("unknown")
    assert [draft.customer_id for draft in store.load_all().result()] == ["C-2"]
