"""Where a grading's hidden seed comes from: one secret per deployment, one seed per submission.

The seed is HMAC-SHA256(secret, digest of the submission's files), so

- regrading the same files gives the same hidden inputs, the same training
  and therefore the same scores and messages;
- changing any file changes the hidden inputs (feedback from one grading does
  not tell the answers of the next);
- without the secret, nobody can compute the seed of a submission.

The secret is created by ``build`` into the Gradescope zip, or, when the
grader runs from a checkout, on first use in ``autograder/grading_secret``
with mode 0600 (as root, the student's uid cannot read it, nor the folder it
is in: see ``sandbox.protection``). ``grade --seed`` overrides it all.

Nothing is drawn from the seed directly: it names the grading's keys (keys.py), one per
purpose, so that what the student's code is handed tells nothing about the rest.
"""
import hashlib
import hmac
import os
import secrets
import tempfile

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # autograder/: the zip holds the secret there
SECRET_NAME = "grading_secret"        # build.py never copies a local one into a zip
SECRET_PATH = os.path.join(HERE, SECRET_NAME)
# 62 bits: the sandbox sees values derived from the seed (keys.py), so the seed must be too
# large to search for or tabulate, as 2**31 seeds could be (a table of 2**31 entries).
SEED_RANGE = 2 ** 62


def new_secret():
    return secrets.token_hex(32).encode("ascii")


def deployment_secret(path=SECRET_PATH):
    """The deployment's secret: read from ``path``, created there (mode 0600) on first use.

    Creation is atomic (a complete temporary file hard-linked into place), so
    gradings that start together all read the same secret.
    """
    try:
        with open(path, "rb") as f:
            secret = f.read().strip()
        if secret:
            return secret
    except FileNotFoundError:
        pass
    folder = os.path.dirname(path)
    handle, temporary = tempfile.mkstemp(prefix=".secret-", dir=folder)
    try:
        os.fchmod(handle, 0o600)
        with os.fdopen(handle, "wb") as out:
            out.write(new_secret() + b"\n")
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another grading created it first: use theirs
    finally:
        os.unlink(temporary)
    with open(path, "rb") as f:
        return f.read().strip()


def submission_digest(files):
    """SHA-256 of a submission's files, ``{file name: path}``, independent of where they are."""
    digest = hashlib.sha256()
    for name in sorted(files):
        with open(files[name], "rb") as f:
            content = f.read()
        encoded = name.encode("utf-8")
        digest.update(len(encoded).to_bytes(8, "big") + encoded + len(content).to_bytes(8, "big") + content)
    return digest.digest()


def submission_seed(secret, files):
    """The hidden seed of the submission made of ``files``: HMAC(secret, their digest), in [0, 2**62)."""
    mac = hmac.new(secret, submission_digest(files), hashlib.sha256).digest()
    return int.from_bytes(mac[:8], "big") % SEED_RANGE
