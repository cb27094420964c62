"""Every stored notebook follows the series' conventions (SERIES.md), as a learner will open it."""

import ast
import builtins
import math
import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb"))
BINDER = "https://mybinder.org/v2/gh/kvtvp/keras-vs-tensorflow-vs-pytorch/HEAD?labpath=notebooks%2F{}"
SECTIONS = ["the claim under test", "learning objectives", "time needed", "## verdict", "## exercises",
            "## solutions", "## key points", "## sources"]


def test_the_series_has_its_first_notebook():
    assert NOTEBOOKS and NOTEBOOKS[0].name == "00_introduction.ipynb"


@pytest.fixture(params=NOTEBOOKS, ids=lambda p: p.name)
def notebook(request):
    return request.param, nbformat.read(request.param, as_version=4)


def test_opens_with_title_and_binder_link_to_itself(notebook):
    path, nb = notebook
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith(f"# {path.name[:2]} · ")
    assert BINDER.format(path.name) in first.source


COMPARISON_2019 = "https://www.atlassystems.com/blog/tensorflow-vs-keras-vs-pytorch-which-framework-is-the-best/"


def test_the_2019_comparison_is_linked_where_its_claim_is_quoted_and_in_the_sources(notebook):
    _, nb = notebook
    claim = next(line for line in nb.cells[0].source.splitlines() if "The claim under test" in line)
    assert f"2019 comparison]({COMPARISON_2019})" in claim
    sources = next(c.source for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("## Sources"))
    assert COMPARISON_2019 in sources


def test_has_every_section_in_order(notebook):
    _, nb = notebook
    prose = "\n".join(c.source.lower() for c in nb.cells if c.cell_type == "markdown")
    positions = [prose.find(section) for section in SECTIONS]
    missing = [s for s, p in zip(SECTIONS, positions, strict=True) if p < 0]
    assert not missing, f"missing sections: {missing}"
    assert positions == sorted(positions), "sections out of order"


def test_setup_is_the_first_code_cell(notebook):
    _, nb = notebook
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert re.match(r"from utils\.setup import setup; \w+ = setup\(.*\)", code[0].source)


def test_setup_output_is_not_compared_and_minutes_are_in_the_metadata(notebook):
    """The device report differs on every machine; the workshop guide reads the minutes from the metadata."""
    _, nb = notebook
    first = next(c for c in nb.cells if c.cell_type == "code")
    assert "nbval-ignore-output" in first.metadata.get("tags", [])
    minutes = nb.metadata.get("kvtvp", {})
    assert all(isinstance(minutes.get(k), int) and minutes[k] > 0 for k in ("teaching_minutes", "exercise_minutes")), \
        f"notebook metadata needs kvtvp teaching_minutes and exercise_minutes, got {minutes}"


def test_stored_as_run_top_to_bottom_without_errors(notebook):
    _, nb = notebook
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1))
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors, errors[0]


def test_solutions_are_hidden_and_checked(notebook):
    _, nb = notebook
    solutions = [c for c in nb.cells if "solution" in c.metadata.get("tags", [])]
    assert len(solutions) >= 2, "2-3 exercises, each with a solution"
    for cell in solutions:
        assert cell.metadata.get("jupyter", {}).get("source_hidden") is True
        assert re.search(r"^\s*(\w+\.)?check\w*\(", cell.source, re.M), "each solution runs its exercise's check"
        printed = "".join(o.get("text", "") for o in cell.outputs)
        assert re.search(r"^Exercise .+: correct$", printed, re.M) and "not yet" not in printed, printed


# ---- issue 13: exercises that do not give their answers away, sources with URLs, short cells -------------------

MAX_CODE_LINES, MAX_MARKDOWN_WORDS = 25, 200
TOO_LONG_ALLOWED = {}  # {(notebook name, cell index): reason}; empty: every cell fits
URL = re.compile(r"https?://[^\s)>\]]+")
# the generic checks, whose third positional argument is the expected answer (check) or the cases (check_function)
GENERIC_CHECKS = {f"{m}.{f}" for m in ("utils.exercises", "exercises") for f in ("check", "check_function")}
NUMBER = re.compile(r"(?<![\w.])-?(\d+)(?:\.(\d+))?(?:[eE]([-+]?\d+))?(?![\w.]*\w)")


def _headed(nb, heading):
    """Index of the first markdown cell with a line starting `heading` (case-insensitive), or None."""
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and any(
                line.lower().startswith(heading) for line in cell.source.splitlines()):
            return i
    return None


def _dotted(node):
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    return ".".join([node.id, *reversed(parts)]) if isinstance(node, ast.Name) else None


def _imports(nb):
    """Local name -> 'module.name' for every `from module import name [as local]` in the notebook's code."""
    found = {}
    for cell in nb.cells:
        if cell.cell_type == "code":
            for node in ast.walk(_parse(cell.source)):
                if isinstance(node, ast.ImportFrom):
                    found.update({a.asname or a.name: f"{node.module}.{a.name}" for a in node.names})
    return found


def _parse(source):
    try:
        return ast.parse(source)
    except SyntaxError:  # a cell with IPython magics: no checks to read
        return ast.Module(body=[], type_ignores=[])


def _check_calls(source, imports):
    """(exercise number, call, expected expression or cases, else None) for each check call in a cell."""
    for call in ast.walk(_parse(source)):
        name = _dotted(call.func) if isinstance(call, ast.Call) else None
        if not name or not name.rsplit(".", 1)[-1].startswith("check") or not call.args:
            continue
        first = call.args[0]
        number = re.match(r"\s*(\d+)", str(first.value)) if isinstance(first, ast.Constant) else None
        if number:
            expected = next((k.value for k in call.keywords if k.arg in ("expected", "cases")), None)
            if expected is None and imports.get(name, name) in GENERIC_CHECKS and len(call.args) > 2:
                expected = call.args[2]
            yield number.group(1), call, expected


def _constant(node):
    """The value of an expression made of literals and arithmetic, else raise ValueError."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_constant(node.operand)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub | ast.Mult | ast.Div | ast.Pow):
        left, right = _constant(node.left), _constant(node.right)
        return {ast.Add: lambda: left + right, ast.Sub: lambda: left - right, ast.Mult: lambda: left * right,
                ast.Div: lambda: left / right, ast.Pow: lambda: left**right}[type(node.op)]()
    raise ValueError("not a constant expression")


def _answer_leaves(node):
    """The literal values an answer is made of (numbers and strings), where they are literal.

    For check_function's cases, a list of (args, expected) pairs, only the expected values count.
    """
    elts = getattr(node, "elts", None)
    if elts and all(isinstance(e, ast.Tuple) and len(e.elts) == 2 and isinstance(e.elts[0], ast.Tuple) for e in elts):
        return [leaf for e in elts for leaf in _answer_leaves(e.elts[1])]
    try:
        value = _constant(node)
        return [value] if isinstance(value, int | float | str) and not isinstance(value, bool) else []
    except (ValueError, TypeError, ZeroDivisionError, OverflowError):
        pass
    children = node.values if isinstance(node, ast.Dict) else getattr(node, "elts", [])
    return [leaf for child in children for leaf in _answer_leaves(child)]


def _answer_expression(call, solution_tree):
    """The solution's answer: the check's second argument, or what the cell last assigned to that name."""
    answer = call.args[1] if len(call.args) > 1 else next(
        (k.value for k in call.keywords if k.arg in ("answer", "func")), None)
    if isinstance(answer, ast.Name):
        assigned = [n.value for n in ast.walk(solution_tree) if isinstance(n, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == answer.id for t in n.targets)]
        return assigned[-1] if assigned else None
    return answer


def _number_in_text(value, text):
    """Does `text` show the number `value` (itself, or rounded to the digits the text gives)?"""
    if isinstance(value, int) and abs(value) <= 10:  # small integers are everywhere: no evidence
        return False
    for match in NUMBER.finditer(text):
        whole, decimals, exponent = match.groups()
        shown = float(match.group(0))
        if decimals is None and exponent is None:
            if float(value) == shown and (abs(shown) > 10 or not float(value).is_integer()):
                return True
            continue
        step = 10.0 ** (int(exponent or 0) - len(decimals or ""))
        if abs(shown - value) <= step / 2 * (1 + 1e-9) and abs(shown) >= step:
            return True
    return False


def _outputs_text(cell):
    texts = []
    for output in cell.get("outputs", []):
        texts.append(output.get("text", ""))
        texts.extend(str(v) for k, v in output.get("data", {}).items() if k.startswith("text/"))
    return "\n".join(texts)


def exercise_giveaways(nb):
    """Problems: an exercise (cells between '## Exercises' and '## Solutions') holds its own answer.

    From each solution's check call (read with `ast`): the helpers that compute the answer (its
    `forbidden_calls` and the calls in its expected expression) and the answer's literal values.
    The exercise's own cell, its stored output and the markdown of the exercises section above it
    must not name those helpers (outside the check's own arguments) nor show those values, and an
    expected value passed in the exercise cell must be a call to one of its forbidden helpers.
    """
    start, end = _headed(nb, "## exercises"), _headed(nb, "## solutions")
    if start is None or end is None:
        return ["no '## Exercises' or '## Solutions' heading"]
    imports, problems, exercises = _imports(nb), [], {}
    assigned = {t.id: n.value for c in nb.cells[:end] if c.cell_type == "code" for n in ast.walk(_parse(c.source))
                if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
    for i in range(start, end):
        for number, call, expected in _check_calls(nb.cells[i].source, imports):
            exercises.setdefault(number, (i, call, expected))
    for cell in nb.cells[end:]:
        if "solution" in cell.metadata.get("tags", []):
            for number, call, expected in _check_calls(cell.source, imports):
                if number not in exercises:
                    problems.append(f"exercise {number} has a solution but no check in the exercises section")
                    continue
                index, exercise_call, exercise_expected = exercises[number]
                if isinstance(expected, ast.Name):  # computed in a cell above: read how
                    expected = assigned.get(expected.id, expected)
                above = [c.source for c in nb.cells[start:index] if c.cell_type == "markdown"]
                problems += [f"exercise {number}: {p}" for p in _giveaways(
                    nb.cells[index], above, (exercise_call, exercise_expected), (call, expected, _parse(cell.source)))]
    return problems


def _last(name):
    return name.rsplit(".", 1)[-1]


def _without_check_arguments(source):
    """The cell's text (comments included) without the arguments its checks get from the author."""
    lines = source.splitlines()
    for call in ast.walk(_parse(source)):
        if isinstance(call, ast.Call) and _last(_dotted(call.func) or "").startswith("check"):
            for node in call.args[2:] + [k.value for k in call.keywords if k.arg not in ("name", "answer", "func")]:
                for row in range(node.lineno - 1, node.end_lineno):
                    first = node.col_offset if row == node.lineno - 1 else 0
                    last = node.end_col_offset if row == node.end_lineno - 1 else len(lines[row])
                    lines[row] = lines[row][:first] + " " * (last - first) + lines[row][last:]
    return "\n".join(lines)


def _giveaways(exercise, above, exercise_check, solution_check):
    """What gives one exercise's answer away (see exercise_giveaways)."""
    (exercise_call, exercise_expected), (call, expected, tree) = exercise_check, solution_check
    forbidden = {_last(e.value) for k in call.keywords + exercise_call.keywords if k.arg == "forbidden_calls"
                 for e in getattr(k.value, "elts", []) if isinstance(e, ast.Constant)}
    helpers = forbidden | {_last(name) for node in ast.walk(expected or ast.Module(body=[], type_ignores=[]))
                           if isinstance(node, ast.Call) and (name := _dotted(node.func)) and name not in dir(builtins)}
    problems = []
    if exercise_expected is not None and not (isinstance(exercise_expected, ast.Call) and _dotted(
            exercise_expected.func) and _last(_dotted(exercise_expected.func)) in forbidden):
        problems.append(f"the exercise cell writes its expected answer ({ast.unparse(exercise_expected)[:60]}): "
                        "compute it inside the check, or pass a helper's call and name it in forbidden_calls")
    learners_part = _without_check_arguments(exercise.source)
    named = {h for h in helpers for text in [learners_part, *above] if re.search(rf"\b{re.escape(h)}\b", text)}
    if named:
        problems.append(f"names the helper that computes its answer: {sorted(named)}")
    leaves = _answer_leaves(_answer_expression(call, tree)) + (_answer_leaves(expected) if expected else [])
    shown_in = [exercise.source, _outputs_text(exercise), *above]
    numbers = [v for v in leaves if not isinstance(v, str) and any(_number_in_text(v, t) for t in shown_in)]
    strings = {v for v in leaves if isinstance(v, str) and v.strip()} & {
        n.value for n in ast.walk(_parse(exercise.source)) if isinstance(n, ast.Constant)}
    if numbers or strings:
        problems.append(f"shows its answer above or in its cell: {numbers + sorted(strings)}")
    return problems


def sources_problems(nb):
    """Problems: no '## Sources' section with a URL (markdown, or a code cell's stored output there)."""
    start = _headed(nb, "## sources")
    if start is None:
        return ["no '## Sources' section"]
    heading = nb.cells[start].source.lower().index("## sources")
    texts = [nb.cells[start].source[heading:]] + [
        c.source if c.cell_type == "markdown" else _outputs_text(c) for c in nb.cells[start + 1:]]
    problems = [] if any(URL.search(t) for t in texts) else ["the '## Sources' section has no URL"]
    outside = sorted({m for c in nb.cells if c.cell_type == "markdown"
                      for m in re.findall(r"facts\.md|SERIES\.md", c.source)})
    return problems + ([f"cites files outside the repository: {outside}"] if outside else [])


def length_problems(nb, name=""):
    """Problems: a code cell over 25 lines or a markdown cell over 200 words (unless allow-listed)."""
    problems = []
    for i, cell in enumerate(nb.cells):
        if (name, i) in TOO_LONG_ALLOWED:
            continue
        if cell.cell_type == "code" and len(cell.source.splitlines()) > MAX_CODE_LINES:
            problems.append(f"cell {i}: {len(cell.source.splitlines())} lines of code (at most {MAX_CODE_LINES})")
        if cell.cell_type == "markdown" and len(cell.source.split()) > MAX_MARKDOWN_WORDS:
            problems.append(f"cell {i}: {len(cell.source.split())} words (at most {MAX_MARKDOWN_WORDS})")
    return problems


def minutes_problems(nb):
    """Problems: the metadata lacks kvtvp teaching_minutes and exercise_minutes (positive ints)."""
    minutes = nb.metadata.get("kvtvp", {})
    return [f"metadata kvtvp.{k} must be a positive int, got {minutes.get(k)!r}"
            for k in ("teaching_minutes", "exercise_minutes")
            if not (isinstance(minutes.get(k), int) and not isinstance(minutes.get(k), bool) and minutes[k] > 0)]


# A number printed in scientific notation, or with four zeros after the point: the forms rounding noise takes.
SMALL_NUMBER = re.compile(r"(?<![\w.])-?(\d+(?:\.\d+)?[eE][-+]?\d+|0\.0000\d+)(?![\w.])")


def rounding_noise_problems(nb):
    """Problems: a compared output (no nbval-ignore-output tag) prints a number below 1e-4 that is not a power of ten.

    Float32 rounding noise (1e-8, 1.2e-07, 0.0e+00) changes with the CPU, its BLAS kernel and the thread count;
    print "below 1e-6 (tolerance 1e-5)" instead (utils.tables.difference), or print the value in a cell whose
    output is not compared. A power of ten (1e-05, 1e-07) is a stated tolerance or default, not a measurement.
    """
    problems = []
    code = [c for c in nb.cells if c.cell_type == "code"]
    for number, cell in enumerate(code, 1):
        if "nbval-ignore-output" in cell.metadata.get("tags", []):
            continue
        for line in _outputs_text(cell).splitlines():
            for match in SMALL_NUMBER.finditer(line):
                value = abs(float(match.group(1)))
                if value < 1e-4 and not (value and 10 ** round(math.log10(value)) == value):
                    problems.append(f"code cell {number} prints {match.group(1)}, rounding noise? {line.strip()[:90]}")
    return problems


def test_compared_outputs_print_no_rounding_noise(notebook):
    path, nb = notebook
    problems = rounding_noise_problems(nb)
    assert not problems, f"{path.name}: " + "; ".join(problems)


def test_exercises_do_not_give_their_answers_away(notebook):
    _, nb = notebook
    assert not exercise_giveaways(nb)


def test_sources_have_urls_and_stay_inside_the_repository(notebook):
    _, nb = notebook
    assert not sources_problems(nb)


def test_cells_are_short(notebook):
    path, nb = notebook
    assert not length_problems(nb, path.name)


def test_minutes_are_in_the_metadata(notebook):
    _, nb = notebook
    assert not minutes_problems(nb)


# ---- each rule fails on a synthetic bad notebook ----------------------------------------------------------------

def _synthetic(exercise_cells, solution_cells, sources="## Sources\n- Keras: https://keras.io", minutes=(20, 10)):
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    solutions = [code(s, metadata={"tags": ["solution"]}) for s in solution_cells]
    nb = nbformat.v4.new_notebook(cells=[
        md("# 99 · Synthetic"), code("from utils.exercises import check, check_function"),
        md("## Exercises\n**Exercise 1.** Which framework, and how many MB?"),
        *[code(c) if not c.startswith("md:") else md(c[3:]) for c in exercise_cells],
        md("## Solutions"), *solutions, md(sources)])
    nb.metadata["kvtvp"] = {"teaching_minutes": minutes[0], "exercise_minutes": minutes[1]}
    return nb


GOOD_EXERCISE = 'answer_1 = ...  # a number\nstreaming.check_exercise("1: MB", answer_1)'
GOOD_SOLUTION = 'answer_1 = 2 * 4 * 4096 * 65 * 4 / 1e6\nstreaming.check_exercise("1: MB", answer_1)'


def test_a_good_synthetic_notebook_passes_every_rule():
    nb = _synthetic([GOOD_EXERCISE], [GOOD_SOLUTION])
    assert not exercise_giveaways(nb) and not sources_problems(nb) and not length_problems(nb)
    assert not minutes_problems(nb)


@pytest.mark.parametrize("exercise, solution, problem", [
    ('answer_1 = ...\ncheck("1: x", answer_1, 3 * x0**2)', 'check("1: x", 3 * x0**2, 3 * x0**2)',
     "writes its expected answer (3 * x0 ** 2)"),
    ('answer_1 = ...\ncheck("1: eps", answer_1, equivalence.eps(3))', 'check("1: eps", 0.5, equivalence.eps(3))',
     "writes its expected answer"),  # a helper computes it, but calling it is not caught: no forbidden_calls
    ('cases = [((3,), eps(3))]\nf = ...\ncheck_function("1: f", f, cases)',
     'cases = [((3,), eps(3))]\ncheck_function("1: f", lambda s: 0.5, cases)', "names the helper"),
    ('f = ...\ncheck_function("1: f", f, [((0.99,), 0.01)])',
     'check_function("1: f", lambda m: 1 - m, [((0.99,), 0.01)])', "writes its expected answer"),
    ('answer_1 = ...  # use recommender.leader_weight to see\nrecommender.check_exercise("1: w", answer_1)',
     'recommender.check_exercise("1: w", 2.5, forbidden_calls=["recommender.leader_weight"])', "names the helper"),
    ("md:Hint: `leader_weight` tells you.", 'answer_1 = ...\nrecommender.check_exercise("1: w", answer_1)\n'
     '# solution\nrecommender.check_exercise("1: w", 2.5, forbidden_calls=["leader_weight"])', "names the helper"),
    ("md:A DataLoader holds about 8.5 MB.", 'streaming.check_exercise("1: MB", 2 * 4 * 4096 * 65 * 4 / 1e6)',
     "shows its answer above or in its cell: [8.51968]"),
    ('answer_1 = "pytorch"  # or "keras"\npopularity.check_exercise("1: which", answer_1)',
     'popularity.check_exercise("1: which", "pytorch")', "shows its answer above or in its cell: ['pytorch']"),
    (GOOD_EXERCISE, 'streaming.check_exercise("2: MB", 8.5)', "exercise 2 has a solution but no check"),
])
def test_an_exercise_that_gives_its_answer_away_fails(exercise, solution, problem):
    cells = [exercise] if not exercise.startswith("md:") else [exercise, solution.split("\n# solution\n")[0]]
    problems = exercise_giveaways(_synthetic(cells, [solution.split("\n# solution\n")[-1]]))
    assert any(problem in p for p in problems), problems


def test_the_exercise_check_may_pass_a_forbidden_helpers_call():
    exercise = 'f = ...\ncheck_function("1: eps", f, cases=eps_cases(), forbidden_calls=["equivalence.eps_cases"])'
    solution = 'check_function("1: eps", lambda s: 0.5, cases=eps_cases(), forbidden_calls=["equivalence.eps_cases"])'
    assert not exercise_giveaways(_synthetic([exercise], [solution]))


@pytest.mark.parametrize("sources, problem", [
    ("## Sources\n- Keras README (keras-team/keras).", "no URL"),
    ("## Key points\n- none", "no '## Sources' section"),
    ("## Sources\n- https://keras.io\n- the fact sheet, facts.md", "outside the repository: ['facts.md']"),
])
def test_sources_without_a_url_fail(sources, problem):
    problems = sources_problems(_synthetic([GOOD_EXERCISE], [GOOD_SOLUTION], sources=sources))
    assert any(problem in p for p in problems), problems


def test_sources_listed_by_code_count_through_the_stored_output():
    nb = _synthetic([GOOD_EXERCISE], [GOOD_SOLUTION], sources="## Sources\nListed from the CSV:")
    listing = nbformat.v4.new_code_cell("Markdown(sources_markdown())", outputs=[nbformat.v4.new_output(
        "display_data", data={"text/markdown": "- PyPI: https://pypistats.org", "text/plain": "<Markdown>"})])
    assert sources_problems(nb)
    nb.cells.append(listing)
    assert not sources_problems(nb)


def test_long_cells_fail():
    nb = _synthetic([GOOD_EXERCISE + "\n" + "x = 1\n" * 24, "md:" + "word " * 201], [GOOD_SOLUTION])
    assert length_problems(nb) == ["cell 3: 26 lines of code (at most 25)", "cell 4: 201 words (at most 200)"]


@pytest.mark.parametrize("minutes", [(0, 10), (20, None), ("20", 10), (20, True)])
def test_missing_minutes_fail(minutes):
    assert minutes_problems(_synthetic([GOOD_EXERCISE], [GOOD_SOLUTION], minutes=minutes))


@pytest.mark.parametrize("printed, flagged", [
    ("largest difference 8.9e-08", True), ("Keras  0.0e+00", True), ("mean 1.4901161193847656e-08", True),
    ("gap 0.0000012", True), ("largest difference below 1e-6 (tolerance 1e-5)", False),
    ("within 1e-05; Adam epsilon 1e-07", False), ("loss 1.921, accuracy 0.9556, 3.2e+03 steps", False),
])
def test_rounding_noise_in_a_compared_output_fails(printed, flagged):
    nb = _synthetic([GOOD_EXERCISE], [GOOD_SOLUTION])
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text=printed + "\n")]
    assert bool(rounding_noise_problems(nb)) == flagged
    nb.cells[1].metadata["tags"] = ["nbval-ignore-output"]
    assert not rounding_noise_problems(nb)


# ---- issue 21: a checkpoint inside each lesson; a prediction never answered by an output above it -------------

CHECKPOINT_MD = re.compile(r"^\*\*Checkpoint \((predict|decide)[^)]*\)", re.I)
PREDICTS = re.compile(r"\b(predict|decide)", re.I)


def checkpoint_problems(nb):
    """Problems: no code cell tagged `checkpoint` (after a "**Checkpoint (predict)...**" cell) before "## Verdict"."""
    verdict = next((i for i, c in enumerate(nb.cells) if c.cell_type == "markdown"
                    and re.search(r"^## Verdict", c.source, re.M)), None)
    if verdict is None:
        return ["no '## Verdict' section"]
    found = [i for i, c in enumerate(nb.cells[:verdict]) if c.cell_type == "code"
             and "checkpoint" in c.metadata.get("tags", [])]
    if not found:
        return ["no code cell tagged 'checkpoint' before the Verdict section"]
    asked = [i for i in found if any(CHECKPOINT_MD.match(c.source) for c in nb.cells[:i] if c.cell_type == "markdown")]
    return [] if asked else ["the checkpoint has no '**Checkpoint (predict|decide)**' markdown cell above it"]


def _assigned_answers(source):
    """{name: literal leaves} for each `name = <literal>` in a cell."""
    return {t.id: _answer_leaves(n.value) for n in ast.walk(_parse(source)) if isinstance(n, ast.Assign)
            for t in n.targets if isinstance(t, ast.Name)}


def _shows(value, text):
    if isinstance(value, str):
        return bool(value.strip()) and re.search(rf"(?<!\w){re.escape(value)}(?!\w)", text) is not None
    return _number_in_text(value, text)


CHOOSES_A_ROW = re.compile(r"\bof the table\b|\bas the table spells it\b")


def prediction_leaks(nb):
    """Problems: a predict/decide exercise (checkpoint or end exercise) whose answer is printed above it.

    An exercise cell holds `name = ...` (the learner's answer) and follows a markdown cell saying predict or
    decide; its solution is the cell tagged `solution` that assigns `name` a literal. That literal must not
    appear in any stored output above the exercise cell; a set of answers, not all on one output line. A
    decision among the rows of a table the question points to ("which path of the table") shows every
    option by design, so its answer's name is not a leak; the decision is.
    """
    solutions = [c for c in nb.cells if "solution" in c.metadata.get("tags", [])]
    problems = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or cell in solutions:
            continue
        blanks = [t.id for n in ast.walk(_parse(cell.source)) if isinstance(n, ast.Assign)
                  and isinstance(n.value, ast.Constant) and n.value.value is Ellipsis
                  for t in n.targets if isinstance(t, ast.Name)]
        question = next((c.source for c in reversed(nb.cells[:i]) if c.cell_type == "markdown"), "")
        if not blanks or not PREDICTS.search(question.split("\n", 1)[0] + question[:200]):
            continue
        outputs = "\n".join(_outputs_text(c) for c in nb.cells[:i] if c.cell_type == "code")
        for name in blanks:
            for solution in solutions:
                leaves = _assigned_answers(solution.source).get(name, [])
                if len(leaves) > 1:  # a set or list is told only when one output line holds all of it
                    leaked = [line for line in outputs.splitlines() if all(_shows(v, line) for v in leaves)]
                elif CHOOSES_A_ROW.search(question):  # a row of a table the question shows: every option is shown
                    leaked = []
                else:
                    leaked = [v for v in leaves if _shows(v, outputs)]
                if leaked:
                    problems.append(f"cell {i}: the answer to {name} ({leaked}) is printed above it")
    return problems


def test_each_lesson_has_a_checkpoint_before_its_verdict(notebook):
    path, nb = notebook
    assert not checkpoint_problems(nb), f"{path.name}: {checkpoint_problems(nb)}"


def test_no_prediction_is_answered_by_an_output_above_it(notebook):
    path, nb = notebook
    assert not prediction_leaks(nb), f"{path.name}: {prediction_leaks(nb)}"


def _lesson(outputs_above, answer='"twice the gradient"', tagged=True, verdict=True):
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    shown = code("print(g)", outputs=[nbformat.v4.new_output("stream", name="stdout", text=outputs_above)])
    return nbformat.v4.new_notebook(cells=[
        md("# 99 · Synthetic"), shown, md("**Checkpoint (predict).** What does .grad hold?"),
        code('checkpoint_answer = ...\ncheck_prediction("checkpoint: t", checkpoint_answer, f, CHOICES)',
             metadata={"tags": ["checkpoint"] if tagged else []}),
        md("## Verdict" if verdict else "## Summary"), md("## Solutions"),
        code(f'checkpoint_answer = {answer}\ncheck_prediction("checkpoint: t", checkpoint_answer, f, CHOICES)',
             metadata={"tags": ["solution"]})])


def test_a_lesson_without_a_checkpoint_before_its_verdict_fails():
    assert not checkpoint_problems(_lesson("gradient 2.0"))
    assert checkpoint_problems(_lesson("gradient 2.0", tagged=False))
    assert checkpoint_problems(_lesson("gradient 2.0", verdict=False))


@pytest.mark.parametrize("printed, answer, leaks", [
    ("grad is now twice the gradient", '"twice the gradient"', True),
    ("grad [2.2232 1.9726]", '"twice the gradient"', False),
    ("tracing count 12", "12", True),
    ("tracing count 1", "1", False),  # a small integer is no evidence
    ("ms/step 3925.0", "3925", True),
])
def test_a_prediction_answered_above_fails(printed, answer, leaks):
    assert bool(prediction_leaks(_lesson(printed, answer))) == leaks
