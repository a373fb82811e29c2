"""Grouping cases into households."""

from pexmail.households.match import Thresholds, match_block
from pexmail.households.merge import merge_household
from pexmail.households.normalize import household_key, identity
from pexmail.households.staging import CaseStore

__all__ = ["CaseStore", "Thresholds", "household_key", "identity", "match_block", "merge_household"]
