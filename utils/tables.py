"""Fixed-width text tables and differences printed as the lesson claims them: the formatters the helpers share.

Used by every notebook, through the helpers that print tables, and by 00 and 05 for differences.

    print(text_table([{"framework": "Keras", "ms": 1.25}], align={"ms": ">"}))
    print(f"largest difference {difference(3.0e-08, 1e-5)}")   # largest difference below 1e-6 (tolerance 1e-5)
"""

from __future__ import annotations

import math

from utils.checks import check_dict, check_int, check_number, is_number

# A difference this far inside its tolerance is printed as "below tolerance / NOISE_FACTOR", never as its value:
# float32 rounding noise (1e-8 to 1e-7) changes with the CPU's vector instructions, BLAS kernel and thread count,
# so a stored output that printed it would fail on the next machine.
NOISE_FACTOR = 10


def text_table(rows, columns=None, align: dict | None = None, gap: int = 2) -> str:
    """Rows (dicts) as a fixed-width table with a header line; numbers right-aligned unless told.

    Args:
        rows: a non-empty list of dicts; every dict has every column (missing cells print as "-").
        columns: the keys to show, in order (default: the first row's keys).
        align: column -> "<" or ">"; by default text is left-aligned and numbers right-aligned.
        gap: spaces between columns.
    Returns:
        The table as one string (no trailing newline). Format numbers before passing them in.
    """
    if not isinstance(rows, list | tuple) or not rows or not all(isinstance(r, dict) for r in rows):
        raise TypeError(f"rows must be a non-empty list of dicts, got {type(rows).__name__}")
    gap = check_int("gap", gap, minimum=1)
    columns = list(rows[0]) if columns is None else list(columns)
    align = check_dict("align", align or {})
    bad = {k: v for k, v in align.items() if v not in ("<", ">")}
    if bad:
        raise ValueError(f"align values must be '<' or '>', got {bad}")

    def side(column):
        numeric = all(isinstance(r.get(column), int | float) for r in rows if r.get(column) is not None)
        return align.get(column, ">" if numeric else "<")

    cells = [[("-" if r.get(c) is None else str(r[c])) for c in columns] for r in rows]
    widths = [max(len(str(c)), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    sides = [side(c) for c in columns]
    lines = [(" " * gap).join(f"{str(c):{s}{w}}" for c, s, w in zip(columns, sides, widths, strict=True))]
    lines += [(" " * gap).join(f"{v:{s}{w}}" for v, s, w in zip(row, sides, widths, strict=True)) for row in cells]
    return "\n".join(line.rstrip() for line in lines)


def _power(x: float) -> str:
    """A power of ten as "1e-6" (0.0001 as "1e-4"); other numbers as :g prints them."""
    exponent = round(math.log10(x))
    return f"1e{exponent}" if math.isclose(10.0**exponent, x, rel_tol=1e-9) else f"{x:g}"


def difference(gap, tolerance) -> str:
    """A largest difference as the lesson claims it, the same text on any CPU.

    "below 1e-6 (tolerance 1e-5)" when `gap` is under a tenth of `tolerance`, "within the tolerance 1e-5"
    when it is nearer, and the value itself only when it is over the tolerance (or not finite): a failure,
    which the caller's assertion reports too. Print the exact value only in a cell whose output is not compared.
    """
    tolerance = check_number("tolerance", tolerance, minimum=0, inclusive=False)
    if not is_number(gap):
        raise TypeError(f"gap must be a number (a largest absolute difference), got {type(gap).__name__}")
    if not math.isfinite(gap):
        return f"not finite ({float(gap)}; tolerance {_power(tolerance)})"
    gap = check_number("gap", gap, minimum=0)
    if gap < tolerance / NOISE_FACTOR:
        return f"below {_power(tolerance / NOISE_FACTOR)} (tolerance {_power(tolerance)})"
    if gap <= tolerance:
        return f"within the tolerance {_power(tolerance)}"
    return f"{gap:.1e}, over the tolerance {_power(tolerance)}"
