"""Byte-stable writers: CSV (UTF-8, no BOM, ``\\n``), XLSX (write-only openpyxl) and ODS.

Workbooks carry timestamps (document properties and zip entry dates); both
are pinned to the as-of date so that the same seed gives the same bytes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from xml.sax.saxutils import escape

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

FIXED_STAMP = dt.datetime(2026, 3, 31, 0, 0, 0)
_STAMP_TEXT = FIXED_STAMP.strftime("%Y-%m-%dT%H:%M:%SZ")
_TIMESTAMP_ELEMENTS = re.compile(
    rb"(<(dcterms:created|dcterms:modified|meta:creation-date|dc:date)\b[^>]*>)[^<]*(</\2>)"
)
_CSV_BODY = pacsv.WriteOptions(include_header=False, quoting_style="none")


def write_arrow_csv(path: Path, table: pa.Table) -> None:
    """A contract CSV: plain header, unquoted values (codes never hold commas), empty = null."""
    with open(path, "wb") as out:
        out.write((",".join(table.column_names) + "\n").encode("utf-8"))
        if table.num_rows:
            pacsv.write_csv(table, out, _CSV_BODY)


def write_rows_csv(
    path: Path, header: Sequence[str], rows: Iterable[Sequence[object]], quote_strings: bool = False
) -> None:
    """A small CSV from Python rows.

    quote_strings=True mimics the NOMIS API: every header and string value is
    quoted, numbers are not, and an empty value is left empty.
    """
    with open(path, "w", encoding="utf-8", newline="") as out:
        if not quote_strings:
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(header)
            writer.writerows([_number(v) if isinstance(v, float) else v for v in row] for row in rows)
            return
        out.write(",".join(quoted(h) for h in header) + "\n")
        for row in rows:
            out.write(",".join(quoted(v) for v in row) + "\n")


def quoted(value: object) -> str:
    """A value as the NOMIS API writes it: strings quoted, numbers bare, empty for null."""
    if value is None:
        return ""
    if isinstance(value, str):
        return '"' + value.replace('"', '""') + '"'
    return _number(value)


def _number(value: object) -> str:
    if isinstance(value, float):
        text = f"{value:.1f}"
        return text[:-2] if text.endswith(".0") else text
    return str(value)


def normalise_zip(path: Path) -> None:
    """Rewrite a zip-based workbook with fixed entry dates and pinned document timestamps."""
    with zipfile.ZipFile(path) as src:
        entries = [(info, src.read(info.filename)) for info in src.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as dst:
        for info, data in entries:
            if info.filename.endswith("core.xml"):
                data = _TIMESTAMP_ELEMENTS.sub(lambda m: m.group(1) + _STAMP_TEXT.encode() + m.group(3), data)
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_STAMP.timetuple()[:6])
            fixed.compress_type = info.compress_type
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, data)
    path.write_bytes(buffer.getvalue())


def write_xlsx(path: Path, sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[object]]]]) -> None:
    """A workbook with one sheet per (name, header, rows); values keep their Python types.

    Text stays text (so ``01`` keeps its zero), ``datetime.date`` becomes a real
    Excel date, int and float become numbers.
    """
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    workbook.properties.creator = "ipskpi generator"
    workbook.properties.created = FIXED_STAMP
    workbook.properties.modified = FIXED_STAMP
    for name, header, rows in sheets:
        sheet = workbook.create_sheet(title=name)
        sheet.append(list(header))
        for row in rows:
            sheet.append(list(row))
    workbook.save(path)
    normalise_zip(path)


_ODS_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" office:version="1.2"'
)
_ODS_MIME = "application/vnd.oasis.opendocument.spreadsheet"


def _ods_cell(value: object) -> str:
    if value is None:
        return "<table:table-cell/>"
    if isinstance(value, int | float):
        return (
            f'<table:table-cell office:value-type="float" office:value="{value}">'
            f"<text:p>{value}</text:p></table:table-cell>"
        )
    text = escape(str(value))
    return f'<table:table-cell office:value-type="string"><text:p>{text}</text:p></table:table-cell>'


def write_ods(path: Path, sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[object]]]]) -> None:
    """An OpenDocument spreadsheet with one sheet per (name, header, rows), written directly.

    (odfpy's namespace declarations depend on what else the process wrote, so
    its bytes are not stable; this minimal document is.)
    """
    tables = []
    for name, header, rows in sheets:
        body = [header, *rows]
        xml_rows = "".join(
            "<table:table-row>" + "".join(_ods_cell(v) for v in row) + "</table:table-row>" for row in body
        )
        tables.append(f'<table:table table:name="{escape(name)}">{xml_rows}</table:table>')
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content {_ODS_NS}>'
        f"<office:body><office:spreadsheet>{''.join(tables)}</office:spreadsheet></office:body>"
        "</office:document-content>"
    )
    styles = f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-styles {_ODS_NS}/>'
    meta = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-meta {_ODS_NS}><office:meta>'
        f"<meta:generator>ipskpi generator</meta:generator>"
        f"<meta:creation-date>{_STAMP_TEXT[:-1]}</meta:creation-date></office:meta></office:document-meta>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:version="1.2" '
        f'manifest:media-type="{_ODS_MIME}"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        '<manifest:file-entry manifest:full-path="styles.xml" manifest:media-type="text/xml"/>'
        '<manifest:file-entry manifest:full-path="meta.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        for name, data, method in (
            ("mimetype", _ODS_MIME, zipfile.ZIP_STORED),
            ("content.xml", content, zipfile.ZIP_DEFLATED),
            ("styles.xml", styles, zipfile.ZIP_DEFLATED),
            ("meta.xml", meta, zipfile.ZIP_DEFLATED),
            ("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED),
        ):
            info = zipfile.ZipInfo(name, date_time=FIXED_STAMP.timetuple()[:6])
            info.compress_type = method
            info.external_attr = 0o644 << 16
            package.writestr(info, data.encode("utf-8"))
    path.write_bytes(buffer.getvalue())


# --- fast workbooks for the provider returns ---------------------------------------------------
#
# openpyxl writes about 20,000 cells a second, too slow for a national run. The
# package (content types, workbook, styles with a real date format, document
# properties) is made once by openpyxl; each sheet's XML is then built with
# vectorised string operations: text as inline strings, numbers as numbers, dates
# as date serials with the date style.

_EXCEL_EPOCH_OFFSET = 25569  # days from 1899-12-30 to 1970-01-01
_SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
_SHEET_TAIL = "</sheetData></worksheet>"
_templates: dict[tuple[str, ...], tuple[list[tuple[zipfile.ZipInfo, bytes]], str]] = {}


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _template(names: tuple[str, ...]) -> tuple[list[tuple[zipfile.ZipInfo, bytes]], str]:
    """The package entries of a workbook with these sheets, and the date style index."""
    if names not in _templates:
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        workbook.properties.creator = "ipskpi generator"
        for name in names:
            sheet = workbook.create_sheet(title=name)
            sheet.append([dt.date(2026, 3, 31)])
        buffer = io.BytesIO()
        workbook.save(buffer)
        with zipfile.ZipFile(buffer) as package:
            entries = [(info, package.read(info.filename)) for info in package.infolist()]
            sheet_xml = package.read("xl/worksheets/sheet1.xml").decode()
        style = re.search(r'<c r="A1"[^>]* s="(\d+)"', sheet_xml)
        assert style, "openpyxl did not style the date cell"
        _templates[names] = (entries, style.group(1))
    return _templates[names]


def _cells(letter: str, rows: pa.Array, values: pa.Array, kind: str, date_style: str) -> pa.Array:
    """One column's cell XML per row ('' where the value is null)."""
    ref = pc.binary_join_element_wise(letter, rows, "")
    if kind == "date":
        serial = pc.cast(pc.add(pc.cast(values, pa.int32()), _EXCEL_EPOCH_OFFSET), pa.string())
        cell = pc.binary_join_element_wise('<c r="', ref, f'" s="{date_style}"><v>', serial, "</v></c>", "")
    elif kind in ("int", "decimal", "year"):
        number = values if pa.types.is_string(values.type) else pc.cast(values, pa.string())
        cell = pc.binary_join_element_wise('<c r="', ref, '"><v>', number, "</v></c>", "")
    else:
        text = pc.cast(values, pa.string())
        for raw, escaped in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
            text = pc.replace_substring(text, raw, escaped)
        cell = pc.binary_join_element_wise(
            '<c r="', ref, '" t="inlineStr"><is><t>', text, "</t></is></c>", ""
        )
    return pc.fill_null(cell, "")


def _sheet_xml(table: pa.Table, kinds: Sequence[str], date_style: str) -> bytes:
    letters = [_column_letter(i) for i in range(table.num_columns)]
    header = "".join(
        f'<c r="{letter}1" t="inlineStr"><is><t>{name}</t></is></c>'
        for letter, name in zip(letters, table.column_names, strict=True)
    )
    parts = [_SHEET_HEAD, f'<row r="1">{header}</row>']
    if table.num_rows:
        rows = pc.cast(pa.array(range(2, table.num_rows + 2)), pa.string())
        cells = [
            _cells(letter, rows, table.column(i).combine_chunks(), kind, date_style)
            for i, (letter, kind) in enumerate(zip(letters, kinds, strict=True))
        ]
        row_xml = pc.binary_join_element_wise('<row r="', rows, '">', *cells, "</row>", "")
        parts.extend(row_xml.to_pylist())
    parts.append(_SHEET_TAIL)
    return "".join(parts).encode("utf-8")


def write_table_xlsx(path: Path, sheets: Sequence[tuple[str, pa.Table, Sequence[str]]]) -> None:
    """A workbook with one sheet per (name, table, column kinds), byte-stable.

    Kinds follow the contract: ``date`` cells are Excel dates, ``int``/``decimal``/
    ``year`` are numbers, everything else (codes such as ``01``) is text.
    """
    entries, date_style = _template(tuple(name for name, _, _ in sheets))
    generated = {
        f"xl/worksheets/sheet{i}.xml": _sheet_xml(table, kinds, date_style)
        for i, (_, table, kinds) in enumerate(sheets, start=1)
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        for info, data in entries:
            data = generated.get(info.filename, data)
            if info.filename.endswith("core.xml"):
                data = _TIMESTAMP_ELEMENTS.sub(lambda m: m.group(1) + _STAMP_TEXT.encode() + m.group(3), data)
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_STAMP.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            package.writestr(fixed, data)
    path.write_bytes(buffer.getvalue())
