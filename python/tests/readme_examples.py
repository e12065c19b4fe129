"""Running the ```python blocks of README.md for `test_readme_python.py`: which block is
which, plain code run statement by statement (with each statement's comment, so a test can
check what the comment promises), and ``>>>`` transcripts run line by line with their shown
output or exception compared (``...`` and ``(...)`` in a shown message stand for any text;
outputs marked "(rounded)" agree to half a unit of their last digit)."""
import ast
import io
import re
import textwrap
import tokenize
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from conftest import REPO_ROOT

README = REPO_ROOT / "README.md"

#: The ```python blocks in README order: (what the block shows, its first line), so that a
#: block added, removed or moved fails `test_readme_python_blocks_are_the_ones_tested`.
BLOCKS = {
    "quickstart": (0, "import numpy as np"),
    "bad_input": (1, ">>> ss.dice_loss(logits, target * 255)"),
    "masks": (2, "roi = np.random.rand(16, 1, 256, 256) > 0.2"),
    "deep_supervision": (3, "outs = [np.random.randn(8, 4, 128 // 2**l, 128 // 2**l).astype(np.float32)"),
    "unet": (4, "import semsegloss_swift as ss"),
    "blas_kernels": (5, ">>> ss.training.blas_kernels()"),
    "loss_schedule": (6, 'trainer = ss.Trainer(model, loss="dice_boundary"'),
    "multiclass_unet": (7, "model = ss.UNet(out_channels=3)"),
    "study": (8, "from semsegloss_swift import study"),
    "empty_targets": (9, ">>> p = np.array([0.5, 0.5, 0.0, 0.0]).reshape(1, 1, 2, 2)"),
    "presets": (10, "import numpy as np, semsegloss_swift as ss"),
    "torch": (11, "import torch, semsegloss_swift.torch as sst"),
}

# ----------------------------------------------------------------------------- README blocks

@dataclass
class Block:
    line: int  # README line of the block's first code line
    text: str  # dedented (a block inside a list item is indented in README)


def python_blocks(text: str) -> List[Block]:
    return [Block(text.count("\n", 0, m.start(1)) + 1, textwrap.dedent(m.group(1)))
            for m in re.finditer(r"```python\n(.*?)```", text, flags=re.S)]


def readme_blocks() -> List[Block]:
    return python_blocks(README.read_text(encoding="utf-8"))


def readme_block(name: str) -> Block:
    __tracebackhide__ = True
    index, first_line = BLOCKS[name]
    blocks = readme_blocks()
    assert index < len(blocks), f"README has {len(blocks)} ```python blocks, the {name} block was #{index}"
    block = blocks[index]
    assert block.text.startswith(first_line), \
        f"README block #{index} (line {block.line}) is no longer the {name} block: it starts {block.text[:60]!r}"
    return block


def substituted(block: Block, pairs) -> Block:
    """The block with each `old` replaced by `new` (same line count, so README lines stay right)."""
    __tracebackhide__ = True
    text = block.text
    for old, new in pairs:
        assert text.count(old) == 1, (f"README block at line {block.line} should hold {old!r} once "
                                      f"(found {text.count(old)}): update this test's substitutions")
        text = text.replace(old, new)
    return Block(block.line, text)


# ----------------------------------------------------------------------------- plain code

@dataclass
class Step:
    """One statement of a block, after it ran."""
    line: int      # README line
    source: str
    comment: str   # its comments and the comment lines right after it
    value: Any = None                                          # an expression statement's value
    bound: Dict[str, Any] = field(default_factory=dict)        # names it assigned, as they were then


def assigned_names(node: ast.stmt) -> List[str]:
    targets = (node.targets if isinstance(node, ast.Assign)
               else [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else [])
    return [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)]


def comments_by_line(text: str) -> Dict[int, str]:
    return {tok.start[0]: tok.string.lstrip("#").strip()
            for tok in tokenize.generate_tokens(io.StringIO(text).readline) if tok.type == tokenize.COMMENT}


def run_code(block: Block, ns: Dict[str, Any]) -> List[Step]:
    """Runs the block's statements one by one in `ns`, as a script would; the first one that
    raises fails the test with its README line."""
    __tracebackhide__ = True
    nodes = ast.parse(block.text).body
    comments = comments_by_line(block.text)
    steps = []
    for k, node in enumerate(nodes):
        last = nodes[k + 1].lineno - 1 if k + 1 < len(nodes) else len(block.text.splitlines())
        step = Step(block.line + node.lineno - 1, ast.get_source_segment(block.text, node),
                    " ".join(comments[i] for i in range(node.lineno, last + 1) if i in comments))
        ast.increment_lineno(node, block.line - 1)  # tracebacks point into README.md
        try:
            if isinstance(node, ast.Expr):
                step.value = eval(compile(ast.Expression(node.value), str(README), "eval"), ns)
            else:
                exec(compile(ast.Module([node], type_ignores=[]), str(README), "exec"), ns)
        except Exception as e:
            raise AssertionError(f"README.md line {step.line}: {step.source!r} raised "
                                 f"{type(e).__name__}: {e}") from e
        step.bound = {n: ns[n] for n in assigned_names(node)}
        steps.append(step)
    return steps


def step_of(steps: List[Step], code: str, says: str = "") -> Step:
    """The one statement starting with `code`; `says`: a claim its README comment makes (the
    caller checks the claim)."""
    __tracebackhide__ = True
    found = [s for s in steps if s.source.startswith(code)]
    assert len(found) == 1, f"README should hold one statement starting {code!r}, found {len(found)}"
    assert says in found[0].comment, \
        f"README.md line {found[0].line}: the comment no longer says {says!r}: {found[0].comment!r}"
    return found[0]


# ----------------------------------------------------------------------------- >>> transcripts

EXCEPTION = re.compile(r"(\w+(?:Error|Exception|Warning)): (.*)", flags=re.S)
ROUNDED = re.compile(r"\s*#\s*\(rounded\)\s*$")
ELISION = re.compile(r"\(\.\.\.\)|\.\.\.")
NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?![\w.])")


@dataclass
class Exchange:
    """One ``>>>`` line with the output README shows under it, after it ran."""
    line: int
    source: str
    shown: str = ""        # README's output, whitespace collapsed ("" for none)
    rounded: bool = False  # README marks the output "(rounded)"
    value: Any = None
    error: Optional[BaseException] = None


def parse_transcript(block: Block) -> List[Exchange]:
    exchanges: List[Exchange] = []
    for offset, raw in enumerate(block.text.splitlines()):
        if raw.startswith(">>> "):
            exchanges.append(Exchange(block.line + offset, raw[4:]))
        elif raw.strip():
            assert exchanges, f"README.md line {block.line + offset}: output before any >>> line"
            text, marks = ROUNDED.subn("", raw)
            ex = exchanges[-1]
            ex.shown = " ".join(f"{ex.shown} {text}".split())
            ex.rounded = ex.rounded or bool(marks)
    return exchanges


def run_transcript(block: Block, ns: Dict[str, Any]) -> List[Exchange]:
    """Runs each ``>>>`` line in `ns`, keeping its value (that of a final expression, as the
    interpreter prints) or the exception it raised."""
    exchanges = parse_transcript(block)
    for ex in exchanges:
        nodes = ast.parse(ex.source).body
        last = nodes.pop() if nodes and isinstance(nodes[-1], ast.Expr) else None
        try:
            exec(compile(ast.Module(nodes, type_ignores=[]), str(README), "exec"), ns)
            if last is not None:
                ex.value = eval(compile(ast.Expression(last.value), str(README), "eval"), ns)
        except Exception as e:
            ex.error = e
    return exchanges


def elided(message: str) -> "re.Pattern[str]":
    """README's message as a pattern: literal text, ``(...)`` and ``...`` standing for any text."""
    parts = ELISION.split(message)
    marks = ELISION.findall(message)
    pattern = re.escape(parts[0])
    for mark, part in zip(marks, parts[1:]):
        pattern += (r"\(.*?\)" if mark == "(...)" else ".*") + re.escape(part)
    return re.compile(pattern, flags=re.S)


def half_unit(shown: str) -> float:
    """Half a unit of the last digit README prints: `shown`'s rounding error."""
    mantissa, _, exponent = shown.lower().partition("e")
    return 0.5 * 10.0 ** (int(exponent or 0) - len(mantissa.partition(".")[2]))


def check_exchange(ex: Exchange) -> None:
    __tracebackhide__ = True
    where = f"README.md line {ex.line}: >>> {ex.source}"
    expected_error = EXCEPTION.fullmatch(ex.shown)
    if expected_error:
        name, message = expected_error.groups()
        assert ex.error is not None, f"{where}\nREADME shows {name}, but it returned {ex.value!r}"
        assert name in [c.__name__ for c in type(ex.error).__mro__], \
            f"{where}\nREADME shows {name}, it raised {type(ex.error).__name__}: {ex.error}"
        assert elided(message).fullmatch(str(ex.error)), \
            f"{where}\nthe message differs from README's\nREADME: {message}\nactual: {ex.error}"
        return
    if ex.error is not None:
        raise AssertionError(f"{where}\nraised {type(ex.error).__name__}: {ex.error}") from ex.error
    if not ex.shown:
        assert ex.value is None, f"{where}\nREADME shows no output, the interpreter prints {ex.value!r}"
        return
    actual = " ".join(repr(ex.value).split())
    if not ex.rounded:
        assert actual == ex.shown, f"{where}\nREADME: {ex.shown}\nactual: {actual}"
        return
    skeleton = lambda s: re.sub(r"\s+", "", NUMBER.sub("#", s))  # noqa: E731
    assert skeleton(actual) == skeleton(ex.shown), f"{where}\nREADME: {ex.shown}\nactual: {actual}"
    for got, shown in zip(NUMBER.findall(actual), NUMBER.findall(ex.shown)):
        assert abs(float(got) - float(shown)) <= half_unit(shown), \
            f"{where}\n{got} does not round to README's {shown}\nREADME: {ex.shown}\nactual: {actual}"
