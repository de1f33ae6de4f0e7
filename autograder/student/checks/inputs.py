"""The small problems the checks run the student's functions on."""
import numpy as np


def away_from_zero(rng, shape, scale=2.0):
    x = rng.normal(0, scale, size=shape)
    return np.where(np.abs(x) < 0.1, 0.1 * np.sign(x) + 0.1 * (x == 0), x)


def blobs(rng, n_per_class, centers, spread=0.3):
    centers = np.asarray(centers, dtype=float)
    X = np.concatenate([c + spread * rng.normal(size=(n_per_class, centers.shape[1])) for c in centers])
    y = np.repeat(np.arange(len(centers)), n_per_class)
    return X, y


def small_params(rng, d=4, dh=5, m=3):
    def weights(shape):
        w = rng.uniform(-1, 1, size=shape)
        return np.where(np.abs(w) < 0.05, 0.05, w)  # away from the kink of |w|
    return {"W1": weights((dh, d)), "b1": rng.normal(0, 0.1, size=dh),
            "W2": weights((m, dh)), "b2": rng.normal(0, 0.1, size=m)}
