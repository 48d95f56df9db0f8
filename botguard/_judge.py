"""The decision algorithm: which verdict a User-Agent gets under a config, and why.

Run once per distinct User-Agent (the verdict cache in `_cache.py` keeps its answer): the
`missing_ua` and `long_ua` policies, the `allow` list, the `empty_ua` policy, the `deny` list, a
claim to be a crawler in `Config.verify`, the built-in list; under `check_headers`, the browser a
passing User-Agent claims, for `Guard.decide` to check against each request's headers.
"""

from __future__ import annotations

from dataclasses import replace

from ._config import POLICY_RULES, Config, Explanation
from ._forged import browser_claim
from ._long_ua import explain_rest
from ._patterns import MAX_UA_CHARS, SearchBudget
from ._verdict import Verdict

__all__ = ["NO_MATCH", "judge"]

_WHITESPACE = " \t\n\v\f\r"
# The answer for most User-Agents, built once: making a frozen Explanation costs about 1 µs, a
# tenth of a browser's whole decision.
NO_MATCH = Explanation(Verdict.NONE, None, None)


def judge(config: Config, text: str | None) -> Explanation:
    """The verdict of a User-Agent under `config`, and why: the decision algorithm, uncached.

        judge(config, "curl/8.4.0")   # Explanation(verdict=Verdict.BOT, rule_list="builtin", ...)

    Arguments:
        config: the rules.
        text: the header value as text (`decode_user_agent`); None when the header is missing.
    """
    if text is None:
        if config.missing_ua == "block":
            return Explanation(Verdict.DENY, "policy", POLICY_RULES["missing_ua"])
        return NO_MATCH
    long = len(text) > MAX_UA_CHARS
    if long and config.long_ua == "block":
        return Explanation(Verdict.DENY, "policy", POLICY_RULES["long_ua"])
    head = text[:MAX_UA_CHARS].rstrip(_WHITESPACE) if long else text
    # One budget for every user regex of this decision: ten slow patterns cost no more than one.
    searches = config._allow or config._deny or config._verification is not None
    budget = SearchBudget(config.match_budget) if searches else None
    found = _judge_head(config, head, budget)
    if long:
        found = explain_rest(config, text, len(head), found, budget)
    return replace(found, uncertain=True) if budget is not None and budget.uncertain else found


def _judge_head(config: Config, text: str, budget: SearchBudget | None) -> Explanation:
    """Judge the first `MAX_UA_CHARS` characters: allow, the policies, deny, a crawler claim, the built-in list."""
    timed_out = False
    if config._allow:
        rule, timed_out = config._allow.search(text, budget)
        if rule is not None:
            # An allow list that admits "Googlebot" must not admit everyone who says so.
            if config._verification is not None:
                claim, claim_timed_out = config._verification.claim(text, budget)
                if claim is not None:
                    return config._claim_answer(claim.crawler.name, timed_out or claim_timed_out)
            return Explanation(Verdict.ALLOW, "allow", rule, timed_out)
    if not text and config.empty_ua == "block":
        return Explanation(Verdict.DENY, "policy", POLICY_RULES["empty_ua"], timed_out)
    if config._deny:
        rule, deny_timed_out = config._deny.search(text, budget)
        timed_out = timed_out or deny_timed_out
        if rule is not None:
            return Explanation(Verdict.DENY, "deny", rule, timed_out)
    # After deny (a crawler you deny needs no DNS), before the built-in list (which would
    # block the real crawler with the fakes).
    if config._verification is not None:
        claim, claim_timed_out = config._verification.claim(text, budget)
        timed_out = timed_out or claim_timed_out
        if claim is not None:
            return config._claim_answer(claim.crawler.name, timed_out)
    if config._builtin is not None and (rule := config._builtin.search(text)) is not None:
        if rule.category in config._allowed:
            # NONE, not ALLOW: an admitted category takes rules out of the built-in list; it is
            # not an allow rule, so `deny` has already had its say.
            return Explanation(Verdict.NONE, "allow_categories", rule, timed_out)
        return Explanation(Verdict.BOT, "builtin", rule, timed_out)
    if config.check_headers:
        # Read once per User-Agent and cached with its verdict; the headers are looked at
        # per request (`Guard.decide`).
        return Explanation(Verdict.NONE, None, None, timed_out, browser=browser_claim(text))
    return Explanation(Verdict.NONE, None, None, timed_out) if timed_out else NO_MATCH
