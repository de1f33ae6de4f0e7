"""Anything that came from the student's process, made safe to record, print and serialise.

Values arrive as data (the codec guarantees that much) but of any size and
content: nan and inf (which strict JSON parsers reject), lone surrogates (which
no encoder accepts), terminal escapes, millions of numbers, markers of objects
the codec could not carry. These helpers bound and clean them.
"""
import json
import math
import unicodedata

import numpy as np

MAX_TEXT_CHARS = 20_000       # any one string from student data
MAX_LIST_ITEMS = 2_000        # a learning curve is thinned to this many points
MAX_EXTRA_BYTES = 50_000      # one test's extra_data, serialised
MAX_DEPTH = 8
_KEPT_CONTROLS = "\n\t"


def printable(text, limit=MAX_TEXT_CHARS):
    """``text`` as a string any terminal, file or JSON parser accepts.

    Lone surrogates become '?'; control and format characters (terminal escapes,
    direction overrides) become U+FFFD; the length is capped.
    """
    if not isinstance(text, str):
        try:
            text = str(text)
        except Exception:
            text = "(unprintable)"
    if len(text) > limit:
        text = text[:limit] + "\n[...]"
    text = text.encode("utf-8", "replace").decode("utf-8")  # surrogates cannot be encoded: '?'
    return "".join(c if c in _KEPT_CONTROLS or unicodedata.category(c)[0] != "C"
                   else "\ufffd" for c in text)


def safe_json(value, depth=0):
    """A copy of ``value`` that strict JSON accepts: non-finite numbers and unknown objects as
    strings, text made printable, long lists thinned, nesting cut."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (int, np.integer)):
        return int(value) if abs(int(value)) < 2 ** 63 else float(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, str):
        return printable(value)
    if depth >= MAX_DEPTH:
        return "(nested too deeply)"
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            return printable(f"(array of {value.dtype})", 200)
        if value.ndim > 1 and value.size <= MAX_LIST_ITEMS * 10:   # small tables keep their shape
            return safe_json(value.tolist(), depth)
        value = value.ravel()
        if len(value) > MAX_LIST_ITEMS:
            value = value[np.linspace(0, len(value) - 1, MAX_LIST_ITEMS).astype(np.int64)]
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        if len(value) > MAX_LIST_ITEMS:  # evenly spaced points, the last one kept
            step = len(value) / MAX_LIST_ITEMS
            value = [value[int(i * step)] for i in range(MAX_LIST_ITEMS - 1)] + [value[-1]]
        return [safe_json(v, depth + 1) for v in value]
    if isinstance(value, dict):
        items = list(value.items())[:MAX_LIST_ITEMS]
        return {printable(k, 200): safe_json(v, depth + 1) for k, v in items}
    return printable(f"({type(value).__name__})", 200)




def bounded_extra_data(data):
    """A test's extra_data, strict-JSON safe and at most MAX_EXTRA_BYTES once serialised."""
    data = safe_json(data)
    if len(json.dumps(data, allow_nan=False)) <= MAX_EXTRA_BYTES:
        return data
    kept = {}
    for key, value in (data.items() if isinstance(data, dict) else [("value", data)]):
        if len(json.dumps(value, allow_nan=False)) < MAX_EXTRA_BYTES // 4:
            kept[key] = value
        else:
            kept[key] = "(omitted: too large)"
    return kept
