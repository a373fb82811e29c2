from dataclasses import replace
from datetime import date
from decimal import Decimal

from pexmail.households import household_key, match_block, merge_household
from pexmail.households.normalize import name_key, street_key
from pexmail.model import Address, Case, Location


def case(**overrides) -> Case:
    base = Case(
        location=Location("a.csv", 2),
        source_id="drihl-exploc-cdp",
        case_id="EXP-1",
        family_name="DUPONT-MARTIN",
        given_name="Marie",
        civility="Mme",
        address=Address("12 bd de Belleville", "75020", "Paris"),
        territory_id="paris",
        stage="cdp",
        landlord_type="private",
        debt=Decimal("3000"),
        act_date=date(2026, 10, 5),
    )
    return replace(base, **overrides)


def test_name_and_street_keys_fold_spelling():
    assert (
        name_key("DUPONT-MARTIN", "Marie")
        == name_key("Dupont Martin", "marie")
        == name_key("Marie", "DUPONT MARTIN")
    )
    assert (
        street_key("12, bd de Belleville")
        == street_key("12 BOULEVARD DE BELLEVILLE")
        == "12 boulevard de belleville"
    )
    assert street_key("3 av. d'Italie") == "3 avenue d italie"


def test_the_household_key_reveals_nothing():
    key = household_key(case())
    assert key.startswith("h-") and "DUPONT" not in key.upper() and "75020" not in key


def test_same_household_across_files_is_one_household(catalog):
    a = case()
    b = case(
        location=Location("caf.csv", 5),
        source_id="caf-impayes",
        case_id="CAF1",
        family_name="Dupont-Martin",
        address=Address("12, boulevard de Belleville", "75020", "PARIS"),
        stage="signalement",
        debt=Decimal("2100"),
        act_date=date(2026, 8, 1),
    )
    c = case(family_name="DURAND", case_id="EXP-2")
    groups, _ = match_block([a, b, c])
    assert [len(g.cases) for g in groups] == [2, 1]
    household = merge_household(groups[0].key, groups[0].cases, catalog)
    assert household.facts.stage == "cdp"  # the most advanced
    assert household.facts.debt == Decimal("3000")  # from the most recent act
    assert any(
        note.startswith("debt: 2 different values; kept a.csv:2") for note in household.notes
    )


def test_different_postcode_is_another_household():
    assert household_key(case()) != household_key(
        case(address=Address("12 bd de Belleville", "75019", "Paris"))
    )


def test_missing_facts_are_filled_from_other_rows(catalog):
    a = case(monthly_rent=None, caf_recipient=None)
    b = case(
        source_id="caf-impayes",
        act_date=date(2026, 1, 1),
        monthly_rent=Decimal("640"),
        caf_recipient=True,
    )
    household = merge_household("h-x", [a, b], catalog)
    assert household.facts.monthly_rent == Decimal("640") and household.facts.caf_recipient is True


def test_recommendations_ticked_in_several_rows_of_one_body_are_combined(catalog):
    base = case()
    older = replace(base, recommendations=("fsl",), recommended_by="clil", act_date=None)
    newer = replace(base, recommendations=("adil", "fsl"), recommended_by="clil")
    household = merge_household("h-x", [older, newer], catalog)
    assert household.facts.recommendations == ("adil", "fsl")
    assert any(n.startswith("recommendations: combined from 2 rows") for n in household.notes)
    alone = merge_household("h-y", [newer, replace(newer, recommendations=())], catalog)
    assert alone.facts.recommendations == ("adil", "fsl") and not alone.notes
