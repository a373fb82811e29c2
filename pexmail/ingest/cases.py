"""Partners' CSV files → canonical :class:`Case` records, or :class:`Rejection` with reasons.

:func:`inspect_file` reads only the header (so that a batch can refuse an
unrecognised file before rendering anything); :func:`read_cases` then streams
the rows, one record per row, and never stops for a bad row.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pexmail.catalog.load import Catalog
from pexmail.errors import InputFileError
from pexmail.ingest import fields as f
from pexmail.ingest.decode import detect_encoding, open_text, read_head, sniff_delimiter
from pexmail.ingest.sources import ColumnMap, match_source
from pexmail.log import LOGGER
from pexmail.model import Address, Case, Location, Problem, Rejection
from pexmail.textfold import fold

# The csv module refuses fields over 128 KiB by default and then cannot go on
# reading; a larger ceiling lets the reader reject an oversized row by itself.
CSV_FIELD_LIMIT = 16 * 1024 * 1024
csv.field_size_limit(CSV_FIELD_LIMIT)


@dataclass(frozen=True)
class FileInfo:
    """A case file whose header was read and matched to a source."""

    path: Path
    display: str
    encoding: str
    delimiter: str
    columns: ColumnMap


@dataclass
class FileStats:
    """Filled while a file is read."""

    rows: int = 0  # data rows read (blank lines excluded)
    blank_lines: int = 0
    error: str | None = None  # set when reading had to stop before the end


def inspect_file(
    path: Path,
    catalog: Catalog,
    *,
    source: str | None = None,
    encoding: str | None = None,
    display: str | None = None,
) -> FileInfo:
    """Read a file's header and find its source; raise :class:`InputFileError` otherwise."""
    display = display or str(path)
    if not path.is_file():
        raise InputFileError(file=display, message="no such file")
    catalog_source = catalog.source(source) if source else None
    try:
        head = read_head(path)
    except OSError as exc:
        raise InputFileError(file=display, message=f"cannot open: {exc.strerror}") from None
    if not head.strip():
        raise InputFileError(file=display, message="the file is empty (no header line)")
    detected, certain = detect_encoding(head)
    if encoding:
        used = encoding
    elif not certain and catalog_source and catalog_source.encoding:
        used = catalog_source.encoding
    else:
        used = detected
    first = _first_line(path, used, display)
    if "\x00" in first:
        raise InputFileError(
            file=display,
            message="the header contains NUL bytes: this is not a text CSV file",
            hint="export the sheet as « CSV (séparateur : point-virgule) » or « CSV UTF-8 »",
        )
    delimiter = (catalog_source.delimiter if catalog_source else None) or sniff_delimiter(first)
    header = next(csv.reader([first], delimiter=delimiter), [])
    columns = match_source(header, catalog.sources, display, forced=source)
    if not certain and not encoding and columns.source.encoding and columns.source.encoding != used:
        # An ASCII header said nothing; the partner's declared encoding decides.
        used = columns.source.encoding
    for header, expected, name in columns.suggestions:
        # Header names describe the file's shape, not a person: safe to log.
        LOGGER.warning(
            "%s: column %r is not used; is it %r (%s)? That field is read from no column",
            display,
            header,
            expected,
            name,
        )
    return FileInfo(path, display, used, delimiter, columns)


def _first_line(path: Path, encoding: str, display: str) -> str:
    try:
        with open_text(path, encoding) as stream:
            return stream.readline(CSV_FIELD_LIMIT)
    except LookupError:
        raise InputFileError(file=display, message=f"unknown encoding {encoding!r}") from None
    except UnicodeError:
        raise InputFileError(
            file=display,
            message=f"cannot be decoded as {encoding}",
            hint="pass --encoding (utf-8, cp1252, utf-16) or set the source's encoding",
        ) from None


def read_cases(
    info: FileInfo,
    catalog: Catalog,
    run_date: date,
    stats: FileStats | None = None,
) -> Iterator[Case | Rejection]:
    """Every data row of the file, as a Case or a Rejection, in file order."""
    stats = stats if stats is not None else FileStats()
    convert = _RowConverter(info, catalog, run_date)
    with open_text(info.path, info.encoding) as stream:
        reader = csv.reader(stream, delimiter=info.delimiter, strict=False)
        row = 1  # as a spreadsheet numbers rows: the header is row 1
        try:
            next(reader)  # the header, already matched
            line = reader.line_num
            for values in reader:
                row += 1
                first_line, line = line + 1, reader.line_num
                if not values or all(not v.strip() for v in values):
                    stats.blank_lines += 1
                    continue
                stats.rows += 1
                record = convert(values, row)
                if line > first_line and isinstance(record, Rejection):
                    record = _spanning(record, first_line, line)
                yield record
        except csv.Error as exc:
            stats.error = (
                f"reading stopped after row {row}: {exc} (a quoted field is probably never closed)"
            )
        except UnicodeError as exc:  # only possible with an explicitly wrong UTF-16 choice
            stats.error = f"reading stopped after row {row}: cannot decode ({exc.reason})"


def _spanning(rejection: Rejection, first: int, last: int) -> Rejection:
    """A rejected row read from several lines of the file: most often a quote never closed,
    which swallows the lines after it. Say so, with the lines, so none is lost unseen."""
    problems = tuple(
        Problem(
            p.column,
            "unclosed_quote",
            f"was read from lines {first} to {last} of the file: a quote opened in this row "
            f"is probably never closed, so the {last - first} line(s) after it were read into "
            "it; close the quote and run the file again",
        )
        if p.code == "ragged_row"
        else p
        for p in rejection.problems
    )
    return Rejection(rejection.location, problems)


_Spec = tuple[str, int | None, str | None, str, Callable[[str], object], bool, str]


@dataclass
class _RowConverter:
    """Turns one row into a Case or a Rejection; the per-field work is planned once per file."""

    info: FileInfo
    catalog: Catalog
    run_date: date
    plan: list[_Spec] = field(init=False)

    def __post_init__(self) -> None:
        aliases: dict[str, str] = {}
        for stage in self.catalog.stages:
            for spelling in (stage.id, stage.label, *stage.aliases):
                aliases[fold(spelling)] = stage.id
        recommendations: dict[str, str] = {}
        for item in self.catalog.document.recommendations:
            for spelling in (item.id, item.label, *item.aliases):
                recommendations[fold(spelling)] = item.id
        columns = self.info.columns
        source = columns.source
        self.has_full_name = "full_name" in columns.positions
        landlord_codes = source.values.get("landlord_type")
        stage_codes = source.values.get("stage")

        def spec(name: str, parser: Callable[[str], object], required: bool = False) -> _Spec:
            position = columns.positions.get(name)
            header = columns.headers[position] if position is not None else None
            return (
                name,
                position,
                header,
                source.defaults.get(name, ""),
                parser,
                required,
                _label(header, name),
            )

        plan = [spec("case_id", str, required=True)]
        if "family_name" in columns.positions or "family_name" in source.defaults:
            plan += [
                spec("family_name", str, required=not self.has_full_name),
                spec("given_name", str),
            ]
        if self.has_full_name:
            plan.append(spec("full_name", f.split_full_name, required=True))
        plan += [
            spec("civility", str),
            spec("street", str, required=True),
            spec("complement", str),
            spec("locality", str),
            spec("postcode", f.parse_postcode, required=True),
            spec("commune", str, required=True),
            spec("landlord_type", lambda v: f.parse_landlord_type(v, landlord_codes)),
            spec("landlord_name", str),
            spec("debt", f.parse_amount),
            spec("monthly_rent", lambda v: f.parse_amount(v, maximum=f.MAX_RENT)),
            spec("stage", lambda v: f.parse_stage(v, aliases, stage_codes), required=True),
            spec("act_date", f.parse_date),
            spec("hearing_date", f.parse_date),
            spec("lease_date", f.parse_date),
            spec("caf_recipient", f.parse_bool),
            spec("phone", f.parse_phone),
            spec("email", f.parse_email),
            spec("language", f.parse_language),
            spec(
                "recommendations",
                lambda v: f.parse_recommendations(v, recommendations),
            ),
            spec("recommended_by", str),
        ]
        self.plan = plan
        self.width = len(columns.headers)

    def __call__(self, values: list[str], row: int) -> Case | Rejection:
        location = Location(self.info.display, row)
        problems: list[Problem] = []
        if len(values) != self.width:
            problems.append(
                Problem(
                    None,
                    "ragged_row",
                    f"has {len(values)} fields where the header has {self.width} "
                    "(a separator inside an unquoted value, or a missing one)",
                )
            )
            return Rejection(location, tuple(problems))

        parsed: dict[str, object] = {}
        for name, position, header, default, parser, required, label in self.plan:
            if name == "full_name" and "family_name" in parsed:
                continue
            raw = values[position] if position is not None else default
            if position is not None and default and not raw.strip():
                raw = default
            try:
                text = f.clean_text(raw, max_length=f.MAX_TEXT)
            except f.FieldError as exc:
                problems.append(Problem(header, exc.code, f"{label} {exc.reason}"))
                continue
            if not text:
                if required and not (name == "family_name" and self.has_full_name):
                    problems.append(
                        Problem(header, "required", f"{label} is empty; a value is required")
                    )
                continue
            try:
                parsed[name] = parser(text)
            except f.FieldError as exc:
                problems.append(Problem(header, exc.code, f"{label} {exc.reason}"))
        return self._build(parsed, problems, location)

    def _build(
        self, parsed: dict[str, object], problems: list[Problem], location: Location
    ) -> Case | Rejection:
        columns = self.info.columns
        for name in ("act_date", "lease_date"):
            value = parsed.get(name)
            if isinstance(value, date) and value > self.run_date:
                header = columns.header_of(name) if name in columns.positions else None
                problems.append(
                    Problem(header, "date_future", f"{_label(header, name)} is after the run date")
                )
        territory = None
        if "postcode" in parsed:
            territory = self.catalog.territory_for_postcode(str(parsed["postcode"]))
            if territory is None:
                header = columns.header_of("postcode") if "postcode" in columns.positions else None
                covered = ", ".join(f"{t.departement} {t.name}" for t in self.catalog.territories)
                problems.append(
                    Problem(
                        header,
                        "territory",
                        f"{_label(header, 'postcode')} is outside the territories the catalogue "
                        f"covers ({covered})",
                    )
                )
        name_headers = {
            columns.header_of(n) for n in ("family_name", "full_name") if n in columns.positions
        }
        if (
            "family_name" not in parsed
            and "full_name" not in parsed
            # A name column already rejected (control character, too long...) says it all.
            and not any(p.code == "required" or p.column in name_headers for p in problems)
        ):
            problems.append(Problem(None, "required", "no family name: the name columns are empty"))
        if problems:
            return Rejection(location, tuple(problems))
        if "full_name" in parsed:
            family, given = parsed.pop("full_name")  # type: ignore[misc]
            parsed["family_name"] = family
            parsed.setdefault("given_name", given)
        civility = f.parse_civility(str(parsed["civility"])) if "civility" in parsed else None
        assert territory is not None
        return Case(
            location=location,
            source_id=columns.source.id,
            case_id=str(parsed["case_id"]),
            family_name=str(parsed["family_name"]),
            given_name=str(parsed.get("given_name", "")),
            civility=civility,
            address=Address(
                street=str(parsed["street"]),
                postcode=str(parsed["postcode"]),
                commune=str(parsed["commune"]),
                complement=str(parsed.get("complement", "")),
                locality=str(parsed.get("locality", "")),
            ),
            territory_id=territory.id,
            stage=str(parsed["stage"]),
            landlord_type=parsed.get("landlord_type"),  # type: ignore[arg-type]
            landlord_name=str(parsed.get("landlord_name", "")),
            debt=parsed.get("debt"),  # type: ignore[arg-type]
            monthly_rent=parsed.get("monthly_rent"),  # type: ignore[arg-type]
            act_date=parsed.get("act_date"),  # type: ignore[arg-type]
            hearing_date=parsed.get("hearing_date"),  # type: ignore[arg-type]
            lease_date=parsed.get("lease_date"),  # type: ignore[arg-type]
            caf_recipient=parsed.get("caf_recipient"),  # type: ignore[arg-type]
            phone=str(parsed.get("phone", "")),
            email=str(parsed.get("email", "")),
            language=str(parsed.get("language", "")),
            recommendations=parsed.get("recommendations", ()),  # type: ignore[arg-type]
            recommended_by=str(parsed.get("recommended_by", "")),
        )


def _label(header: str | None, field_name: str) -> str:
    return f"column {header!r}" if header else f"field {field_name}"
