import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))

def softmax(z)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
