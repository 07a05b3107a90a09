"""ATF's inspection policy periods and the violations they single out: the one definition loaders (which stamp
each inspection and violation) and analyses (the dealer profile) both use.

Policy context comes from the inspection date. From 2021-07-01 until its repeal on 2025-04-07 ATF's Enhanced
Regulatory Enforcement Policy ("zero tolerance", announced 2021-06-23) made five willful violations presumptive
grounds for revocation; they are flagged on ``Violation.zero_tolerance`` with their 27 CFR citations:

================================================  =============  ==========================
violation                                         27 CFR         category
================================================  =============  ==========================
transferring a firearm to a prohibited person     478.99(c)      prohibited_transfer
failing to run a required background check       478.102(a)     no_background_check
falsifying records (e.g. Form 4473)               478.128(c)     falsified_records
failing to respond to a trace request             478.25a        trace_request
refusing to permit an ATF inspection              478.23         refused_inspection
================================================  =============  ==========================

Sources: the White House/ATF list of the five violations as quoted in "Did ATF reverse the Biden era 'zero
tolerance' enforcement policy?" (tennesseefirearms.com, 2025-01) and the citation table "ATF Zero Tolerance
Policy Violations" (sean.horgan.net: 478.99(c), 478.25a, 478.23; the background-check duty is 27 CFR 478.102(a),
false statements in required records 478.128(c)); the repeal on 2025-04-07 from "ATF publishes new agency
direction ..." (blog.princelaw.com, 2025-05-29) and smokinggun.org (2025).
"""

from __future__ import annotations

import re
from datetime import date

import numpy as np
import pandas as pd

POLICY_START, POLICY_END = date(2021, 7, 1), date(2025, 4, 7)
ZERO_TOLERANCE = (
    (re.compile(r"^478\.99\(c\)"), "prohibited_transfer"),
    (re.compile(r"^478\.102\(a\)"), "no_background_check"),
    (re.compile(r"^478\.128(\(c\))?$|^478\.128\(c\)"), "falsified_records"),
    (re.compile(r"^478\.25a"), "trace_request"),
    (re.compile(r"^478\.23(\(|$)"), "refused_inspection"),
)


def policy_context(dates: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(policy name, zero-tolerance period flag) for inspection dates (``datetime64``)."""
    # compared as timestamps: on a batch whose dates are all missing, ``.dt.date`` is not a column of dates
    day = pd.to_datetime(dates)
    start, end = pd.Timestamp(POLICY_START), pd.Timestamp(POLICY_END)
    inside = ((day >= start) & (day < end)).fillna(False).astype(bool)
    after = (day >= end).fillna(False).astype(bool)
    context = pd.Series(np.where(inside, "Enhanced Regulatory Enforcement Policy (zero tolerance, 2021-07-01"
                                         " to 2025-04-07)",
                                 np.where(after, "after zero-tolerance repeal (2025-04-07)",
                                          "before zero-tolerance policy (2021-07-01)")), index=dates.index)
    return context.astype(object).where(dates.notna(), None), inside.where(dates.notna(), None)


def cfr_section(cite: str) -> str:
    """'27 CFR 478.99(c)' / '§ 478.99(c)' / '478.99(c)' -> '478.99(c)'."""
    text_ = re.sub(r"(?i)27\s*C\.?F\.?R\.?|§|section", " ", str(cite))
    return re.sub(r"\s+", "", text_).strip()


def zero_tolerance(sections: pd.Series) -> pd.Series:
    def category(section: str | None) -> str | None:
        for pattern, name in ZERO_TOLERANCE:
            if section and pattern.search(section):
                return name
        return None
    return sections.map(category).astype(object)
