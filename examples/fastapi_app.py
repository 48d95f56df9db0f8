"""A FastAPI app with rules per router: the site refuses bots and scripts, /api admits scripts.

    uvicorn examples.fastapi_app:app --host 127.0.0.1 --port 8000

Each router carries a `BotGuard` dependency built once; every route of the router shares its config
and verdict cache. A route can add its own guard on top (see /api/strict).
"""

from fastapi import APIRouter, Depends, FastAPI, Request

from botguard import Verdict
from botguard.fastapi import BotGuard

SCRIPTED = [r"^curl/", r"^python-requests/", r"^python-httpx/"]

site_guard = BotGuard(deny=SCRIPTED)  # the built-in list, and no scripts
api_guard = BotGuard(allow=SCRIPTED)  # the built-in list, but scripts are welcome

site = APIRouter(dependencies=[Depends(site_guard)])
api = APIRouter(prefix="/api", dependencies=[Depends(api_guard)])


@site.get("/")
async def home(request: Request) -> dict[str, str]:
    return {"hello": "human", "verdict": request.state.botguard.name}


@api.get("")
@api.get("/status")
async def status(verdict: Verdict = Depends(api_guard)) -> dict[str, str]:
    # Depends on the router's guard again to receive the verdict: FastAPI runs it once per request.
    return {"status": "ok", "verdict": verdict.name}


@api.get("/strict", dependencies=[Depends(BotGuard(deny=[r"^python-requests/"], builtin="kong"))])
async def strict(request: Request) -> dict[str, str]:
    return {"status": "ok", "verdict": request.state.botguard.name}


app = FastAPI()
app.include_router(site)
app.include_router(api)
