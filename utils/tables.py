"""Fixed-width text tables: the one formatter behind every table the helpers print.

Used by every notebook, through the helpers that print tables.

    print(text_table([{"framework": "Keras", "ms": 1.25}], align={"ms": ">"}))
"""

from __future__ import annotations

from utils.checks import check_dict, check_int


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
