"""The exceptions a user of l2gpu handles."""

from __future__ import annotations


class VerificationError(Exception):
    """A seal or proof was rejected; the message names what failed."""


class ProofFormatError(ValueError):
    """A proof file could not be parsed; the message gives the reason."""
