"""Legal facts that depend on the case: the catalogue's facts in force, applied to one household.

Templates print these by name and never decide the law themselves:

- the delay of the commandement de payer: 6 weeks for a lease signed since
  the 2023 law came into force, but a lease signed before whose clause
  résolutoire says 2 months keeps 2 months (Cour de cassation, avis of
  13 June 2024, n° 24-70.002); without the lease date the letter says which
  applies when;
- the CCAPEX referral thresholds of the household's département, and whether
  its debt reaches them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pexmail.catalog.schema import Fact
from pexmail.model import Case

# Rules the letters phrase differently.
NEW_LEASE = "new_lease"  # signed since the 6-week delay came into force: 6 weeks
OLD_LEASE = "old_lease"  # signed before: 6 weeks, or 2 months if the lease says so
UNKNOWN_LEASE = "unknown_lease"  # no lease date: say which applies when


# The catalogue facts each case-dependent value reads (``law.<name>`` in templates): what
# a reviewer's diff reports as the letter's legal facts.
LAW_FACTS: dict[str, tuple[str, ...]] = {
    "cdp_delay": ("cdp_delay", "cdp_delay_old_lease"),
    "ccapex_threshold": ("ccapex_referral_months", "ccapex_referral_rent_multiple"),
}


def cdp_delay(facts: dict[str, Fact], case: Case | None) -> dict[str, Any]:
    """The commandement-de-payer delay for this household's lease (None: no household)."""
    current = facts.get("cdp_delay")
    old = facts.get("cdp_delay_old_lease")
    if current is None:
        return {"rule": UNKNOWN_LEASE, "text": "", "old_lease_text": "", "cutoff": None}
    # The delay in force now applies to leases signed since it came into force.
    cutoff = current.valid_from
    if old is None:
        rule = NEW_LEASE
    elif case is None or case.lease_date is None:
        rule = UNKNOWN_LEASE
    elif case.lease_date >= cutoff:
        rule = NEW_LEASE
    else:
        rule = OLD_LEASE
    return {
        "rule": rule,
        "text": current.text,
        "old_lease_text": old.text if old is not None else "",
        "cutoff": cutoff,
    }


def ccapex_threshold(facts: dict[str, Fact], case: Case) -> dict[str, Any] | None:
    """The département's CCAPEX referral thresholds, or None when the catalogue gives none."""
    months = facts.get("ccapex_referral_months")
    multiple = facts.get("ccapex_referral_rent_multiple")
    if months is None and multiple is None:
        return None
    reached: bool | None = None
    if (
        multiple is not None
        and multiple.value is not None
        and case.debt is not None
        and case.monthly_rent
    ):
        reached = case.debt >= case.monthly_rent * Decimal(multiple.value)
    return {
        "months": months.text if months else "",
        "rent_multiple": multiple.text if multiple else "",
        "source": "; ".join(dict.fromkeys(f.source for f in (months, multiple) if f)),
        "reached": reached,
    }


def case_law(facts: dict[str, Fact], case: Case) -> dict[str, Any]:
    """Everything a template needs about the law applied to this case."""
    return {
        "cdp_delay": cdp_delay(facts, case),
        "ccapex_threshold": ccapex_threshold(facts, case),
    }


def place_law(facts: dict[str, Fact]) -> dict[str, Any]:
    """The same for a notice, which has no household: the text says which delay applies when."""
    return {"cdp_delay": cdp_delay(facts, None), "ccapex_threshold": None}
