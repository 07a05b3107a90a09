"""The workspace on a store built from the real public files only (Virginia FFL list excerpts, ATF inspection
reports, ATF's 2013 and 2016 state source-recovery tables: tests/data/PROVENANCE.md): a real licensee's dealer page
and the corridor map of ATF's own tables, year by year."""

from __future__ import annotations

from collections.abc import Callable

from tests.web.conftest import Server, Tab, sign_in, violations, wait_until

COLD_DEAD_HANDS = "1-54-20000"  # COLD DEAD HANDS LLC, Aldie VA: on the January 2025 list


def test_real_dealer_page_and_atf_corridor_map(public_server: Server, new_tab: Callable[[Server], Tab]) -> None:
    tab = new_tab(public_server)
    page = tab.page
    sign_in(tab, public_server.keys["analyst"])
    tab.open(f"/dealer/{COLD_DEAD_HANDS}")
    page.wait_for_selector("h1:has-text('Dealer: ')")
    profile = page.locator("dl.facts").first.inner_text()
    assert "1-54-107-01-5A-20000" in profile and "ALDIE" in profile.upper()
    tab.shot("dealer-public")

    tab.open("/map")
    slider = page.wait_for_selector("input.year")
    assert (slider.get_attribute("min"), slider.get_attribute("max")) == ("2013", "2016")
    page.wait_for_selector("table.corridors tbody tr")
    rows = page.locator("table.corridors tbody tr").all_inner_texts()
    assert len(rows) == 10 and all(row.split("\t")[1] and row.split("\t")[2] for row in rows)  # named states
    wait_until(page, "document.querySelector('figure.map img') && "
                           "document.querySelector('figure.map img').naturalWidth > 0")
    tab.shot("map-public")
    assert violations(tab) == []
