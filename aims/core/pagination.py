"""Pages of long lists that cost about the same at page 1 and at page 2,000."""

from django.core.paginator import Paginator
from django.db.models import QuerySet


class DeferredJoinPaginator(Paginator):
    """A ``Paginator`` whose deep pages pick their rows by primary key first.

    ``OFFSET n`` makes PostgreSQL build and throw away n whole rows — every column, join and
    annotation of the page. Past the first page the offset is applied to the primary keys alone
    (an index-only scan when an index holds the ordering), and the whole rows, with their joins
    and annotations, are built for the page's rows only: still one query, in the list's order.
    Prefetches run as usual, on the page's rows.
    """

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        rows = self.object_list
        if bottom and _keys_first(rows):
            keys = rows.values("pk")[bottom:top]
            page_rows = rows.filter(pk__in=keys)
        else:
            page_rows = rows[bottom:top]
        return self._get_page(page_rows, number, self)


def _keys_first(rows) -> bool:
    """Whether the page can be picked by key: a plain query (no DISTINCT, UNION or slice)."""
    if not isinstance(rows, QuerySet):
        return False
    query = rows.query
    return not (query.distinct or query.combinator or query.is_sliced)
