"""Hostile: every function raises an exception whose message holds lone surrogates,
terminal escape sequences and a direction override, and prints the same."""
import sys


def _raise(*_args, **_kwargs):
    text = "bad \udcff\ud800 value \x1b[2J\x1b[31m\u202e" * 50
    sys.stdout.buffer.write(b"\xff\xfe\x1b[2J not utf-8\n")
    print(text.encode("utf-8", "surrogatepass").decode("utf-8", "surrogateescape"))
    raise ValueError(text)


sigmoid = softmax = log_softmax = softplus = relu = sign = tanh_prime = _raise
sigmoid_prime = relu_prime = cross_entropy = _raise
