"""A notebook's JSON, read at a bounded cost: only what the grader uses of it.

Whatever a notebook holds (huge outputs, pictures, millions of values in its
metadata, deep or wide JSON), reading it must keep the grader's process small:
plain ``json`` and ``nbformat`` took 1.4 GB for 8 MB of empty objects. So the
limits are decided on the raw bytes, before ``json`` or ``nbformat`` build
anything from them, and a notebook over a limit gets a message that names it,
in the grader and in the students' self-check alike. (Parsing in a child
process under an address-space limit would bound memory too, but its message
could not say what was too large, and the self-check runs on machines without
such limits.)

- the file's size (:data:`MAX_NOTEBOOK_BYTES`), and the number of JSON values
  and keys in it (:data:`MAX_JSON_VALUES`, counted on the bytes: a value costs
  up to ~100 bytes once parsed);
- long or non-ASCII strings (outputs, pictures, markdown) are never decoded:
  the parser sees a short stand-in instead, so the text it parses is ASCII, and
  only the sources of code cells are read back, within the code's size
  (:data:`MAX_CODE_CHARS`);
- outputs, attachments, metadata and the text of other cells are dropped before
  ``nbformat`` sees the notebook (which still checks its format).
"""
import codecs
import json
import re
from array import array

MAX_NOTEBOOK_BYTES = 16 << 20   # outputs (plots) make notebooks large; the code itself is small
MAX_JSON_VALUES = 200_000       # values and keys: ~20 MB once parsed (a long output log has ~10,000)
MAX_CODE_CHARS = 2 << 20        # as for a .py file

_QUOTED = re.compile(rb'"[^"]*"')   # a string once escapes are neutralised (no repeated group: constant memory)
_KEPT_STRING_BYTES = 64   # longer strings, and any with escapes or non-ASCII text, get a stand-in
_STAND_IN = "\x00"        # starts every stand-in; a kept string cannot hold it (JSON text has no raw NUL)
_STRUCTURE = (b"[", b"{", b",", b":")


class NotebookError(Exception):
    """The notebook cannot be read at all; the message is for the student."""


def code_only(path, name):
    """The notebook at ``path`` as JSON text holding only what the grader reads: cells' types,
    ids and the sources of code cells. Raises :class:`NotebookError`."""
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_NOTEBOOK_BYTES + 1)
    except OSError as err:
        raise NotebookError(f"{name} could not be read: {err.strerror or err}") from None
    if len(raw) > MAX_NOTEBOOK_BYTES:
        raise NotebookError(f"{name} is larger than {MAX_NOTEBOOK_BYTES >> 20} MB (with its outputs) and was "
                            "not read: clear the outputs (Edit > Clear All Outputs) and submit it again.")
    try:
        _check_utf8(raw)
        data, parked = _parse_with_stand_ins(raw, name)
        return json.dumps(_kept(data, _Restorer(raw, parked, name)))
    except UnicodeDecodeError:
        raise NotebookError(f"{name} is not a notebook: it is not UTF-8 text.") from None
    except (ValueError, RecursionError) as err:   # broken JSON
        raise unreadable(name, err) from None


def unreadable(name, err):
    return NotebookError(f"{name} is not a readable notebook ({first_line_of(str(err))}): "
                         "open it in Jupyter, save it, and submit it again.")


def too_much_code(name):
    return NotebookError(f"{name} holds more than {MAX_CODE_CHARS >> 20} MB of code, so it was not read.")


def first_line_of(text, limit=200):
    line = (str(text).strip().splitlines() or [""])[0]
    return line[:limit]


def _check_utf8(raw, chunk=1 << 20):
    """Raise UnicodeDecodeError unless ``raw`` is UTF-8, without decoding it all at once."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    for start in range(0, len(raw), chunk):
        decoder.decode(raw[start:start + chunk])
    decoder.decode(b"", final=True)


def _parse_with_stand_ins(raw, name):
    """``json.loads`` of ``raw`` in which each long, escaped or non-ASCII string is a stand-in,
    ``"\\u0000<i>"``; returns it and ``parked``, where the i-th stand-in's string starts and
    ends in ``raw``. The values and keys are counted first (each is the document or follows
    one of ``[ { , :`` outside strings): above MAX_JSON_VALUES nothing is parsed."""
    # Escapes replaced by two bytes each (offsets kept), so that every quote left delimits a string.
    neutral = raw.replace(b"\\\\", b"__").replace(b'\\"', b"__")
    if neutral.count(b'"') // 2 > MAX_JSON_VALUES:
        raise _too_many_values(name)
    reduced, parked, values, position = bytearray(), array("q"), 1, 0
    for match in _QUOTED.finditer(neutral):
        start, end = match.span()
        between = neutral[position:start]
        values += sum(between.count(mark) for mark in _STRUCTURE)
        reduced += between
        token = raw[start:end] if end - start <= _KEPT_STRING_BYTES else None
        if token is not None and token.isascii() and b"\\" not in token:
            reduced += token
        else:
            reduced += b'"\\u0000%d"' % (len(parked) // 2)
            parked.extend((start, end))
        position = end
    rest = neutral[position:]
    values += sum(rest.count(mark) for mark in _STRUCTURE)
    reduced += rest
    del neutral, rest
    if values > MAX_JSON_VALUES:
        raise _too_many_values(name)
    if not reduced.isascii():   # outside its strings JSON is ASCII; and ASCII text costs a byte a character
        raise ValueError("non-ASCII text outside the JSON strings")
    return json.loads(reduced.decode("ascii")), parked


def _too_many_values(name):
    return NotebookError(f"{name} holds more than {MAX_JSON_VALUES:,} JSON values (outputs, metadata), more "
                         "than the grader reads: clear the outputs (Edit > Clear All Outputs) and submit it again.")


class _Restorer:
    """Reads back the strings of code cells' sources, within the code's size."""

    def __init__(self, raw, parked, name):
        self.raw, self.parked, self.name = raw, parked, name
        self.budget = 4 * MAX_CODE_CHARS   # bytes of JSON: an escape (\n, \u00e9) takes 2 to 6 for one character

    def __call__(self, value):
        if isinstance(value, list):
            return [self(item) for item in value]
        if not isinstance(value, str):
            return value
        if not value.startswith(_STAND_IN):
            self.budget -= len(value)
        else:
            start, end = self.parked[2 * int(value[1:])], self.parked[2 * int(value[1:]) + 1]
            self.budget -= end - start
            if self.budget >= 0:
                value = json.loads(self.raw[start:end].decode("utf-8"))
        if self.budget < 0:
            raise too_much_code(self.name)
        return value


def _kept(notebook, restore):
    """The notebook without outputs, attachments, metadata and other cells' text (emptied), so
    that nbformat never sees them; the rest as it was, so that its format is still checked
    (nbformat 3's worksheets too)."""
    if not isinstance(notebook, dict):
        return notebook
    kept = {key: ({} if isinstance(value, (dict, list)) else value) for key, value in notebook.items()}
    if "metadata" in notebook:
        kept["metadata"] = {}
    if isinstance(notebook.get("worksheets"), list):
        kept["worksheets"] = [_kept(sheet, restore) for sheet in notebook["worksheets"]]
    if isinstance(notebook.get("cells"), list):
        kept["cells"] = [_kept_cell(cell, restore) for cell in notebook["cells"]]
    return kept


def _kept_cell(cell, restore):
    if not isinstance(cell, dict):
        return cell
    kept = {key: ({} if isinstance(value, (dict, list)) else value) for key, value in cell.items()
            if key != "attachments"}
    for key in ("source", "input"):   # "input": nbformat 3's code cells
        if key in cell:
            kept[key] = restore(cell[key]) if cell.get("cell_type") == "code" else ""
    if "outputs" in cell:
        kept["outputs"] = []
    return kept
