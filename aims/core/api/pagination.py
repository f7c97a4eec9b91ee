"""Pagination of the API's lists.

``StandardPagination`` numbers pages (``?page=``, ``?page_size=``). ``RegisterPagination``,
for lists that programs walk from end to end, also answers ``?cursor=``: an opaque position
that stays correct while rows are added, and costs the same on the last page as on the first.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination, PageNumberPagination

from aims.core.pagination import DeferredJoinPaginator

PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


class StandardPagination(PageNumberPagination):
    page_size = PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE


class FilingOrderCursorPagination(CursorPagination):
    """Rows in the order they were filed (ascending primary key: unique, and indexed).

    A row filed during a walk has a higher key than every row already read, so it comes
    later in the same walk, and no row is read twice. None is skipped either: audited writes
    run one at a time (``aims.core.services.audited_write``), so keys are committed in the
    order they are given out.
    """

    ordering = ("id",)
    page_size = PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    invalid_cursor_message = _(
        "This cursor is not one the API gave out; start again with ?cursor=."
    )

    def decode_cursor(self, request):
        cursor = super().decode_cursor(request)
        # The position is compared with the primary key: anything but a number is forged.
        if cursor is not None and cursor.position is not None and not cursor.position.isdigit():
            raise NotFound(self.invalid_cursor_message)
        return cursor


class RegisterPagination(StandardPagination):
    """Page numbers for people (``?page=``, with a count), a cursor for programs (``?cursor=``).

    A list action answers ``?cursor=`` (empty to start) with rows in filing order and a ``next``
    link that carries the position, until ``next`` is null; a cursor page has no ``count``.
    The list's own ordering does not apply to a cursor walk, so a request that asks for both
    is refused rather than answered in an order it did not ask for. Deep numbered pages pick
    their rows by key first (``DeferredJoinPaginator``).
    """

    django_paginator_class = DeferredJoinPaginator
    cursor_query_param = "cursor"
    ordering_query_param = "ordering"

    def _walks(self, request, view) -> bool:
        return self.cursor_query_param in request.query_params and (
            getattr(view, "action", "list") == "list"
        )

    def paginate_queryset(self, queryset, request, view=None):
        self.cursor_pagination = None
        if not self._walks(request, view):
            return super().paginate_queryset(queryset, request, view)
        if request.query_params.get(self.ordering_query_param):
            raise ValidationError(
                {
                    self.ordering_query_param: [
                        _(
                            "A cursor walks the list in filing order: leave out the ordering, "
                            "or page by number."
                        )
                    ]
                }
            )
        self.cursor_pagination = FilingOrderCursorPagination()
        return self.cursor_pagination.paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data):
        if self.cursor_pagination is not None:
            return self.cursor_pagination.get_paginated_response(data)
        return super().get_paginated_response(data)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        if getattr(view, "action", "list") != "list":
            return parameters
        return [
            *parameters,
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": str(
                    _(
                        "Walk the list in filing order instead of by page number: send it empty "
                        "to start, then follow `next` until it is null. The answer then has no "
                        "`count`, `page` is ignored and `ordering` is refused."
                    )
                ),
                "schema": {"type": "string"},
            },
        ]

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "count": {
                    "type": "integer",
                    "example": 123,
                    "description": str(_("Rows in the whole list; page-number mode only.")),
                },
                "next": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": str(_("The next page (null on the last).")),
                },
                "previous": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": str(_("The previous page (null on the first).")),
                },
                "results": schema,
            },
        }
