"""Input errors that name the field, so a biller can find it (exit status 2, never a traceback)."""

from __future__ import annotations


class InputError(ValueError):
    """The chart cannot be coded as given; `path` is the field, e.g. ``drugs[0].containers``."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


def pydantic_problems(exc) -> list[str]:
    """One line per problem of a pydantic ValidationError: ``drugs[0].dose: give one of grams, mg, ml``."""
    lines = []
    for err in exc.errors():
        path = ""
        for part in err.get("loc", ()):
            if isinstance(part, int):
                path += f"[{part}]"
            elif part:
                path += ("." if path else "") + str(part)
        msg = err.get("msg", "invalid")
        msg = msg.removeprefix("Value error, ")
        if err.get("type") == "extra_forbidden":
            msg = "unknown field"
        lines.append(f"{path or '(top level)'}: {msg}")
    return lines


class InputErrors(InputError):
    """Several field problems found together (a biller fixes them in one pass, not one run per field).
    `path`/`message` are the first problem's, so callers that expect one InputError still work."""

    def __init__(self, errors: list[InputError]) -> None:
        assert errors
        super().__init__(errors[0].path, errors[0].message)
        self.errors = errors

    def lines(self) -> list[str]:
        return [str(e) for e in self.errors]


def problem_lines(exc: InputError) -> list[str]:
    """One line per field problem, whether one InputError or several."""
    return exc.lines() if isinstance(exc, InputErrors) else [str(exc)]
