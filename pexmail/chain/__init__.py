"""Deciding what each household is due."""

from pexmail.chain.history import History, IssuedLetter, MemoryHistory, episode_of
from pexmail.chain.plan import Plan, plan_mailing

__all__ = ["History", "IssuedLetter", "MemoryHistory", "Plan", "episode_of", "plan_mailing"]
