"""Notebooks are read at a bounded cost: whatever a notebook holds, reading it keeps the grader's
process small, and a notebook over a limit gets a message that names the limit."""
import json
import subprocess
import sys

import pytest

nbformat = pytest.importorskip("nbformat")
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output  # noqa: E402

from autograder.load import notebook as notebooks  # noqa: E402
from autograder.load import notebook_json  # noqa: E402

SIGMOID = "import numpy as np\n\n\ndef sigmoid(x):\n    return 1 / (1 + np.exp(-x))\n"
# What reading a notebook may add to the process, measured as its peak resident size: the grader
# must stay within ~200 MB, and it holds ~110 MB before it reads notebooks.
READING_MB = 60

MEASURE = """
import json, resource, sys
import nbformat
from autograder.load import notebook
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    read = notebook.read(sys.argv[1])
    outcome = {"parts": read.parts(), "notes": read.notes, "known": sorted(read.known)}
except notebook.NotebookError as err:
    outcome = {"error": str(err)}
outcome["added_mb"] = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
print(json.dumps(outcome))
"""


def read_in_a_child(path):
    """What reading ``path`` gives, and how much it added to a fresh process's peak memory (MB)."""
    done = subprocess.run([sys.executable, "-c", MEASURE, str(path)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def notebook_text(cells, metadata=None):
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": metadata or {}, "cells": cells},
                      ensure_ascii=False)


def code_cell(source, outputs=()):
    return {"cell_type": "code", "id": f"c{abs(hash(source)) % 10 ** 8}", "metadata": {},
            "execution_count": None, "outputs": list(outputs), "source": source}


def test_a_cell_of_two_megabytes_of_zeros_is_left_out_and_the_others_still_count(tmp_path):
    """CACHE = [0, 0, ...] in 2 MB, within the code limit: ast would take ~700 MB to parse it."""
    path = tmp_path / "homework.ipynb"
    cache = "CACHE = [" + "0, " * 690_000 + "0]\n\ndef relu(x):\n    return CACHE\n"
    path.write_text(notebook_text([code_cell(SIGMOID), code_cell(cache)]))
    assert path.stat().st_size < notebook_json.MAX_CODE_CHARS + 2000 and len(cache) < notebook_json.MAX_CODE_CHARS
    outcome = read_in_a_child(path)
    assert outcome["added_mb"] < READING_MB, outcome
    assert "sigmoid" in outcome["known"] and "relu" not in outcome["known"] and "CACHE" not in outcome["known"]
    (note,) = outcome["notes"]
    assert note.startswith("homework.ipynb, cell 2: 1,380,017 tokens of code, more than the "
                           f"{notebooks.MAX_CELL_TOKENS:,} the grader reads in one cell"), note


def test_millions_of_empty_objects_in_the_metadata_are_refused_before_parsing(tmp_path):
    """8 MB of {} took the grader to 1.4 GB through json and nbformat."""
    path = tmp_path / "homework.ipynb"
    junk = "[" + "{}," * ((8 << 20) // 3) + "{}]"
    text = notebook_text([code_cell(SIGMOID)])
    path.write_text(text.replace('"metadata": {}', '"metadata": {"junk": ' + junk + "}", 1))
    outcome = read_in_a_child(path)
    assert outcome["added_mb"] < READING_MB, outcome
    assert outcome["error"].startswith(f"homework.ipynb holds more than {notebook_json.MAX_JSON_VALUES:,} JSON values")
    assert "Clear All Outputs" in outcome["error"]


@pytest.mark.parametrize("output", ["a" * (15 << 20) + "\U0001f600", "\n" * (7 << 20), ["x, y: [1]\n"] * 150_000],
                         ids=["emoji", "escapes", "lines"])
def test_outputs_are_never_decoded_nor_parsed_into_much(tmp_path, output):
    """A 15 MB output with one emoji (a 60 MB string once decoded), 7 million escapes, 150,000 lines."""
    path = tmp_path / "homework.ipynb"
    outputs = [{"output_type": "stream", "name": "stdout", "text": output}]
    path.write_text(notebook_text([code_cell(SIGMOID, outputs)]), encoding="utf-8")
    outcome = read_in_a_child(path)
    assert outcome["added_mb"] < READING_MB, outcome
    assert outcome["parts"] == ["calculus"] and outcome["notes"] == []


def test_code_comes_back_exactly_as_nbformat_reads_it(tmp_path):
    """Long lines, escapes, non-ASCII text and an escaped NUL in code; sources as lines or one string;
    markdown, outputs and metadata around them."""
    odd = ('TEXT = "tab\\tquote\\" back\\\\slash é σ 😀 \\u0000 nul \u2028"\n'
           f"LONG = {'y' * 500!r}\n%matplotlib inline\n\n\ndef relu(x):\n    return x * (x > 0)  # ✓\n")
    kernel = {"kernelspec": {"name": "python3", "display_name": "Python 3"}}
    notebook = new_notebook(cells=[new_markdown_cell("# Homework ✓ σ(x) 😀"), new_code_cell(SIGMOID),
                                   new_code_cell(odd)], metadata=kernel)
    notebook.cells[1].outputs = [new_output("stream", text="out\n" * 1000)]
    lines = tmp_path / "lines.ipynb"
    nbformat.write(notebook, str(lines))
    whole = tmp_path / "whole.ipynb"
    data = json.loads(lines.read_text(encoding="utf-8"))
    for cell in data["cells"]:
        cell["source"] = "".join(cell["source"])
    whole.write_text(json.dumps(data, ensure_ascii=True), encoding="utf-8")
    for path in (lines, whole):
        read = notebooks.read(str(path))
        source, line_map = read.module_source("calculus")
        assert "def sigmoid" in source and "def relu" in source
        kept = [line for statement in read.statements for line in statement.lines]
        assert 'TEXT = "tab\\tquote\\" back\\\\slash é σ 😀 \\u0000 nul \u2028"' in kept
        assert f"LONG = {'y' * 500!r}" in kept and "    return x * (x > 0)  # ✓" in kept
        assert line_map.locate(source.splitlines().index("def relu(x):") + 1) == f"{path.name}, cell 3, line 6"


def test_an_nbformat_3_notebook_is_still_read(tmp_path):
    from nbformat.v3 import nbjson, new_code_cell as code_v3, new_notebook as notebook_v3, new_worksheet
    path = tmp_path / "old.ipynb"
    path.write_text(nbjson.writes(notebook_v3(worksheets=[new_worksheet(cells=[code_v3(input=SIGMOID)])])))
    assert notebooks.read(str(path)).parts() == ["calculus"]


def test_code_over_the_limit_is_refused_before_it_is_decoded(tmp_path):
    """One source string of 9 MB (bytes of JSON): refused on its size, not decoded."""
    path = tmp_path / "homework.ipynb"
    path.write_text(notebook_text([code_cell("x = '" + "é" * (4 << 20) + "'\n")]), encoding="utf-8")
    outcome = read_in_a_child(path)
    limit = notebook_json.MAX_CODE_CHARS >> 20
    assert outcome["error"] == f"homework.ipynb holds more than {limit} MB of code, so it was not read."
    assert outcome["added_mb"] < READING_MB, outcome


HEAD = '{"nbformat": 4, "nbformat_minor": 5, '


@pytest.mark.parametrize("content, message", [
    (HEAD + '"metadata": {}, "cells": []} é', r"not a readable notebook \(non-ASCII text outside the JSON strings\)"),
    (HEAD + '"metadata": {"a": "\\u00e9\\"}, "cells": []}', "is not a readable notebook"),
    (HEAD + '"metadata": {}, "cells": [{"cell_type": "code", "source": 3, "metadata": {}, "outputs": [], '
     '"execution_count": null, "id": "a"}]}', "does not follow the Jupyter notebook format"),
], ids=["text-after-the-json", "escaped-quote-unterminated", "code-that-is-a-number"])
def test_broken_json_around_long_and_odd_strings_gets_a_message(tmp_path, content, message):
    path = tmp_path / "homework.ipynb"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(notebooks.NotebookError, match=message):
        notebooks.read(str(path))


def test_what_the_grader_drops_is_not_checked_any_more(tmp_path):
    """Outputs, attachments and metadata are dropped unread: odd ones no longer refuse a notebook."""
    path = tmp_path / "homework.ipynb"
    path.write_text(HEAD + '"metadata": {"kernelspec": 3}, "cells": [{"cell_type": "code", "source": "x = 1", '
                    '"metadata": {"tags": 5}, "outputs": [{"bad": 1}], "execution_count": null, "id": "a"}, '
                    '{"cell_type": "markdown", "source": "![](a.png)", "metadata": {}, "id": "b", '
                    '"attachments": {"a.png": {"image/png": 7}}}]}', encoding="utf-8")
    assert notebooks.read(str(path)).known == {"x"}
