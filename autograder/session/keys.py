"""Every random value of one grading, each drawn from a key of its own.

A grading has one seed (seeding.py: from the deployment's secret and the submission's
files, or ``grade --seed``). Nothing is drawn from the seed itself. The seed names a
root key, SHA-256 of a label and the seed, and each purpose gets its own key,
HMAC-SHA256(root, purpose):

- what the student's code is shown or handed (the inputs of the visible tests, every
  ``rng`` and ``seed`` passed to its functions) comes from purposes of its own;
- what must stay unknown to it (the inputs of hidden tests until it is called with them,
  the training subset and its order, the class renaming, the pixel order, the noise on
  the test images) comes from others.

HMAC is a pseudo-random function: however many values of one purpose the student's code
sees, they tell nothing about another purpose's key, and the root cannot be searched for
either, since the seed has 62 bits (seeding.SEED_RANGE). So nothing the sandbox sees lets
it compute the renaming or the pixel order, and the seed handed to ``train_torch`` is an
ordinary random number, as the contract says.
"""
import hashlib
import hmac

import numpy as np

ROOT_LABEL = b"autograder grading key v1\0"
STUDENT_SEED_RANGE = 2 ** 31   # what np.random.default_rng, torch.manual_seed and friends all accept


class GradingKeys:
    """Keys, generators and seeds of one grading, by purpose (a tuple of names)."""

    def __init__(self, seed):
        self.seed = int(seed)
        self._root = hashlib.sha256(ROOT_LABEL + str(self.seed).encode("ascii")).digest()

    def key(self, *purpose):
        """The 32-byte key of ``purpose`` (e.g. ``("inputs", "test_sigmoid")``)."""
        if not purpose:
            raise ValueError("a purpose is needed")
        message = "\x1f".join(str(part) for part in purpose).encode("utf-8")
        return hmac.new(self._root, message, hashlib.sha256).digest()

    def generator(self, *purpose):
        """A NumPy generator seeded with all 256 bits of ``purpose``'s key."""
        return np.random.default_rng(np.random.SeedSequence(int.from_bytes(self.key(*purpose), "big")))

    def student_seed(self, *purpose):
        """A seed in [0, 2**31) to hand to student code (``train_torch``'s ``seed``, an ``rng``'s seed)."""
        return int.from_bytes(self.key("student seed", *purpose)[:8], "big") % STUDENT_SEED_RANGE


__all__ = ["GradingKeys", "STUDENT_SEED_RANGE"]
