"""Finding products as the agent types: by SKU or by the start of any word of the name.

:class:`Catalogue` is built once from the cached products (on whichever thread loads
them: building 10,000 products takes tens of milliseconds) and is then read-only, so
:meth:`Catalogue.search` may run on any thread; the order form calls it on the GUI
thread on each key press. Imports no Qt.

Matching ignores case and accents ("cafe" finds "Café", "dao" finds "Đào"), in any
script: Greek (tonos and final sigma), Persian and Arabic (vowel marks, kashida, the two
forms of yeh and kaf, the zero-width non-joiner between word parts), Vietnamese.

Public names: :class:`Catalogue` (:meth:`~Catalogue.search`, :meth:`~Catalogue.get`,
:attr:`~Catalogue.by_sku`), :func:`fold`.
"""

from __future__ import annotations

import heapq
import re
import unicodedata
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType

from softphone.crm import schema

# Letters that compatibility decomposition leaves alone but a user types without thinking.
_SAME_LETTER = str.maketrans({
    "\u0111": "d", "\u0110": "d",  # Vietnamese d with stroke
    "\u0142": "l", "\u0141": "l", "\u00f8": "o", "\u00d8": "o", "\u0131": "i",
    "\u064a": "\u06cc", "\u0649": "\u06cc",  # Arabic yeh and alef maksura: Persian yeh
    "\u0643": "\u06a9",  # Arabic kaf: Persian keheh
    "\u0629": "\u0647",  # teh marbuta: heh
    "\u0640": None,  # kashida, a stretch with no meaning
})
_WORD = re.compile(r"\w+")
_SEARCH_LIMIT = 50
_LAST = chr(0x10FFFF)


def fold(text: str) -> str:
    """``text`` without case or accents, for comparing what was typed with what is stored."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_SAME_LETTER))
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return unicodedata.normalize("NFKC", bare.casefold())


def _words(text: str) -> list[str]:
    # \w+ splits at spaces, punctuation and the zero-width non-joiner inside Persian words.
    return _WORD.findall(fold(text))


class Catalogue:
    """The cached products, indexed for search by SKU prefix and name-word prefix."""

    def __init__(self, products: Iterable[schema.Product]) -> None:
        """Build the index; any thread (the catalogue is read-only afterwards)."""
        unique = {product.sku: product for product in products}
        # A product's position is its place in the result order: by name, then SKU.
        self._products = sorted(unique.values(), key=lambda p: (fold(p.name), p.sku))
        self._by_sku = MappingProxyType({product.sku: product for product in self._products})
        self._flagged = tuple(p for p in self._products if p.is_special or p.is_new)
        skus = sorted((fold(p.sku), index) for index, p in enumerate(self._products))
        self._sku_keys = [key for key, _ in skus]
        self._sku_owners = [index for _, index in skus]
        words = sorted({(word, index) for index, p in enumerate(self._products)
                        for word in _words(p.name)})
        self._word_keys = [word for word, _ in words]
        self._word_owners = [index for _, index in words]

    def __len__(self) -> int:
        return len(self._products)

    @property
    def by_sku(self) -> Mapping[str, schema.Product]:
        """Every product by SKU (what :meth:`OrderDraft.reprice` takes)."""
        return self._by_sku

    @property
    def flagged(self) -> Sequence[schema.Product]:
        """The specials and new products management flagged, by name (for suggestions)."""
        return self._flagged

    def get(self, sku: str) -> schema.Product | None:
        return self._by_sku.get(sku)

    def search(self, query: str, limit: int = _SEARCH_LIMIT) -> list[schema.Product]:
        """Products matching ``query``, best first; any thread.

        The exact SKU comes first, then SKUs starting with the query, then products
        having, for each word typed, a word of the name starting with it; each group by
        name. A blank query finds nothing.
        """
        typed = fold(query.strip())
        if not typed or limit < 1:
            return []
        exact = set(self._owners(self._sku_keys, self._sku_owners, typed, prefix=False))
        by_sku = set(self._owners(self._sku_keys, self._sku_owners, typed, prefix=True))
        by_name = self._name_matches(_words(query))
        ranked: list[int] = []
        for group in (exact, by_sku - exact, by_name - exact - by_sku):
            ranked.extend(heapq.nsmallest(limit - len(ranked), group))
        return [self._products[index] for index in ranked]

    @staticmethod
    def _owners(keys: list[str], owners: list[int], typed: str, *, prefix: bool) -> list[int]:
        """The products owning the keys equal to ``typed``, or starting with it."""
        start = bisect_left(keys, typed)
        # No key starting with ``typed`` sorts after ``typed`` followed by the last code point.
        end = bisect_left(keys, typed + _LAST if prefix else typed + "\0", start)
        return owners[start:end]

    def _name_matches(self, words: list[str]) -> set[int]:
        matches: set[int] | None = None
        # Longest words first: they match fewest products, so the sets stay small.
        for word in sorted(set(words), key=len, reverse=True):
            found = self._owners(self._word_keys, self._word_owners, word, prefix=True)
            matches = set(found) if matches is None else matches.intersection(found)
            if not matches:
                return set()
        return matches or set()
