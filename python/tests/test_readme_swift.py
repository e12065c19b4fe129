"""The README's Swift examples are code that is compiled and run: every statement of each
```swift block appears in the Swift test that runs it (Tests/.../ReadmeExamplesTests.swift,
ReadmeTrainingExampleTests.swift), with only number and string literals allowed to differ
(the tests train a smaller model on fewer images). A README edit that the tests do not
follow, or an API change that the README does not, fails here or in `swift test`."""
import re

from conftest import REPO_ROOT

TESTS = {"SemSegLoss": "Tests/SemSegLossTests/ReadmeExamplesTests.swift",
         "SemSegTraining": "Tests/SemSegTrainingTests/ReadmeTrainingExampleTests.swift"}


def normalized(line: str) -> str:
    """A statement with its comment, string and number literals and spacing made uniform."""
    line = re.sub(r'"(?:[^"\\]|\\.)*"', '"…"', line.split("//")[0])
    line = re.sub(r"\b\d+(?:\.\d+)?(?:e-?\d+)?\b", "#", line)
    return " ".join(line.split())


def swift_blocks(text: str):
    return re.findall(r"```swift\n(.*?)```", text, flags=re.S)


def statements(block: str):
    """The block's lines joined into statements (a line ending inside brackets continues)."""
    out, current, depth = [], "", 0
    for raw in block.splitlines():
        code = normalized(raw)
        if not code:
            continue
        current = f"{current} {code}".strip()
        depth += code.count("(") + code.count("[") - code.count(")") - code.count("]")
        if depth == 0:
            out.append(current)
            current = ""
    return out


def test_every_readme_swift_statement_is_in_a_test_that_runs_it():
    with open(REPO_ROOT / "README.md", encoding="utf-8") as f:
        blocks = swift_blocks(f.read())
    assert len(blocks) == 2, "README's ```swift blocks changed: update TESTS and this test"
    for block in blocks:
        module = re.search(r"^import (\w+)", block, flags=re.M).group(1)
        with open(REPO_ROOT / TESTS[module], encoding="utf-8") as f:
            test_code = " ".join(statements(f.read()))
        for statement in statements(block):
            if statement.startswith("import "):
                continue
            assert statement in test_code, f"README statement not run by {TESTS[module]}: {statement}"


def test_normalization_keeps_what_matters():
    assert normalized('let r = try f(x, shape: [16, 1, 256, 256])   // c') == "let r = try f(x, shape: [#, #, #, #])"
    assert normalized('g("run.ckpt", 2e-4)') == 'g("…", #)'
    assert normalized("let a = b") != normalized("let a = c")
