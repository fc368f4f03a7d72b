"""Every error kneeguide raises on purpose, under one root: ``KneeguideError``.

A host catches ``kneeguide.KneeguideError`` to handle anything the package
refuses, and still sees programming errors (``TypeError`` and the like) as
what they are.  The older names keep their place and bases: ``ContentError``
(also ``kneeguide.loader.ContentError``), ``AnswersError`` (a ``ValueError``,
also ``kneeguide.engine.AnswersError``), ``ExportError`` and ``RenderError``
(also in ``kneeguide.export``) and ``UsageError`` (also ``kneeguide.cli``).

Every error pickles with its data, because hosts run kneeguide in process
pools: an exception that cannot cross back from a worker breaks the pool
instead of reporting one bad answer set.  Each class therefore reduces to
its constructor's arguments.

Each class names the exit code the command line gives it (``exit_code``).
The codes are the ``ExitCode`` constants: 0 ok, 1 invalid content, 2 bad
usage, bad input or a plugin failure, 3 an internal error (a bug).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .diagnostics import ExitCode

if TYPE_CHECKING:
    from .answer_problem import AnswerProblem
    from .diagnostics import Diagnostic

__all__ = [
    "AnswerProblem",
    "AnswersError",
    "ContentError",
    "ExitCode",
    "ExportError",
    "KneeguideError",
    "KneeguideWarning",
    "LocaleError",
    "MissingExtraError",
    "PluginError",
    "RenderError",
    "ReviewOverdueWarning",
    "UsageError",
]


class KneeguideError(Exception):
    """The root of every error kneeguide raises on purpose."""

    exit_code: int = ExitCode.USAGE

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # The default reduces to ``self.args``, which for the subclasses below is
        # the formatted message, not what their constructors take.
        return (type(self), tuple(self.args))


class KneeguideWarning(UserWarning):
    """The root of the warnings kneeguide gives (``warnings.warn``)."""


class ReviewOverdueWarning(KneeguideWarning):
    """The content's next review date has passed: still usable, but due for clinical review."""


class ContentError(KneeguideError):
    """The guidance content is invalid; ``diagnostics`` lists every problem."""

    exit_code = ExitCode.INVALID

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = list(diagnostics)
        errors = [d for d in self.diagnostics if d.severity == "error"]
        lines = [f"{d.location}: [{d.field}] {d.message}" for d in errors[:20]]
        more = f"\n... and {len(errors) - 20} more" if len(errors) > 20 else ""
        super().__init__(f"{len(errors)} problem(s) in the guidance:\n" + "\n".join(lines) + more)

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (type(self), (self.diagnostics,))


class AnswersError(KneeguideError, ValueError):
    """The answers were refused; ``problems`` names every offending field."""

    def __init__(self, problems: Sequence[AnswerProblem]) -> None:
        self.problems = list(problems)
        super().__init__(
            "the answers were refused:\n" + "\n".join(f"  {p.field}: {p.message}" for p in self.problems)
        )

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (type(self), (self.problems,))


class UsageError(KneeguideError):
    """Bad usage or a bad input file: the command line exits 2 with this message."""


class LocaleError(UsageError, ValueError):
    """A locale that is not a BCP 47 tag, or that the content does not ship."""


class MissingExtraError(UsageError):
    """A command needs an optional part of kneeguide that is not installed."""

    def __init__(self, extra: str, module: str, what: str) -> None:
        self.extra, self.module, self.what = extra, module, what
        super().__init__(
            f"{what} needs the optional {module!r} package, which is not installed: "
            f"pip install 'kneeguide[{extra}]' (or 'kneeguide[all]')"
        )

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (type(self), (self.extra, self.module, self.what))


class ExportError(KneeguideError):
    """An export could not be written; nothing partial was left behind."""


class RenderError(ExportError):
    """The rendered files themselves are wrong (a name, a type, a size): the plugin is at fault."""


class PluginError(KneeguideError):
    """An exporter plugin failed; the message names the plugin, its distribution and version."""


def __getattr__(name: str) -> Any:
    # ``AnswerProblem`` is a pydantic model and lives in its own module, so that
    # catching these errors (every command does) does not import pydantic.
    if name == "AnswerProblem":
        from .answer_problem import AnswerProblem

        return AnswerProblem
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
