"""Reading an uploaded list of affected individuals — pure functions of the file's text.

The list comes from legal or the DPO as CSV (UTF-8, comma-separated, a header row). Each row is
one person: an identifier and a contact are required; a name, the state and country of
residence and the channel to use are optional. Every problem is reported with its line and
column, so the person can fix the file and upload it again; nothing is kept from a file with
errors. The counts (people, and residents per US state for HIPAA's media threshold of more than
500 residents of one state, 45 CFR 164.406) are what the disclosure facts take from the list.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass

from django.utils.translation import gettext as _

from .choices import NoticeChannel

MAX_ROWS = 100_000
MAX_ERRORS = 20  # reported at once; the rest follow once these are fixed
MAX_LENGTHS = {"identifier": 200, "contact": 300, "name": 200, "state": 40}

# The columns the file may have, and the names a spreadsheet might give them.
COLUMNS = {
    "identifier": ("identifier", "id", "person_id", "customer_id", "patient_id"),
    "contact": ("contact", "email", "e-mail", "address", "postal_address", "phone"),
    "name": ("name", "full_name"),
    "state": ("state", "state_of_residence"),
    "country": ("country", "country_of_residence"),
    "channel": ("channel",),
}
REQUIRED = ("identifier", "contact")
ALIASES = {alias: column for column, names in COLUMNS.items() for alias in names}
COUNTRY_RE = re.compile(r"^[A-Z]{2}$")
STATE_RE = re.compile(r"^[A-Z0-9][A-Z0-9 .'-]*$")
CHANNEL_ALIASES = {"e-mail": "email", "mail": "post", "letter": "post", "telephone": "phone"}


class ListInvalid(ValueError):
    """The file cannot be taken as it is; ``errors`` name each line and column."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class Person:
    row_number: int
    identifier: str
    contact: str
    name: str = ""
    state: str = ""
    country: str = ""
    channel: str = ""


def _header(row: list[str]) -> dict[str, int]:
    positions, errors = {}, []
    for index, raw in enumerate(row):
        key = raw.strip().lower().replace(" ", "_")
        column = ALIASES.get(key)
        if column is None:
            errors.append(
                _('line 1: unknown column "%(name)s"; the columns are %(known)s.')
                % {"name": raw.strip(), "known": ", ".join(COLUMNS)}
            )
        elif column in positions:
            errors.append(_("line 1: the column %s appears twice.") % column)
        else:
            positions[column] = index
    for column in REQUIRED:
        if column not in positions:
            errors.append(
                _("line 1: the header has no %(column)s column (accepted names: %(names)s).")
                % {"column": column, "names": ", ".join(COLUMNS[column])}
            )
    if errors:
        raise ListInvalid(errors)
    return positions


def _person(line: int, row: list[str], positions: dict[str, int], errors: list[str]):
    values = {
        column: (row[index].strip() if index < len(row) else "")
        for column, index in positions.items()
    }
    ok = True

    def fail(column, message):
        nonlocal ok
        ok = False
        errors.append(
            _("line %(line)s, column %(column)s: %(message)s")
            % {"line": line, "column": column, "message": message}
        )

    if len(row) > len(positions) and any(cell.strip() for cell in row[len(positions) :]):
        fail(_("(extra)"), _("more cells than the header has columns; quote cells with commas."))
    for column in REQUIRED:
        if not values.get(column):
            fail(column, _("empty; every person needs one."))
    for column, limit in MAX_LENGTHS.items():
        if len(values.get(column, "")) > limit:
            fail(column, _("longer than %s characters.") % limit)
    country = values.get("country", "").upper()
    if country and not COUNTRY_RE.match(country):
        fail("country", _('"%s" is not a two-letter country code (US, DE, …).') % country)
    state = values.get("state", "").upper()
    if state and not STATE_RE.match(state):
        fail("state", _('"%s" is not a state or region code (CA, NY, …).') % values["state"])
    channel = values.get("channel", "").lower()
    channel = CHANNEL_ALIASES.get(channel, channel)
    if channel and channel not in NoticeChannel.values:
        fail(
            "channel",
            _('"%(value)s" is not a channel; use one of %(known)s.')
            % {"value": values["channel"], "known": ", ".join(NoticeChannel.values)},
        )
    if not ok:
        return None
    return Person(
        row_number=line,
        identifier=values["identifier"],
        contact=values["contact"],
        name=values.get("name", ""),
        state=state,
        country=country,
        channel=channel,
    )


def parse(content: bytes) -> list[Person]:
    """The people of an uploaded CSV file, or ``ListInvalid`` naming every problem found (up to
    ``MAX_ERRORS``). Line numbers are the file's, the header being line 1."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ListInvalid(
            [_("The file is not UTF-8 text (byte %s); save it as CSV UTF-8.") % exc.start]
        ) from exc
    if "\x00" in text:
        raise ListInvalid([_("The file is not text; upload a CSV file.")])
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if not header or not any(cell.strip() for cell in header):
            raise ListInvalid([_("line 1: the file is empty; it needs a header row.")])
        positions = _header(header)
        people, errors, seen = [], [], {}
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue  # blank lines are not people
            if len(people) >= MAX_ROWS:
                raise ListInvalid(
                    [
                        _(
                            "The list has more than %s people; split it into several incidents' lists or ask GRC."
                        )
                        % f"{MAX_ROWS:,}"
                    ]
                )
            person = _person(line, row, positions, errors)
            if person is not None:
                first = seen.get(person.identifier)
                if first is not None:
                    errors.append(
                        _("line %(line)s, column identifier: %(id)s is already on line %(first)s.")
                        % {"line": line, "id": person.identifier, "first": first}
                    )
                else:
                    seen[person.identifier] = line
                    people.append(person)
            if len(errors) >= MAX_ERRORS:
                errors.append(_("… and possibly more: fix these and upload again."))
                break
    except csv.Error as exc:
        raise ListInvalid(
            [_("line %(line)s: %(error)s") % {"line": reader.line_num, "error": exc}]
        ) from exc
    if errors:
        raise ListInvalid(errors)
    if not people:
        raise ListInvalid([_("The list has a header but no people.")])
    return people


def residents_by_state(people) -> dict[str, int]:
    """Residents per US state (rows with a state and no country, or country US)."""
    counts = Counter(p.state for p in people if p.state and p.country in ("", "US"))
    return dict(sorted(counts.items()))
