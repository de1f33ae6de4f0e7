"""The one owner of results.json: strict, bounded JSON, written atomically."""
import json
import os
import tempfile

from autograder.results.safe import safe_json

MAX_RESULTS_BYTES = 900_000   # Gradescope accepts 1 MB; a margin for what batch adds


def write_results(results, path):
    """Write ``results`` as strict JSON, atomically (temporary file renamed over ``path``).

    Everything is made safe first (see :func:`results.safe_json`); if it is still too
    large, extra data and then long messages are dropped. Returns what was written.
    """
    results = safe_json(results)
    text = json.dumps(results, indent=1, allow_nan=False)
    if len(text) > MAX_RESULTS_BYTES:
        for test in results.get("tests", []):
            test.pop("extra_data", None)
        text = json.dumps(results, indent=1, allow_nan=False)
    if len(text) > MAX_RESULTS_BYTES:
        share = max(200, MAX_RESULTS_BYTES // (2 * max(1, len(results.get("tests", [])))))
        for test in results.get("tests", []):
            if len(test.get("output", "")) > share:
                test["output"] = test["output"][:share] + "\n[...]"
        results["output"] = results.get("output", "")[:MAX_RESULTS_BYTES // 4]
        text = json.dumps(results, indent=1, allow_nan=False)
    path = os.path.abspath(path)
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".results-", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        if os.path.lexists(temporary):
            os.unlink(temporary)
        raise
    return results
