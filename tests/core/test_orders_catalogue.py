"""Catalogue search as the agent types: SKU or word starts, any case, accents or script."""

from __future__ import annotations

import pytest

from softphone.orders.catalogue import Catalogue, fold
from tests.core.orders_samples import product

PRODUCTS = [
    product("CAF-100", name="Café crème 250 g"),
    product("CAF-10", name="Instant coffee"),
    product("TEA-1", name="Earl Grey tea"),
    product("TEA-12", name="Green tea, jasmine"),
    product("GR-1", name="Ελληνικός καφές"),
    product("GR-2", name="Τσάι του βουνού"),
    product("FA-1", name="چای سبز"),  # Persian: green tea
    product("FA-2", name="قهوه\u200cی ترک"),  # with a zero-width non-joiner
    product("FA-3", name="كيك"),  # written with Arabic kaf and yeh
    product("VI-1", name="Cà phê sữa đá"),
    product("RO-1", name="Ceai negru, ȘOSEA"),
    product("HU-1", name="Őrölt kávé"),
    product("XYZ", name="caf"),
]
CATALOGUE = Catalogue(PRODUCTS)


def skus(query: str, limit: int = 50) -> list[str]:
    return [found.sku for found in CATALOGUE.search(query, limit)]


def test_an_exact_sku_comes_first_then_skus_starting_with_it_then_names() -> None:
    assert skus("caf-10") == ["CAF-10", "CAF-100"]
    assert skus("CAF") == ["CAF-100", "CAF-10", "XYZ"]  # SKUs by name, then the name "caf"
    assert skus("TEA-1") == ["TEA-1", "TEA-12"]


def test_any_word_of_the_name_can_be_started() -> None:
    assert skus("jas") == ["TEA-12"]
    assert skus("tea") == ["TEA-1", "TEA-12"]  # SKU prefix and name word alike
    assert skus("gre te") == ["TEA-1", "TEA-12"]  # every word typed must start a word
    assert skus("green jas") == ["TEA-12"]
    assert skus("rey") == []  # only the start of a word, not the middle


@pytest.mark.parametrize(("query", "found"), [
    ("cafe creme", ["CAF-100"]),
    ("CAFÉ", ["CAF-100"]),
    ("kave", ["HU-1"]),
    ("orolt", ["HU-1"]),
    ("sosea", ["RO-1"]),
    ("καφες", ["GR-1"]),
    ("ΚΑΦΈΣ", ["GR-1"]),
    ("τσαι βουνου", ["GR-2"]),
    ("ca phe sua da", ["VI-1"]),
    ("Cà phê", ["VI-1"]),
    ("da", ["VI-1"]),
    ("سبز", ["FA-1"]),
    ("چای", ["FA-1"]),
    ("ترک", ["FA-2"]),
    ("قهوه", ["FA-2"]),
    ("کیک", ["FA-3"]),  # typed with the Persian kaf and yeh
])
def test_accents_case_and_scripts_do_not_matter(query: str, found: list[str]) -> None:
    assert skus(query) == found


def test_results_are_bounded_and_a_blank_query_finds_nothing() -> None:
    assert skus("c", limit=2) == ["CAF-100", "CAF-10"]
    assert skus("   ") == []
    assert skus("c", limit=0) == []
    assert skus("-") == []


def test_products_are_found_by_sku() -> None:
    assert CATALOGUE.get("GR-2") is PRODUCTS[5]
    assert CATALOGUE.get("NOPE") is None
    assert CATALOGUE.by_sku["FA-1"].name == "چای سبز"
    assert len(CATALOGUE) == len(PRODUCTS)


def test_the_latest_copy_of_a_product_wins() -> None:
    catalogue = Catalogue([product("A-1", name="Old name"), product("A-1", name="New name")])
    assert [found.name for found in catalogue.search("a-1")] == ["New name"]
    assert catalogue.search("old") == []


def test_folding() -> None:
    assert fold("Ĉafé ÆSS ﬁ") == "cafe æss fi"
    assert fold("ΣΟΦΟΣ") == fold("σοφος") == fold("σοφοσ")
    assert fold("Đà") == "da"
