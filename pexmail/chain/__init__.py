"""Deciding what each household is due."""

from pexmail.chain.plan import plan_mailing

__all__ = ["plan_mailing"]
