"""Attack probes written into the User-Agent: injection, traversal and command syntax, and the
names of vulnerability scanners. No person's software sends these, so they decide for certain,
in a category of their own ("probe") that a site can see in its logs, or admit with
`allow_categories=["probe"]` (a honeypot, a security team's own scans).

The patterns describe classes of attack syntax (SQL, shell, path traversal, markup and template
injection, out-of-band lookup hosts), not individual strings. Matched case-insensitively.

Licence: MIT, like botguard.
"""

from __future__ import annotations

# A probe is a match of `PROBES` in a User-Agent that holds one of these characters (`GATE`) or
# substrings (`GATE_WORDS`, lower case). The gate is part of the definition, not only a shortcut:
# browsers almost never hold any of them, so the patterns run on almost no browser's string, and
# a pattern that could match a person's text (`; id)`, Indonesian in a phone's string) cannot
# fire there. Each class of syntax below has its gate literal; `tests/test_detector.py` shows one
# example of each.
GATE = r"""['"$<>{}`|\\!*%=+]"""
GATE_WORDS: tuple[str, ...] = (
    "..", "/etc/", ".ini", "select", "sleep", "union", "jndi", "waitfor", "order by", "case when",
    "information_schema", "sysdate", "benchmark(", "extractvalue(", "updatexml(", "make_set(", "elt(", "dbms_",
    "utl_", "convert(", "char(", "chr(", "concat(", "--", "&&", "file://", "javascript:", "alert(", "prompt(",
    "confirm(", "atob(", "eval(", "require(", "function(",
)

PROBES: tuple[str, ...] = (
    # SQL: tautologies (negated too) and arithmetic tests, stacked queries, time delays, UNION and
    # ORDER BY probing, CASE and CONVERT tests, comments
    r"""['"]\s*(?:or|and|xor)\b|\b(?:or|and|xor)\s+(?:not\s+)?[-+\w'"()]+\s*(?:=|like|\+|-)\s*[-+\w'"(]"""
    r"""|\bunion\b.{0,20}\bselect\b|\bselect\b.{0,200}\bfrom\b|\(\s*select\b|\border\s+by\s+\d+"""
    r"""|\b(?:sleep|benchmark|pg_sleep|extractvalue|updatexml|make_set|elt|dbms_\w+|utl_\w+|convert|char|chr|concat)\s*\("""
    r"""|\bwaitfor\s+delay\b|\bcase\s+when\b.{0,100}\bthen\b|\binformation_schema\b|\bsysdate\s*\("""
    r"""|['"]\s*;|--\s*$|/\*.*\*/|\bwhere\s+\d+\s*=\s*\d+""",
    # Shell: command substitution, chained commands, the 2014 Bash function import
    # (a command followed by ";", ")" or "-" is a word of the text: "; id)" is a locale)
    r"""\$\(|`[^`]*`|\(\)\s*\{"""
    r"""|[;&|]\s*(?:cat|id|ls|nslookup|ping|sleep|echo|wget|curl|uname|whoami|perl|python|sh|bash|cmd)\b(?!-|\s*[;)])""",
    # Path traversal (plain, URL-encoded once or twice or as overlong UTF-8, either slash) and
    # well-known local files
    r"""\.\.(?:/|\\|%(?:25)?(?:2f|5c)|%c0%af|%c1%9c)|(?:%(?:25)?2e){2}|/etc/(?:passwd|shadow|hosts)|(?:win|boot|system)\.ini\b"""
    r"""|\bfile://""",
    # Markup, script, XML entity and server-side include injection (plain or URL-encoded)
    r"""(?:<|%3c)\s*/?\s*(?:script|svg|img|iframe|body|style|title|textarea|noscript|template|input|xml|\?xml|!doctype"""
    r"""|!entity|!--#|esi:|xi:|a\s)|\bon(?:error|load|focus|mouseover)\s*=|\bjavascript:"""
    r"""|\b(?:alert|prompt|confirm|atob|eval)\s*\(""",
    # Template, expression, LDAP and lookup injection
    r"""\$\{|\{\{.*\}\}|#\{.*\}|%\{.*\}|<%=|\bjndi:|\brequire\s*\(|\bfunction\s*\(|\(\)\s*&&|\*\|\*""",
    # Null bytes and header splitting
    r"""%00|%0d%0a|\\r\\n""",
)

# Vulnerability scanners and out-of-band callback hosts, by name (literals, found anywhere).
SCANNERS: str = (
    r"sqlmap|nikto|nessus|\bnmap\b|masscan|zgrab|wpscan|dirbuster|gobuster|\bnuclei\b|\bw3af\b|arachni|openvas"
    r"|acunetix|netsparker|appscan|webinspect|havij|skipfish|\bwfuzz\b|\bffuf\b|commix|xsstrike|burpcollaborator"
    r"|burp ?suite|\bbxss\.me\b|oastify|interact\.sh|\bdnslog\b|\bqualys|\bzmeu\b|morfeus|\bjorgee\b|feroxbuster"
)
