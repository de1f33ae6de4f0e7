"""How far apart two correct computations of the same training may land: a tolerance from the dtypes.

The contract lets a training function given float32 data compute in float32 and
return float32 parameters. The grader replays training in float64, so its
comparisons of trained parameters allow the rounding of the coarsest float dtype
involved (the data it sent and the arrays that came back), measured relative to
the size of the parameters, and no more: a wrong order of the examples, a wrong
step or a dropped mini-batch moves the parameters by about 1e-3 of their size or
more on the grader's problems, float32 rounding by about 1e-7.
"""
import numpy as np

from autograder.judge.compare import ATOL, RTOL

# Replays of a few SGD steps in float32 and in float64 agree to ~2 units in the last place
# of float32 (1.7e-7 of the parameters' size at most over 30 problems); 128 units (1.5e-5)
# leave a wide margin and stay 50 times below the smallest gap that a wrong order of the
# examples made on the same problems (8.8e-4).
ROUNDING_ULPS = 128
# float64 computations that differ only in the order of their sums agree to ~1e-15; the
# floor keeps float64 comparisons clear of that, and as far from any bug as before (1e-7).
FLOAT64_FLOOR = 1e-9
# Differences below this share of the parameters' size are rounding of some kind (float32
# where float64 was returned, float16...), far below the gap any wrong algorithm makes.
ROUNDING_CEILING = 2e-4
ACCEPTED = (np.dtype(np.float32), np.dtype(np.float64))


def float_dtypes(*values):
    """The float dtypes among ``values`` (arrays, dicts or sequences of arrays, dtypes); ints and bools
    are exact and add none. A Python float counts as float64."""
    found = []
    for value in values:
        if isinstance(value, dict):
            found += float_dtypes(*value.values())
        elif isinstance(value, (list, tuple)):
            found += float_dtypes(*value)
        elif isinstance(value, np.dtype):
            found += [value] if value.kind == "f" else []
        elif isinstance(value, (np.ndarray, np.generic)):
            found += [value.dtype] if value.dtype.kind == "f" else []
        elif isinstance(value, float):
            found.append(np.dtype(np.float64))
    return found


def coarsest(*values):
    """The least precise float dtype among ``values`` (float64 when there is none)."""
    dtypes = float_dtypes(*values) or [np.dtype(np.float64)]
    return max(dtypes, key=lambda dtype: np.finfo(dtype).eps)


def rounding_rtol(dtype):
    """The tolerance, relative to the parameters' size, of a replay computed in ``dtype``."""
    return max(ROUNDING_ULPS * float(np.finfo(dtype).eps), FLOAT64_FLOOR)


def dtype_problem(returned, what):
    """A message when the returned arrays use a float dtype coarser than float32 (None otherwise)."""
    coarse = sorted({str(d) for d in float_dtypes(returned) if d not in ACCEPTED})
    if not coarse:
        return None
    return (f"{what} returned arrays of dtype {', '.join(coarse)}: compute in float32 or float64 "
            "(float16 rounding, about 1e-3, is as large as the mistakes the grader has to tell apart).")


def size_of(*arrays):
    """The size the gaps are measured against: the largest magnitude of any entry (at least 1e-12)."""
    largest = [float(np.max(np.abs(a))) for a in arrays if np.size(a)]
    return max(largest + [1e-12])


def relative_gap(got, expected, keys, scale):
    """The largest entrywise difference between two parameter dicts, relative to ``scale``."""
    with np.errstate(all="ignore"):
        worst = max(float(np.max(np.abs(np.asarray(got[k], dtype=float) - np.asarray(expected[k], dtype=float))))
                    for k in keys)
    return worst / scale if np.isfinite(worst) else np.inf


def explain_gap(smallest, rtol, dtype):
    """One sentence that says whether the smallest gap found is rounding or a different algorithm."""
    allowed = f"rounding in {dtype} (the coarsest dtype of the data and of what came back) allows {rtol:.1g}"
    if smallest <= ROUNDING_CEILING:
        return (f"The closest replay differs by {smallest:.2g} of the parameters' size: only rounding, but more "
                f"than {allowed}. The algorithm looks right; do you compute in float32 (or lower) and convert "
                "the result to float64? Return float32 arrays as they are (float32 is accepted), or compute "
                "in float64.")
    return (f"The closest replay differs by {smallest:.2g} of the parameters' size, far more than {allowed}: "
            "not a rounding difference but a different algorithm.")


def tolerances(expected, *involved):
    """``assert_close`` tolerances for trained values: the default ones, widened to the rounding of the
    coarsest float dtype ``involved`` (relative to the size of ``expected``)."""
    rtol = rounding_rtol(coarsest(*involved))
    return {"rtol": max(RTOL, rtol), "atol": max(ATOL, rtol * size_of(expected))}
