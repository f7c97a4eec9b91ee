"""Helpers shared by the HTML list pages (register, inventory): sortable column headers."""


def sort_columns(sortable: dict, current: str, default: str) -> dict:
    """Per sortable column: the ordering its header link asks for and its aria-sort state."""
    active = current or default
    columns = {}
    for key, label in sortable.items():
        if active == key:
            state, next_ordering = "ascending", f"-{key}"
        elif active == f"-{key}":
            state, next_ordering = "descending", key
        else:
            state, next_ordering = "none", key
        columns[key] = {"label": label, "next": next_ordering, "aria_sort": state}
    return columns
