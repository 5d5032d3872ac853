"""The exceptions a user of l2gpu handles."""

from __future__ import annotations


class VerificationError(Exception):
    """A seal or proof was rejected; the message names what failed."""


class ProofFormatError(ValueError):
    """A proof file could not be parsed; the message gives the reason."""


class BatchError(Exception):
    """Some statements of a batch failed; the others' results are all here.

    ``results`` holds, in request order, each statement's result (its proof, or ``True``
    for a verification) or its exception; ``errors`` maps the index of each failed
    statement to its exception.
    """

    def __init__(self, results: list[object]) -> None:
        super().__init__(results)
        self.results = results
        self.errors = {i: r for i, r in enumerate(results) if isinstance(r, BaseException)}

    @classmethod
    def collect(cls, results: list[object]) -> list[object]:
        """``results`` as they are if none is an exception; else raise them as a batch."""
        if any(isinstance(r, BaseException) for r in results):
            raise cls(results)
        return results

    def __str__(self) -> str:
        shown = [f"#{i}: {type(e).__name__}: {e}" for i, e in list(self.errors.items())[:3]]
        if len(self.errors) > 3:
            shown.append(f"and {len(self.errors) - 3} more")
        return f"{len(self.errors)} of {len(self.results)} statements failed: " + "; ".join(shown)
