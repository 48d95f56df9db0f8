"""Kong's bot-detection built-in list (Kong 2.2.1 and later), as data.

Source: Kong/kong, kong/plugins/bot-detection/rules.lua as updated by Kong PR #5772 ("update
bot-detection rules", merged November 2020, first released in Kong 2.2.1), which took the bot
entries of ua-parser/uap-core regexes.yaml of that time and added the AWS S3 clients and
WebPageTest. Licence: Apache-2.0 (Kong), from uap-core (Apache-2.0).

The fourteen patterns are kept exactly as Kong ships them, in Kong's order; Kong matches them
case-sensitively with PCRE, botguard with the `regex` module in ASCII mode, whose syntax and
results agree for these patterns. The category beside each is botguard's, for `allow_categories`.
"""

from __future__ import annotations

SOURCE = "kong/rules.lua"
VERSION = "Kong 2.2.1+ (PR #5772)"
LICENSE = "Apache-2.0 (Kong), from uap-core regexes.yaml (Apache-2.0)"

RULES: tuple[tuple[str, str], ...] = (
    # Pingdom
    (r"(Pingdom\.com_bot_version_)(\d+)\.(\d+)", "monitor"),
    # Facebook
    (r"(facebookexternalhit)/(\d+)\.(\d+)", "preview"),
    # Google Plus
    (r"Google.{0,50}/\+/web/snippet", "preview"),
    # NewRelicPinger
    (r"(NewRelicPinger)/(\d+)\.(\d+)", "monitor"),
    # AWS S3 clients
    (
        r"\b(Boto3?|JetS3t|aws-(?:cli|sdk-(?:cpp|go|java|nodejs|ruby2?|dotnet-(?:\d{1,2}|core)))|s3fs)"
        r"/(\d+)\.(\d+)(?:\.(\d+)|)",
        "library",
    ),
    # WebPageTest.org
    (r" PTST/\d+(?:\.)?\d+$", "monitor"),
    # Bots Pattern '/name-0.0'
    (
        r"/((?:Ant-)?Nutch|[A-z]+[Bb]ot|[A-z]+[Ss]pider|Axtaris|fetchurl|Isara|ShopSalad|Tailsweep)"
        r"[ \-](\d+)(?:\.(\d+)(?:\.(\d+))?)?",
        "other",
    ),
    # Bots Pattern 'name/0.0'
    (
        r"\b(008|Altresium|Argus|BaiduMobaider|BoardReader|DNSGroup|DataparkSearch|EDI|Goodzer|Grub|INGRID"
        r"|Infohelfer|LinkedInBot|LOOQ|Nutch|OgScrper|PathDefender|Peew|PostPost|Steeler|Twitterbot|VSE"
        r"|WebCrunch|WebZIP|Y!J-BR[A-Z]|YahooSeeker|envolk|sproose|wminer)/(\d+)(?:\.(\d+)|)(?:\.(\d+)|)",
        "other",
    ),
    # MSIECrawler
    (r"(MSIE) (\d+)\.(\d+)([a-z]\d|[a-z]|);.{0,200} MSIECrawler", "other"),
    # Downloader ...
    (
        r"(Google-HTTP-Java-Client|Apache-HttpClient|Go-http-client|scalaj-http|http%20client|Python-urllib"
        r"|HttpMonitor|TLSProber|WinHTTP|JNLP|okhttp|aihttp|reqwest|axios|unirest-(?:java|python|ruby|nodejs"
        r"|php|net))(?:[ /](\d+)(?:\.(\d+)|)(?:\.(\d+)|)|)",
        "library",
    ),
    # Bots
    (
        r"(CSimpleSpider|Cityreview Robot|CrawlDaddy|CrawlFire|Finderbots|Index crawler|Job Roboter"
        r"|KiwiStatus Spider|Lijit Crawler|QuerySeekerSpider|ScollSpider|Trends Crawler|USyd-NLP-Spider"
        r"|SiteCat Webbot|BotName\/\$BotVersion|123metaspider-Bot|1470\.net crawler|50\.nu|8bo Crawler Bot"
        r"|Aboundex|Accoona-[A-z]{1,30}-Agent|AdsBot-Google(?:-[a-z]{1,30}|)|altavista|AppEngine-Google"
        r"|archive.{0,30}\.org_bot|archiver|Ask Jeeves|[Bb]ai[Dd]u[Ss]pider(?:-[A-Za-z]{1,30})(?:-[A-Za-z]{1,30}|)"
        r"|bingbot|BingPreview|blitzbot|BlogBridge|Bloglovin|BoardReader Blog Indexer"
        r"|BoardReader Favicon Fetcher|boitho.com-dc|BotSeer|BUbiNG|\b\w{0,30}favicon\w{0,30}\b"
        r"|\bYeti(?:-[a-z]{1,30}|)|Catchpoint(?: bot|)|[Cc]harlotte|Checklinks|clumboot"
        r"|Comodo HTTP\(S\) Crawler|Comodo-Webinspector-Crawler|ConveraCrawler|CRAWL-E|CrawlConvera"
        r"|Daumoa(?:-feedfetcher|)|Feed Seeker Bot|Feedbin|findlinks|Flamingo_SearchEngine|FollowSite Bot"
        r"|furlbot|Genieo|gigabot|GomezAgent|gonzo1|(?:[a-zA-Z]{1,30}-|)Googlebot(?:-[a-zA-Z]{1,30}|)"
        r"|Google SketchUp|grub-client|gsa-crawler|heritrix|HiddenMarket|holmes|HooWWWer|htdig|ia_archiver"
        r"|ICC-Crawler|Icarus6j|ichiro(?:/mobile|)|IconSurf|IlTrovatore(?:-Setaccio|)|InfuzApp"
        r"|Innovazion Crawler|InternetArchive|IP2[a-z]{1,30}Bot|jbot\b|KaloogaBot|Kraken|Kurzor|larbin"
        r"|LEIA|LesnikBot|Linguee Bot|LinkAider|LinkedInBot|Lite Bot|Llaut|lycos|Mail\.RU_Bot|masscan"
        r"|masidani_bot|Mediapartners-Google|Microsoft .{0,30} Bot|mogimogi|mozDex|MJ12bot"
        r"|msnbot(?:-media {0,2}|)|msrbot|Mtps Feed Aggregation System|netresearch|Netvibes"
        r"|NewsGator[^/]{0,30}|^NING|Nutch[^/]{0,30}|Nymesis|ObjectsSearch|OgScrper|Orbiter|OOZBOT"
        r"|PagePeeker|PagesInventory|PaxleFramework|Peeplo Screenshot Bot|PlantyNet_WebRobot|Pompos"
        r"|Qwantify|Read%20Later|Reaper|RedCarpet|Retreiver|Riddler|Rival IQ|scooter|Scrapy|Scrubby"
        r"|searchsight|seekbot|semanticdiscovery|SemrushBot|Simpy|SimplePie|SEOstats|SimpleRSS|SiteCon"
        r"|Slackbot-LinkExpanding|Slack-ImgProxy|Slurp|snappy|Speedy Spider|Squrl Java|Stringer"
        r"|TheUsefulbot|ThumbShotsBot|Thumbshots\.ru|Tiny Tiny RSS|Twitterbot|WhatsApp|URL2PNG|Vagabondo"
        r"|VoilaBot|^vortex|Votay bot|^voyager|WASALive.Bot|Web-sniffer|WebThumb|WeSEE:[A-z]{1,30}"
        r"|WhatWeb|WIRE|WordPress|Wotbox|www\.almaden\.ibm\.com|Xenu(?:.s|) Link Sleuth"
        r"|Xerka [A-z]{1,30}Bot|yacy(?:bot|)|YahooSeeker|Yahoo! Slurp|Yandex\w{1,30}"
        r"|YodaoBot(?:-[A-z]{1,30}|)|YottaaMonitor|Yowedo|^Zao|^Zao-Crawler|ZeBot_www\.ze\.bz|ZooShot"
        r"|ZyBorg)(?:[ /]v?(\d+)(?:\.(\d+)(?:\.(\d+)|)|)|)",
        "other",
    ),
    # Bots General matcher 'name/0.0'
    (
        r"(?:\/[A-Za-z0-9\.]+|) {0,5}([A-Za-z0-9 \-_\!\[\]:]{0,50}(?:[Aa]rchiver|[Ii]ndexer|[Ss]craper|[Bb]ot"
        r"|[Ss]pider|[Cc]rawl[a-z]{0,50}))[/ ](\d+)(?:\.(\d+)(?:\.(\d+)|)|)",
        "other",
    ),
    # Bots General matcher 'name 0.0'
    (
        r"(?:\/[A-Za-z0-9\.]+|) {0,5}([A-Za-z0-9 \-_\!\[\]:]{0,50}(?:[Aa]rchiver|[Ii]ndexer|[Ss]craper|[Bb]ot"
        r"|[Ss]pider|[Cc]rawl[a-z]{0,50})) (\d+)(?:\.(\d+)(?:\.(\d+)|)|)",
        "other",
    ),
    # Bots containing spider|scrape|Crawl
    (
        r"((?:[A-z0-9]{1,50}|[A-z\-]{1,50} ?|)(?: the |)(?:[Ss][Pp][Ii][Dd][Ee][Rr]|[Ss]crape|[Cc][Rr][Aa][Ww][Ll])"
        r"[A-z0-9]{0,50})(?:(?:[ /]| v)(\d+)(?:\.(\d+)|)(?:\.(\d+)|)|)",
        "other",
    ),
)

PATTERNS: tuple[str, ...] = tuple(pattern for pattern, _ in RULES)
