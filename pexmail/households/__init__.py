"""Grouping cases into households."""

from pexmail.households.match import group_cases
from pexmail.households.merge import merge_household
from pexmail.households.normalize import household_key

__all__ = ["group_cases", "household_key", "merge_household"]
