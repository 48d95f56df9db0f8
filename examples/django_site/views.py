"""Three views, three ways botguard treats them: the settings, per-view rules, and exempt."""

from django.http import HttpRequest, HttpResponse, JsonResponse

import botguard.django

from .settings import SCRIPTED

# Built once: every view decorated with `api_rules` shares one config and one verdict cache.
api_rules = botguard.django.rules(allow=SCRIPTED)


def home(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"hello": "human", "verdict": request.botguard.name})  # type: ignore[attr-defined]


@api_rules
async def api_status(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok", "verdict": request.botguard.name})  # type: ignore[attr-defined]


@botguard.django.exempt
def robots_txt(request: HttpRequest) -> HttpResponse:
    # Crawlers must read this to learn what they may not fetch.
    return HttpResponse("User-agent: *\nDisallow: /api/\n", content_type="text/plain")
