"""Reading a spreadsheet's CSV: its encoding, its delimiter, its header, its rows.

A file is read as a stream, twice if need be (``Source.rows()`` opens it afresh), so
memory stays flat however long it is. Row numbers are the ones a spreadsheet shows:
the header is row 1, and a quoted cell spanning lines is still one row.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from salescli.errors import Invalid
from salescli.parse import parse_encoding

DELIMITERS = (",", ";", "\t")
_CHUNK = 1 << 20
_IGNORED_IN_HEADERS = re.compile(r"[\s_\-\ufeff]+")

# csv's default limit (128 KiB) is too small for a long note pasted into one cell.
csv.field_size_limit(64 << 20)


def normalise(header: str) -> str:
    """A header as it is matched: any case, ignoring spaces, ``_`` and ``-``."""
    return _IGNORED_IN_HEADERS.sub("", header).casefold()


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with open(path, "rb") as raw:
            while chunk := raw.read(_CHUNK):
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(path: Path, forced: str | None = None) -> str:
    """UTF-8 (with or without a BOM), UTF-16 with a BOM, else GB18030 (Chinese Excel).

    ``forced`` (``--encoding``) wins, except that a UTF-8 BOM is still skipped.
    """
    with open(path, "rb") as raw:
        head = raw.read(4)
    has_bom = head.startswith(codecs.BOM_UTF8)
    if forced:
        name = parse_encoding(forced)
        return "utf-8-sig" if name == "utf-8" and has_bom else name
    if has_bom:
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if _decodes(path, "utf-8"):
        return "utf-8"
    try:
        western = _western_word(path)
    except UnicodeDecodeError:
        raise Invalid(f"{path} is neither UTF-8 nor GB18030 text: name its encoding with --encoding") from None
    if western:
        latin, chinese = western
        raise Invalid(
            f"{path} reads as GB18030 (Chinese) text, but '{chinese}' in it looks like '{latin}' in a Western "
            "European encoding: name its encoding with --encoding (cp1252 for Excel in Western Europe, gb18030 "
            "for Chinese)"
        )
    return "gb18030"


# A Latin letter, then a character GB18030 writes with an ASCII letter as its second byte:
# what Western European text reads as ("Müller" in cp1252 is "M黮ler" in GB18030), and
# what Chinese text hardly holds (GB2312's characters all end in a byte above 0xA0).
_LATIN_THEN_WIDE = re.compile(r"[A-Za-z]+([^\x00-\x7f])[A-Za-z]*")


def _western_word(path: Path) -> tuple[str, str] | None:
    """Read ``path`` as GB18030 (UnicodeDecodeError if it is not): a word in it that reads
    as Latin letters in cp1252 (as that text, and as GB18030 reads it), if the whole file
    is cp1252 text too; else None."""
    decoder = codecs.getincrementaldecoder("gb18030")()
    western = None
    with open(path, "rb") as raw:
        while chunk := raw.read(_CHUNK):
            for match in _LATIN_THEN_WIDE.finditer(decoder.decode(chunk)):
                word, encoded = match[0], match[1].encode("gb18030")
                if western is None and len(encoded) == 2 and encoded[1:].isalpha():  # bytes: ASCII letters only
                    latin = word.encode("gb18030").decode("cp1252", "replace")
                    western = (latin, word) if latin.isalpha() else None
        decoder.decode(b"", final=True)
    return western if western and _decodes(path, "cp1252") else None


def sniff_delimiter(line: str) -> str:
    """The delimiter of a header line: whichever of ``,`` ``;`` tab it holds most of."""
    outside_quotes = re.sub(r'"[^"]*"', "", line)
    counts = {delimiter: outside_quotes.count(delimiter) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


@dataclass
class Source:
    """An opened CSV file: where it is, how to decode and split it, and its header."""

    path: Path
    encoding: str
    delimiter: str
    header: list[str]
    header_row: int
    size: int
    sep_line: bool = False  # Excel's "sep=;" first line, which a spreadsheet does not show as a row

    @classmethod
    def open(cls, path: Path, encoding: str | None = None) -> Source:
        path = Path(path)
        if not path.is_file():
            raise Invalid(f"no file {path}")
        try:
            chosen = detect_encoding(path, encoding)
            size = path.stat().st_size
            with open(path, encoding=chosen, newline="") as text:
                first = _first_line(text, path, chosen)
        except OSError as error:
            raise Invalid(f"cannot read {path}: {error.strerror}") from None
        sep = re.match(r"^sep=(.)\r?\n?$", first)
        delimiter = sep[1] if sep else sniff_delimiter(first)
        source = cls(path, chosen, delimiter, [], 0, size, sep_line=bool(sep))
        for number, cells in source._records(None):
            if any(cell.strip() for cell in cells):
                source.header, source.header_row = [cell.strip() for cell in cells], number
                break
        if not source.header:
            raise Invalid(f"{path} is empty: the first row must name the columns")
        return source

    def rows(self, progress: Callable[[int], None] | None = None) -> Iterator[tuple[int, list[str]]]:
        """``(row number, cells)`` of every non-blank row after the header.

        ``progress`` is called now and then with how many bytes have been read.
        """
        for number, cells in self._records(progress):
            if number > self.header_row and any(cells):
                yield number, cells

    def _records(self, progress: Callable[[int], None] | None) -> Iterator[tuple[int, list[str]]]:
        with open(self.path, "rb") as raw:
            text = io.TextIOWrapper(raw, encoding=self.encoding, newline="")
            if self.sep_line:
                text.readline()
            reader = csv.reader(text, delimiter=self.delimiter, strict=True)
            number = 0
            try:
                for number, cells in enumerate(reader, start=1):
                    if progress is not None and number % 1000 == 0:
                        progress(raw.tell())
                    yield number, cells
            except UnicodeDecodeError as error:
                raise Invalid(
                    f"{self.path} is not valid {self.encoding} (at byte {error.start} of a chunk): "
                    "name its encoding with --encoding"
                ) from None
            except csv.Error as error:
                what = "a quoted cell is never closed" if "end of data" in str(error) else str(error)
                raise Invalid(f"{self.path}, row {number + 1}: not readable as CSV: {what}") from None
            if progress is not None:
                progress(self.size)


def _first_line(text: io.TextIOBase, path: Path, encoding: str) -> str:
    try:
        for line in text:
            if line.strip():
                return line
    except UnicodeDecodeError:
        raise Invalid(f"{path} is not valid {encoding}: name its encoding with --encoding") from None
    return ""
