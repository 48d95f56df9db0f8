"""botguard's own rules: the named and generic patterns the public lists lack, the exclusions
that keep people's browsers out of them, and the category of each source's patterns.

All patterns are matched case-insensitively against the User-Agent, first match wins, in this
order: `NAMED`, crawler-user-agents, isbot, `GENERIC`, Crawler-Detect. Named rules come first so
that the rule that decides, and so its category, is the most specific one known.

Licence: MIT, like botguard.
"""

from __future__ import annotations

import re

SOURCE = "botguard"

# crawler-user-agents tags -> botguard categories, most telling first (an entry may have two tags).
_TAGS: tuple[tuple[str, str], ...] = (
    ("ai-crawler", "ai"),
    ("search-engine", "search"),
    ("seo", "seo"),
    ("http-library", "library"),
    ("monitoring", "monitor"),
    ("social-preview", "preview"),
    ("scanner", "scanner"),
    ("feed-reader", "feed"),
    ("archiver", "archive"),
    # Headless browsers, advertising verifiers and research crawlers are bots, but not of a kind a
    # site would admit wholesale.
    ("browser-automation", "other"),
    ("advertising", "other"),
    ("academic", "other"),
)


# crawler-user-agents entries whose tags give the wrong category, by pattern. "search" must name
# search engines only: a site admitting that category admits whatever it holds.
CUA_CATEGORIES: dict[str, str] = {
    # App Engine's fetch service: code anyone hosts on Google's cloud (proxies, scrapers), not
    # Google's search engine.
    "AppEngine-Google": "other",
}


def category_of_entry(pattern: str, tags: list[str]) -> str:
    """The botguard category of a crawler-user-agents entry: `CUA_CATEGORIES`, else from its tags."""
    return CUA_CATEGORIES.get(pattern) or category_of_tags(tags)


def category_of_pattern(pattern: str) -> str:
    """The botguard category of a pattern without tags (Crawler-Detect's): that of its first word in
    `WORD_CATEGORIES` (lookarounds, which name what the pattern must not match, left out), else
    "other". Never "search" or "ai": a site admitting those admits all they hold, so they name
    only what botguard's own rules and crawler-user-agents' tags say is a search engine or an AI
    crawler ("Google Search Console" is a tool, "Accoona-AI-Agent" a 2006 search engine)."""
    plain = re.sub(r"\(\?<?[!=][^)]*\)", " ", pattern.lower())
    for word in re.findall(r"[a-z]+", plain):
        found = WORD_CATEGORIES.get(word)
        if found is not None and found not in ("search", "ai"):
            return found
    return "other"


def category_of_tags(tags: list[str]) -> str:
    """The botguard category of a crawler-user-agents entry, from its tags."""
    for tag, category in _TAGS:
        if tag in tags:
            return category
    return "other"


# Bots the lists miss or name too loosely, and the HTTP libraries and tools whose category matters
# for `allow_categories` (an API admitting "library" must see curl as a library, not a generic bot).
NAMED: tuple[tuple[str, str], ...] = (
    # AI crawlers and assistants
    (r"\bgptbot\b", "ai"),
    (r"chatgpt-user", "ai"),
    (r"oai-searchbot", "ai"),
    (r"claudebot|claude-user|claude-searchbot|claude-web|anthropic-ai", "ai"),
    (r"perplexitybot|perplexity-user", "ai"),
    (r"\bccbot\b", "ai"),
    (r"bytespider", "ai"),
    (r"google-extended|applebot-extended", "ai"),
    (r"meta-externalagent|meta-externalfetcher|facebookbot", "ai"),
    (r"amazonbot", "ai"),
    (r"cohere-ai|cohere-training-data-crawler", "ai"),
    # (PetalBot is Huawei's search engine: crawler-user-agents' "search-engine" tag names it.)
    (r"mistralai-user|duckassistbot|youbot\b|diffbot|timpibot|imagesiftbot|omgilibot", "ai"),
    # HTTP libraries, command-line clients and scripting runtimes
    (r"^curl/|^curl$|\blibcurl\b|^php-curl-class", "library"),
    (r"^wget/|^wget$|\bwget/\d", "library"),
    (r"python-requests|python-httpx|python-urllib|\baiohttp/|\bhttpx/|\burllib3?/|^python/", "library"),
    (r"go-http-client|^go \d|\bgo-resty/|\bfasthttp\b", "library"),
    (r"^okhttp/|apache-httpclient|^java/|\bjava/\d|jakarta commons-httpclient|\bhttpurlconnection\b", "library"),
    (r"\baxios/|node-fetch|\bundici\b|\bnode\.js/|^node/|\bgot/\d|\bsuperagent/|\bneedle/", "library"),
    (r"libwww-perl|\blwp::|\bmechanize\b|guzzlehttp|^php/|\bruby/\d|\bfaraday\b|rest-client/", "library"),
    (r"^httpie/|^postmanruntime/|^insomnia/|\bpowershell/|\bwinhttp\b|^dart:io|\breqwest/|\bhyper/", "library"),
    (r"\bscrapy\b|\bcolly\b|\bhttrack\b|\bheadlesschrome\b|\bphantomjs\b", "library"),
    # The default User-Agent of more HTTP clients, as each library documents it, anchored at the
    # start (a library's name inside another string may be a person's app built on it)
    (r"^pycurl/|^httplib2\b|^tornado/\d|^treq/|^python-xmlrpc/|^mechanicalsoup\b", "library"),
    (r"^ruby$|^http\.rb/|^httparty\b|^excon/|^typhoeus\b|^symfony httpclient\b|^(?:zend|laminas)_http_client", "library"),
    (r"^hackney/|^mint/\d|^finch\b|^httpoison\b", "library"),
    (r"^jersey/|^apache-cxf/|^reactornetty/|^ahc/\d|^asynchttpclient\b|^vert\.x-web-client/", "library"),
    (r"^google-http-java-client/|^restsharp/|^grpc-(?:go|java|node|c|python|dotnet|ruby|php)\b", "library"),
    # Load generators and API clients that send a name of their own: rakyll's hey (whose version
    # never changed), oha, xh, and Bruno's runtime
    (r"^hey/0\.0\.1$|^oha/\d|^xh/\d|^bruno-runtime/", "library"),
    # Server runtimes' own fetch, cloud SDKs and their command-line tools
    (r"^deno/\d|^bun/\d|^boto3/|^botocore/|^aws-cli/|^aws-sdk-|^azsdk-|^azure-cli/", "library"),
    (r"^google-api-(?:python|go|java|nodejs|php|ruby|dotnet)-client/|^google-cloud-sdk\b|^gcloud/|^terraform/", "library"),
    # Windows fetching certificate revocation lists: the operating system, not a person's request
    (r"^microsoft-cryptoapi/", "library"),
    # Health checks of load balancers and orchestrators, and metrics and alerting servers: in
    # "monitor", so that `allow_categories=("monitor",)` admits a site's own infrastructure
    (r"^elb-healthchecker/|^googlehc/|^kube-probe/|^consul health check|^envoy/hc\b", "monitor"),
    (r"^prometheus/|^grafana/|^nagios\b|^zabbix\b|^check_http/|^blackbox exporter/", "monitor"),
    # Browser automation that names itself
    (r"\bpuppeteer\b", "other"),
    # Feed and podcast fetchers that count their subscribers ("123 subscribers", "subscribers=9999"):
    # a server fetching a feed once for everyone who follows it, which no person's player or reader
    # does; in "feed" whatever else the string says, so that a feed or podcast site admits them
    (r"\d subscribers?\b|\bsubscribers?\s*[=:]\s*\d", "feed"),
)

# Generic shapes, last: tokens that name a robot, and the bare "name/version" of scripts.
GENERIC: tuple[tuple[str, str], ...] = (
    (r"bot\b|bot[/_;:.-]|\bbot", "other"),
    (r"crawl|spider|scrap(?:e|er|ing)\b|harvest|indexer|archiver", "other"),
    (r"fetch(?:er)?\b|\bchecker\b|\bvalidator\b|\bmonitor(?:ing)?\b|uptime|\bprobe\b", "other"),
    (r"\bhttp[ _-]?client\b|\bhttp[ _-]?lib\b", "library"),
    # Google's special-purpose agents, which write browser-shaped strings where isbot's "google"
    # word does not count (Google documents each of them); last, so a list that knows one better
    # (crawler-user-agents' tags) gives its category first
    (
        r"duplexweb-google|google page speed|google_partner_monitoring|googleother|google-inspectiontool"
        r"|google-read-aloud|storebot-google|google-site-verification|apis-google|feedfetcher-google"
        r"|adsbot-google|mediapartners-google|google-adwords|googleproducer|google favicon|google web preview"
        r"|google-amphtml|google-structured-data|google-pagerenderer|google-safety|google-apps-script"
        r"|google search console",
        "other",
    ),
    (r"screenshot|thumbnail|webthumb|snapshot", "preview"),
    (r"\bdcv\b", "scanner"),  # certificate authorities' domain control validation
    (r"\bobservatory/|security\.heimdall", "scanner"),
    (r"google-searchbyimage|binglocalsearch", "search"),
    # Runtimes, build tools and clients that name themselves, and Perl modules ("WWW::Document/0.02")
    (r"\bcpython/|\bdart:io\b|^kubectl/|^ureq/|^gradle/|^apache ant/|^[a-z]+(?:::[a-z]+)+/", "library"),
    (r"\bextractor\b", "other"),  # e-mail and content harvesters
    (r"wkhtmlto(?:pdf|image)", "preview"),  # headless page-to-PDF/image renderers
    # Office programs fetching a link in a document (Outlook's own mail client string is a person's)
    (
        r"^microsoft office (?:word|excel|powerpoint|onenote|visio|access|mobile)\b"
        r"|^mozilla/5\.0 \(macintosh; intel mac os x\) (?:word|excel|powerpoint)/",
        "preview",
    ),
    (r"\blinks? ?(?:checker|valet|sleuth|resolver|expander|validator)|\bpage ?valet|unshorten", "other"),
    # Words written inside a browser's "(KHTML, like Gecko)": a WebKit or Blink browser closes the
    # parenthesis there (old Safari went on with ", Safari/…"), while crawlers, previewers and
    # monitors that copy a browser's string add their name to it ("; compatible; pageburst")
    (r"\(KHTML, like Gecko;", "other"),
)

# Tokens of people's browsers and devices that the rules above would take for bots. Each is blanked
# out of the User-Agent before the rules run.
EXCLUSIONS: tuple[str, ...] = (
    # The device model of an Android User-Agent ("; CUBOT_NOTE_S Build/", "; HTC Butterfly 2 Build/"):
    # makers name phones freely, and no bot announces itself there.
    r"; ?[^;()]{1,40}? build/",
    r"\bcubot",  # CUBOT phones outside the Android model slot
    r"googleapp/|\bgsa/\d",  # the Google app's webview
    r"naver\(inapp;|\bnaver/\d",  # NAVER's in-app browser
    r"musical_ly|bytedancewebview|\btrill_\d|\btiktok \d|\bjssdk/",  # TikTok's webviews
    # Viber's app and in-app browser; its link previewer sends a bare "Viber" and still counts.
    r"(?<=.)\bviber\b|^viber/\d",
    r"\bsonic(?= slack_ssb/)",  # a feature token of Slack's desktop app, not the Sonic crawler
    r"\bmozacfetch/",  # Firefox for Android fetching what a person opened (icons, shared pages)
    r"speedmode; proxy;",  # UC Mini, a proxy browser for people on slow networks
    r"\bblackboard/\d",  # Blackboard's mobile app (its SafeAssign crawler names no version)
    r"safari(?: |%20)technology(?: |%20)preview",  # Apple's preview build of Safari
    r"java_runtime_version=",  # Nokia Series 40 phones' browser
    r"embedded web browser from: http://bsalsa\.com/",  # a toolkit that embeds Internet Explorer in apps
    # An app's bundle identifier, which iOS and Android apps send as their name
    # ("com.google.android.youtube/17.24.34", "(com.duckduckgo.mobile.android; …)"): a reversed
    # domain names the app, not a crawler, whatever words the domain holds.
    r"(?:^|(?<=\())(?:com|org|net|de|nl|fr|io|uk|ru|jp|br)\.[a-z][a-z0-9_-]*\.[a-z0-9_.-]+",
)

# A well-formed browser User-Agent (matched at the start of the lower-cased text). Inside one,
# isbot's patterns are weak evidence: they are words ("download", "proxy", "optimize") that
# browser add-ons and toolbars also write. Named bots and bot words still count.
BROWSER = (
    r"mozilla/[45]\.0 \((?:windows|macintosh|x11|linux|iphone|ipad|ipod|android|mobile|tablet|bb10|kaios"
    r"|playstation|nintendo|smart-?tv|web0s|tizen|cros|compatible; msie \d+\.\d+; windows)[^)]*\)"
)
# The exact strings today's major browsers send, in which only the version numbers vary: Chrome,
# Edge and Opera on Windows, macOS, Linux, ChromeOS and Android (the reduced "Android 10; K" form),
# Samsung Internet and Android's WebView in the same reduced form, Firefox on the desktop and
# Android, Safari on macOS, iOS and iPadOS, Chrome's, Firefox's and Edge's iOS builds, and the
# WebView of iOS apps. A User-Agent that is one of them, whole (matched case-sensitively, digits
# ASCII), is a person's: no rule names a bot in it and the model weighs it for a person, so the
# detector says so at once, without the lists or the model. A test holds this against the full
# evidence for strings generated from these patterns. A script that copies one is caught, if at
# all, by its other headers (`check_headers`), never by its User-Agent.
_V4 = r"\d+\.\d+\.\d+\.\d+"
_WINDOWS = r"Windows NT \d+\.\d+(?:; Win64; x64|; WOW64)?"
_MAC = r"Macintosh; Intel Mac OS X \d+(?:_\d+){1,2}"
_ANDROID = r"Linux; Android \d+(?:\.\d+)?; K"
_KHTML = r"AppleWebKit/537\.36 \(KHTML, like Gecko\)"
_IOS = r"(?:iPhone; CPU iPhone|iPad; CPU) OS \d+(?:_\d+){1,2} like Mac OS X\) AppleWebKit/605\.1\.15 \(KHTML, like Gecko\)"
BROWSER_FORMATS = (
    r"Mozilla/5\.0 \((?:"
    # Chrome, and Edge and Opera, which send Chrome's string with their own token after it
    rf"(?:{_WINDOWS}|{_MAC}|X11; Linux x86_64|X11; CrOS x86_64 \d+\.\d+\.\d+)\) "
    rf"{_KHTML} Chrome/{_V4} Safari/537\.36(?: Edg/{_V4}| OPR/{_V4})?"
    # the same on Android, Samsung Internet, and Android's WebView
    rf"|{_ANDROID}\) {_KHTML} (?:SamsungBrowser/\d+\.\d+ )?Chrome/{_V4} (?:Mobile )?Safari/537\.36"
    rf"(?: EdgA/{_V4}| OPR/{_V4})?"
    rf"|{_ANDROID}; wv\) {_KHTML} Version/4\.0 Chrome/{_V4} (?:Mobile )?Safari/537\.36"
    # Firefox on the desktop and on Android
    rf"|(?:{_WINDOWS}|Macintosh; Intel Mac OS X \d+\.\d+|X11; (?:Ubuntu; )?Linux x86_64); rv:\d+\.\d+\) "
    r"Gecko/20100101 Firefox/\d+\.\d+"
    r"|Android \d+(?:\.\d+)?; Mobile; rv:\d+\.\d+\) Gecko/\d+\.\d+ Firefox/\d+\.\d+"
    # Safari on macOS, iOS and iPadOS; Chrome's, Firefox's and Edge's iOS builds; iOS apps' WebView
    rf"|{_MAC}\) AppleWebKit/605\.1\.15 \(KHTML, like Gecko\) Version/\d+(?:\.\d+){{1,2}} Safari/605\.1\.15"
    rf"|{_IOS} (?:Version/\d+(?:\.\d+){{1,2}}|CriOS/{_V4}|FxiOS/\d+\.\d+|EdgiOS/{_V4}) Mobile/15E148 Safari/604\.1"
    rf"|{_IOS} Mobile/15E148"
    r")"
)
# A phone's or tablet's string in Chrome's format that names its model (and build), as older
# Chrome, Android's WebView, Samsung Internet, Edge and Opera for Android send it. The model is
# free text (a maker may call a phone "VR BOT 552"; any printable ASCII but parentheses and ";"
# here), so these strings are not passed at once: the whole detector decides each. Its version
# numbers change nothing there, as long as the string stays under 128 characters or over (the
# length weighs by class): a property test holds it, for the corpus's models and generated ones.
# So the verdict cache answers the same string with other version numbers as it was answered
# (`_cache.phone_key`: group 1, up to Chrome's version; group 2, after it, up to Edge's or Opera's).
# The model's repeat is possessive: a string that fails late (an app's token after Safari's) does
# not backtrack through it.
PHONE_FORMAT = (
    r"(Mozilla/5\.0 \(Linux; Android \d+(?:\.\d+){0,2}; [ -'*-:<-~]++(?:; wv)?\) "
    rf"{_KHTML} (?:Version/4\.0 )?(?:SamsungBrowser/\d+\.\d+ )?Chrome/){_V4}"
    rf"( (?:Mobile )?Safari/537\.36(?:( EdgA| OPR)/)?)(?(3){_V4})"
)
# isbot's patterns that are ordinary words of people's software: toolbars and add-ons write them
# into browser User-Agents ("GWX:DOWNLOADED", "MSN Optimized", "AutoProxy", "FirePHP/0.7"), and
# so do proxies, security suites and intranets ("… Safari/537.36 ICAPoHTTPS", "…; https://intranet…;").
# Outside a browser User-Agent they still count.
WEAK_ISBOT: frozenset[str] = frozenset({
    "download", "optimize", "proxy", "agent\\b", "server", "discovery", "advisor", "splash", "sogou",
    "(?:^|[^g])news(?!sapphire)", "(?<! channel/|google/)google(?!(?:wv|app|/google| pixel))", "tools",
    "\\|", "library", "radar", "torrent", "firephp", "java(?!;)", "\\(\\)", "catch", "capture", "measure",
    "insight", "detect", "url", "grab", "parser", "transcoder", "proxy", ";\\s\\w+;$", "^[<\\(;]", "(?<!lib)http",
})

# Source patterns left out, each with the reason, so a refresh keeps the decision visible.
DROPPED: dict[str, str] = {
    # isbot: Google Chrome Frame was a plug-in that ran Chrome inside Internet Explorer for people.
    "chromeframe": "a browser plug-in, never a bot",
    # isbot: any string of words, optionally with one version, is a bot. It takes every bare word
    # ("HelloWorld") and junk from logs for a bot; `GENERIC` keeps the useful half, name/version.
    r"^[\w \.\-\(?:\):%]+(?:/v?\d+(?:\.\d+)?(?:\.\d{1,10})*?)?(?:,|$)": "flags bare words and log junk",
    # isbot: shapes, not names. A bare "Name/version" is what people's media players, radio and
    # podcast apps send as often as scripts do, so the shape alone is no evidence either way
    # (the detector weighs the words of the name instead).
    r"^[\w\-]+/[\w]+$": "a bare Name/version is no evidence",
    r"^\w+/[\w\(\)]*$": "a bare Name/version is no evidence",
    r"^\w+/\d\.\d\s\([\w@]+\)$": "a bare Name/version is no evidence",
    r"\b\w+/1\.0;": "the Name/1.0; of feature phones (SAMSUNG-GT-S8530/1.0;)",
    r"^[^ ]{50,}$": "TVs and set-top boxes write long strings without spaces",
    # Crawler-Detect: a bot word anywhere inside any word, meant to run after its exclusions have
    # deleted a browser's own tokens. Without them it takes "cron" in Chrome's network stack
    # (Cronet) and "reader" in Kobo eReader for a bot; the model weighs words and their affixes.
    r"[a-z0-9\-_]*(bot|crawl|headless|archiver|transcoder|spider|uptime|validator|fetcher|cron|checker|reader"
    r"|extractor|monitoring|analyzer|scraper)": "bot words inside any word, without the exclusions it needs",
    # Crawler-Detect: mail clients and office apps. A mail client fetches a message's images for
    # the person reading it (`PERSON_WORDS` has mail clients), and an office app's own string is a
    # person's; Office fetching a link in a document is named in `GENERIC`, as a "preview".
    **dict.fromkeys(
        (r"^Mail\/", "Airmail", "Canary%20Mail", r"MacOutlook\/", "Microsoft Outlook", "Outlook-Express",
         "Outlook-iOS", r"Polymail\/", "Microsoft Office", r"Excel\/", r"PowerPoint\/", r"Word\/",
         "Apache OpenOffice"),
        "a mail client or an office app: a person's software (Office's link fetches: GENERIC)",
    ),
    # Crawler-Detect: LibWeb is the engine of the Ladybird browser (SerenityOS's before it), which
    # names it in a person's User-Agent: "Mozilla/5.0 (Linux; x86_64) LibWeb+LibJS/1.0 Ladybird/1.0".
    "LibWeb": "the engine of the Ladybird browser: a person's browser",
}

# Categories for isbot's patterns (isbot has none); unlisted ones are "other".
ISBOT_CATEGORIES: dict[str, str] = {
    "^python": "library",
    "^php": "library",
    "^wget": "library",
    "java(?!;)": "library",
    "node\\b": "library",
    "\\bperl\\b": "library",
    "^apache/": "library",
    "^jetty/": "library",
    "^postman": "library",
    "^rest": "library",
    "library": "library",
    "playwright": "other",
    "selenium": "other",
    "headless": "other",
    "phantomjs": "other",
    "pingdom": "monitor",
    "statuscake": "monitor",
    "24x7": "monitor",
    "monitor\\b": "monitor",
    "synthetic": "monitor",
    "speedcurve": "monitor",
    "pagespeed": "monitor",
    "chrome-lighthouse": "monitor",
    "ptst[ /]\\d": "monitor",
    "uptime": "monitor",
    "rigor": "monitor",
    "iplabel": "monitor",
    "dejaclick": "monitor",
    "neustar wpm": "monitor",
    "^blackbox exporter": "monitor",
    "infrawatch": "monitor",
    "preview": "preview",
    "^facebook": "preview",
    "^whatsapp": "preview",
    "^snapchat": "preview",
    "^discourse": "preview",
    "^zoom marketplace/": "preview",
    "(?<!cam)scan": "scanner",
    "openvas": "scanner",
    "burpcollaborator": "scanner",
    "securityheaders": "scanner",
    "hardenize\\b": "scanner",
    "foregenix": "scanner",
    "watchtowr": "scanner",
    "^clamav[ /]": "scanner",
    "feed": "feed",
    "rss\\b": "feed",
    "^rss": "feed",
    "archive": "archive",
    "httrack": "archive",
    "^webcopier": "archive",
    "^openai/": "ai",
    "^claude-code/": "ai",
    "cursor/": "ai",
    "manus-user/": "ai",
    "^sora ": "ai",
    "^duckduckgo": "search",
    "^yandex": "search",
    "^yahoo": "search",
    "sogou": "search",
    "^\\w*search\\b": "search",
    # Not "search": the word is in Google's ads, feed and Apps Script agents, in Cloud Scheduler's,
    # and in anything citing a code.google.com project. Googlebot and Google's other search agents
    # are named first by crawler-user-agents, with its search-engine tag.
    "(?<! channel/|google/)google(?!(?:wv|app|/google| pixel))": "other",
}

# The words of podcast apps and podcatchers. People's software (`PERSON_WORDS`); a fetcher of
# theirs that declares itself a robot is in "feed" (`WORD_CATEGORIES`). Castro's and Breaker's
# fetchers count their subscribers, which a named rule puts in "feed". The apps write a contact URL
# in their listeners' own requests too (the Open Podcast Analytics Working Group's list of apps
# has "Overcast/3.0 (+http://overcast.fm/; iOS podcast app)" and Podcast Addict's Android app;
# gPodder, a desktop app, writes "(+https://gpodder.github.io/)"), so beside their words a contact
# URL alone declares no robot (`SELF_DECLARED`); their servers' fetchers count subscribers or name
# their work ("Pocket Casts Feed Parser").
PODCAST_APPS: tuple[str, ...] = (
    "podcast", "podcasts", "podcatcher", "podcastaddict", "pocketcasts", "antennapod", "gpodder", "castbox",
    "podbean", "podkicker", "overcast", "downcast", "stitcher", "beyondpod", "icatcher",
)

# Words of people's media software: desktop and mobile players, the media stacks of operating
# systems, internet-radio and podcast apps, mail clients, smart speakers and streaming boxes (and
# the name of a framework's test client, last). They
# fetch streams, feeds and images with a bare "Name/version" and little else, and the labelled
# collections hold few of them (or call them bots), so no model learns them; a User-Agent holding one of these words (a run of letters,
# lower-cased) is a person's unless a named rule, a probe, or a self-declared crawler word says
# otherwise. Libraries stay out of this list: a library's default name is a bot even where a player
# is built on it.
PERSON_WORDS: frozenset[str] = frozenset({
    # players
    "vlc", "libvlc", "mplayer", "mpv", "libmpv", "smplayer", "winamp", "foobar", "itunes", "quicktime", "realplayer",
    "realmedia", "kodi", "xbmc", "plex", "plexamp", "infuse", "nplayer", "mxplayer", "potplayer", "kmplayer",
    "audacious", "rhythmbox", "clementine", "amarok", "strawberry", "banshee", "aimp", "musicbee", "xine",
    "totem", "bsplayer", "jellyfin", "emby", "mediamonkey", "nsplayer", "wmplayer", "wmfsdk",
    # players of the free desktops, some of which write their name in lower case (`mpg123/1.31.2`),
    # as a command-line tool does (`_features.lower_named`)
    "mpg", "xmms", "cmus", "mpd", "deadbeef", "quodlibet", "lollypop", "celluloid", "haruna", "mopidy", "qmmp",
    "exaile", "gmusicbrowser", "musikcube", "owntone", "spotifyd", "librespot", "tizonia", "castero",
    # operating systems' media stacks and player frameworks of apps
    "applecoremedia", "coremedia", "stagefright", "exoplayer", "exoplayerlib", "avfoundation", "mediaplayer",
    "gstreamer", "mediaserverd",
    # internet radio
    "tunein", "radio", "radiodroid", "replaio", "radioplayer", "streema", "iheartradio", "audials",
    "radiotime", "mytuner", "radionet", "radioline", "shoutcast", "nativeaudio",
    # podcasts and music services
    *PODCAST_APPS, "castro", "breaker", "spotify", "deezer", "pandora", "soundcloud", "audible",
    # mail clients, which fetch a message's images and links for the person reading it
    "outlook", "thunderbird", "msoffice",
    # smart speakers and streaming boxes (Google Home and Nest speakers send "GoogleChirp/1.0")
    "alexa", "sonos", "crkey", "chromecast", "googlechirp", "bose", "heos", "roku", "appletv", "airplay",
    # The name Starlette's and FastAPI's TestClient sends, so that an app's tests keep passing
    # (docs/testing.md). A name with no version is weighed whole, and this one, never seen, would
    # reach the model's threshold; anyone can send it, and it gets no more than a person's verdict.
    "testclient",
})

# What names a person's media software inside a longer name. A bare token whose name holds one
# (`MyRadio/1.0`, `AudioPlayer/0.3`) is spoken for as a word of PERSON_WORDS is: a small radio or
# podcast app that sends its name and a first version is a person's, not a script's.
MEDIA_STEMS = r"radio|player|podcast|music|audio"

# Text-mode browsers: people's browsers, which open their User-Agent with their name (`w3m/0.5.3`,
# `Dillo/3.0.5`, `Lynx/2.8.9rel.1 libwww-FM/2.14 …`, `Links (2.29; Linux …)`). As the whole name a
# string opens with, one speaks for a person as a word of PERSON_WORDS does; w3m's name is not a
# word (a run of letters), so the names are matched whole. No labelled bot opens with one.
TEXT_BROWSERS = r"w3m|lynx|elinks|links|dillo|netsurf"

# A User-Agent that declares itself a robot keeps its verdict whatever media words it holds: by a
# robot's word, by naming a server's work (a feed parser, fetcher or validator), or by a contact URL
# ("+https://…", the group "contact"), as crawlers write theirs. A contact URL alone declares no
# robot beside a podcast app's word (`PODCAST_APPS`).
SELF_DECLARED = r"bot\b|bot[/_;: .-]|crawl|spider|parser\b|fetcher\b|validator\b|(?P<contact>\+https?:)"

# Words that give a model verdict (one no rule decided) its category; the weightiest bot word
# with an entry here decides, else "other".
WORD_CATEGORIES: dict[str, str] = {
    **dict.fromkeys(
        ("curl", "wget", "python", "java", "go", "okhttp", "http", "https", "client", "sdk", "lib", "requests",
         "urllib", "axios", "fetch", "node", "perl", "ruby", "php", "guzzle", "libwww", "aiohttp", "httpclient",
         "library", "api", "cli", "dotnet", "net", "rest", "apache", "golang", "rust", "reqwest", "dart"),
        "library",
    ),
    **dict.fromkeys(
        ("monitor", "monitoring", "uptime", "ping", "pingdom", "status", "check", "checker", "health", "synthetic"),
        "monitor",
    ),
    **dict.fromkeys(("preview", "thumbnail", "screenshot", "embed", "unfurl", "snippet", "linkpreview"), "preview"),
    **dict.fromkeys(("rss", "feed", "feeds", "reader", "atom", "aggregator", "syndication"), "feed"),
    # Feed readers' names that hold none of those words, for a catch-all's match (isbot's `^reed`)
    **dict.fromkeys(("netnewswire", "reeder", "readkit", "liferea", "newsboat", "newsbeuter", "akregator"), "feed"),
    # Podcast apps, among PERSON_WORDS: one that declares itself a robot (its fetcher, with a
    # contact URL) is a feed fetcher, and the detector gives a rule's catch-all "other" this name
    **dict.fromkeys(PODCAST_APPS, "feed"),
    **dict.fromkeys(("search", "searchbot", "index", "indexer"), "search"),
    **dict.fromkeys(("seo", "backlink", "backlinks", "audit"), "seo"),
    **dict.fromkeys(("scan", "scanner", "security", "vulnerability", "pentest"), "scanner"),
    **dict.fromkeys(("archive", "archiver", "wayback", "heritrix"), "archive"),
    **dict.fromkeys(("ai", "gpt", "llm", "openai", "anthropic"), "ai"),
}
