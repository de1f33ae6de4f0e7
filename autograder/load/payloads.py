"""Constants in a submission that look shipped rather than written: for the instructor to look at.

Weights trained at home, a table of the public test labels, images to look up: whatever a
submission brings instead of training has to be in its files as data. This scan lists
such data, never for the student and never for points (a flag is a reason to look, not
a verdict): extra_data ``needs_a_look`` in results.json, a column of batch's grades.csv,
a section of the HTML report.

What counts (each threshold sits well above anything in the reference, the student
template, the correct variants and their notebooks, and well below the smallest useful
payload: the 10,000 test labels alone are 4 kB, a logistic regression's 7,850 weights
about 5 kB even at 4 bits each):

- a Python file over ``MAX_PLAIN_FILE_BYTES``;
- text that looks encoded, in string literals, docstrings or comments: base64 or hex
  (long runs without a space, or more than ``ENCODED_ENTROPY_BITS`` bits per character),
  or numbers written as text (mostly digits); flagged when a file holds more than
  ``ENCODED_CHARS`` such characters, however they are split into pieces;
- bytes literals over ``BYTES_LITERAL_BYTES`` bytes; a string literal over
  ``LONG_STRING_CHARS`` characters whatever it holds;
- many numeric literals: more than ``NUMBERS_PER_FILE`` in a file, more than
  ``CONSTANTS_PER_DISPLAY`` constants in one list, tuple, set or dict display, or one
  integer of more than ``NUMBER_DIGITS`` digits;
- data files beside the code (arrays, pickles, checkpoints, archives, files without an
  extension; not documents or pictures): not given to the code, which only sees .py files
  and notebooks, but a sign of intent all the same.

The scan reads the source with ``tokenize`` (a stream of tokens: memory stays near the
size of the largest token, unlike ``ast`` on a crafted file), and only files the grader
runs (``.py`` files and the parts generated from notebooks: outputs and plots are never
run, so they are not scanned). Limits: data written as ordinary code (thousands of
statements of words, identifiers or whitespace that encode bits) is not recognised; the
accuracy tests do not depend on this scan (fashion.py says why they hold on their own).
"""
import io
import math
import os
import re
import tokenize
from collections import Counter
from dataclasses import dataclass

MAX_PLAIN_FILE_BYTES = 200_000      # the largest honest file we know of is ~20 kB
ENCODED_CHARS = 2_000               # encoded-looking characters per file
ENCODED_MIN_PIECE = 256             # shorter pieces are judged together (entropy needs length)
SHORT_STRINGS_CHARS = 4_000         # short pieces of a file, glued together, judged past this size
SHORT_STRINGS_KEPT = 200_000
ENCODED_RUN = 200                   # characters without white space (URLs, paths and dotted names are far shorter)
ENCODED_ENTROPY_BITS = 5.5          # prose and code: 4.0-5.2 bits per character; base64: 6
ENCODED_DIGITS = 0.4                # share of digits in numbers written as text (prose: < 0.05)
LONG_STRING_CHARS = 20_000
BYTES_LITERAL_BYTES = 512
NUMBERS_PER_FILE = 2_000
CONSTANTS_PER_DISPLAY = 300
NUMBER_DIGITS = 60
DATA_FILE_BYTES = 16_000
DATA_EXTENSIONS = {"", ".npy", ".npz", ".pt", ".pth", ".ckpt", ".pkl", ".pickle", ".joblib", ".h5", ".hdf5",
                   ".bin", ".dat", ".csv", ".json", ".gz", ".zip", ".tar", ".bz2", ".xz", ".7z", ".safetensors",
                   ".onnx", ".msgpack", ".parquet", ".feather", ".idx", ".ubyte", ".b64", ".hex"}
MAX_FINDINGS = 20
_LITERAL = re.compile(r"^([A-Za-z]*)('''|\"\"\"|'|\")(.*)\2$", re.S)


@dataclass
class Finding:
    file: str
    line: int
    what: str

    def __str__(self):
        name = self.file if len(self.file) <= 120 else self.file[:117] + "..."   # zip entries: any length
        return f"{name}, line {self.line}: {self.what}" if self.line else f"{name}: {self.what}"


def scan_submission(files, other_files=()):
    """Findings for a submission: ``files`` maps file names to paths of the code the grader runs
    (``.py`` files and generated notebook parts), ``other_files`` is ``[(name, size)]`` of the
    files beside them that are not code. Returns a list of :class:`Finding`, at most MAX_FINDINGS."""
    findings = []
    for name in sorted(files):
        findings += scan_file(name, files[name])
    for name, size in other_files:
        if size >= DATA_FILE_BYTES and os.path.splitext(name)[1].lower() in DATA_EXTENSIONS:
            findings.append(Finding(name, 0, f"a data file of {size:,} bytes beside the code (not given to "
                                              "the code: only .py files and notebooks are)"))
    return findings[:MAX_FINDINGS]


def scan_file(name, path):
    try:
        size = os.path.getsize(path)
        if size > MAX_PLAIN_FILE_BYTES:
            return [Finding(name, 0, f"a Python file of {size:,} bytes (honest files are a few tens of kB)")]
        with open(path, "rb") as f:
            source = f.read(MAX_PLAIN_FILE_BYTES + 1)
    except OSError:
        return []
    return scan_source(name, source)


def scan_source(name, source):
    """Findings in one file's source (bytes or text)."""
    if isinstance(source, str):
        source = source.encode("utf-8", "replace")
    findings, scan = [], _Scan(name)
    try:
        for token in tokenize.tokenize(io.BytesIO(source).readline):
            scan.feed(token)
    except (tokenize.TokenError, SyntaxError, ValueError):
        pass   # a file that does not tokenize does not import either; what was seen still counts
    findings += scan.findings()
    return findings


class _Scan:
    """Running counts over one file's tokens."""

    def __init__(self, name):
        self.name = name
        self.out = []
        self.pending = []            # adjacent STRING tokens: one literal ("a" "b" is "ab")
        self.displays = []           # per open bracket: [line, constants inside it]
        self.numbers = 0
        self.first_number_line = 0
        self.encoded_chars = 0
        self.encoded_pieces = 0
        self.first_encoded_line = 0
        self.short = []              # literals too short to judge alone, judged together at the end
        self.short_chars = 0
        self.first_short_line = 0

    def feed(self, token):
        kind = token.type
        if kind == tokenize.STRING:
            self.pending.append(token)
            if self.displays:
                self.displays[-1][1] += 1
            return
        if kind in (tokenize.NL, tokenize.COMMENT) and self.pending:
            if kind == tokenize.COMMENT:
                self._text(token.string[1:], token.start[0])
            return   # implicit concatenation may go on on the next line
        self._flush()
        if kind == tokenize.COMMENT:
            self._text(token.string[1:], token.start[0])
        elif kind == tokenize.NUMBER:
            self.numbers += 1
            self.first_number_line = self.first_number_line or token.start[0]
            if self.displays:
                self.displays[-1][1] += 1
            digits = sum(c.isdigit() for c in token.string)
            if digits > NUMBER_DIGITS:
                self.out.append(Finding(self.name, token.start[0], f"a numeric literal of {digits:,} digits"))
        elif kind == tokenize.OP and token.string in "([{":
            self.displays.append([token.start[0], 0])
        elif kind == tokenize.OP and token.string in ")]}" and self.displays:
            line, count = self.displays.pop()
            if count > CONSTANTS_PER_DISPLAY:
                self.out.append(Finding(self.name, line, f"{count:,} constants in one list, tuple, set or dict"))

    def _flush(self):
        if not self.pending:
            return
        tokens, self.pending = self.pending, []
        line = tokens[0].start[0]
        prefix, text = "", []
        for token in tokens:
            match = _LITERAL.match(token.string)
            if match is None:
                continue
            prefix = match.group(1).lower()
            text.append(match.group(3))
        content = "".join(text)
        if "b" in prefix and len(content) > BYTES_LITERAL_BYTES:
            self.out.append(Finding(self.name, line, f"a bytes literal of {len(content):,} characters"))
        elif len(content) > LONG_STRING_CHARS:
            self.out.append(Finding(self.name, line, f"a string literal of {len(content):,} characters"))
        self._text(content, line)

    def _text(self, text, line):
        """Count the encoded-looking pieces of a literal or comment."""
        for piece in _pieces(text):
            if len(piece) < ENCODED_MIN_PIECE:
                if self.short_chars < SHORT_STRINGS_KEPT:
                    self.short.append(piece)
                    self.short_chars += len(piece)
                    self.first_short_line = self.first_short_line or line
            elif _looks_encoded(piece):
                self.encoded_chars += len(piece)
                self.encoded_pieces += 1
                self.first_encoded_line = self.first_encoded_line or line

    def findings(self):
        self._flush()
        out = list(self.out)
        if self.encoded_chars > ENCODED_CHARS:
            out.append(Finding(self.name, self.first_encoded_line,
                               f"{self.encoded_chars:,} characters of encoded-looking text (base64, hex or "
                               f"numbers as text) in {self.encoded_pieces:,} string(s) or comment(s), the "
                               "first here"))
        if self.short_chars > SHORT_STRINGS_CHARS and _looks_encoded("".join(self.short), spaced=False):
            out.append(Finding(self.name, self.first_short_line,
                               f"{len(self.short):,} short strings that together look encoded (base64, hex or "
                               "numbers as text), the first here"))
        if self.numbers > NUMBERS_PER_FILE:
            out.append(Finding(self.name, self.first_number_line, f"{self.numbers:,} numeric literals in the file"))
        return out


def _pieces(text):
    """Paragraphs of a text (a docstring of prose with one encoded paragraph is judged by parts)."""
    return [piece for piece in re.split(r"\n\s*\n", text) if piece.strip()]


def entropy_bits(text):
    counts = Counter(text)
    total = len(text)
    return -sum(c / total * math.log2(c / total) for c in counts.values())


def _looks_encoded(piece, spaced=True):
    """Base64 or hex (long runs without white space, or base64's entropy), or numbers as text.
    ``spaced=False`` for pieces glued together here, whose runs mean nothing."""
    longest_run = max((len(run) for run in piece.split()), default=0)
    if spaced and longest_run >= ENCODED_RUN:
        return True
    digits = sum(c.isdigit() for c in piece) / len(piece)
    if digits >= ENCODED_DIGITS:
        return True
    # judged on 256 characters or more: entropy of a shorter piece is biased low
    return entropy_bits(piece) >= ENCODED_ENTROPY_BITS


__all__ = ["Finding", "scan_submission", "scan_file", "scan_source", "entropy_bits"]
