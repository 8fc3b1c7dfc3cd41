"""The web desk as an ASGI app (Starlette): server-rendered pages, Atom feeds and the
same data as JSON (``?format=json``). Read-only: no route writes to the database, so
every replica may serve it.

Access: without ``WEB_TOKEN`` anyone who reaches the port may read (the settings
allow that only on loopback). With it, pages need the session cookie the login form
sets, and feeds and JSON also take ``?token=`` or ``Authorization: Bearer`` so feed
readers and scripts work.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import jinja2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from monitor.core.settings import Settings
from monitor.digest import NotABusinessDay, check_digest_day
from monitor.digest.render import render
from monitor.digest.service import load_digest
from monitor.kai.timeline import Timeline
from monitor.web import chart, exports, feeds
from monitor.web.params import (
    MAX_QUERY,
    BadParameter,
    check_corp_code,
    check_format,
    check_lang,
    check_rcept_no,
    parse_day,
    parse_search,
)
from monitor.web.queries import Desk, today_kst
from monitor.web.texts import LANGS, Texts, categories
from storage.db import Database

log = logging.getLogger("dartwatch.web")

HERE = Path(__file__).parent
COOKIE = "dartwatch_web"
LANG_COOKIE = "dartwatch_lang"
PAGE_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
# The digest as sent carries its own <style> (mail clients need it inline).
DIGEST_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; "
    "base-uri 'none'"
)
DIGEST_DOWNLOADS = {
    "html": ("text/html; charset=utf-8", "html"),
    "md": ("text/markdown; charset=utf-8", "md"),
    "text": ("text/plain; charset=utf-8", "txt"),
    "json": ("application/json", "json"),
    "csv": ("text/csv; charset=utf-8", "csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
}

Handler = Callable[[Request], Awaitable[Response]]


def session_value(token: str) -> str:
    """The cookie proves the token was typed without holding the token itself."""
    return hmac.new(token.encode(), b"dartwatch-web-session", hashlib.sha256).hexdigest()


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


class WebDesk:
    """Everything a request needs: settings, the database, the timeline, templates."""

    def __init__(self, settings: Settings, db: Database, timeline: Timeline) -> None:
        self.settings = settings
        self.db = db
        self.timeline = timeline
        self.desk = Desk(db, timeline)
        self.env = _environment()
        token = settings.web_token.get_secret_value() if settings.web_token else None
        self.token = token
        self.session = session_value(token) if token else None

    # -- helpers ------------------------------------------------------------------------
    def lang(self, request: Request) -> str:
        asked = check_lang(request.query_params.get("lang", ""))
        if asked:
            return asked
        cookie = request.cookies.get(LANG_COOKIE, "")
        return cookie if cookie in LANGS else self.settings.web_default_lang

    def page(
        self,
        request: Request,
        template: str,
        status: int = 200,
        *,
        lang: str | None = None,
        **context: Any,
    ) -> Response:
        lang = lang or self.lang(request)
        html = self.env.get_template(template).render(
            t=Texts(lang),
            lang=lang,
            path=request.url.path,
            self_path=quote(request.url.path[:300], safe="/"),
            query=request.url.query,
            other_lang="en" if lang == "ko" else "ko",
            logged_in=self.session is not None
            and hmac.compare_digest(request.cookies.get(COOKIE, ""), self.session),
            **context,
        )
        response = HTMLResponse(html, status_code=status)
        response.headers["Content-Security-Policy"] = PAGE_CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        if request.query_params.get("lang") == lang:
            response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
        return response

    def wants_json(self, request: Request) -> bool:
        return check_format(request.query_params.get("format", "")) == "json"

    def authorised(self, request: Request) -> bool:
        if self.token is None or self.session is None:
            return True
        cookie = request.cookies.get(COOKIE, "")
        if cookie and hmac.compare_digest(cookie, self.session):
            return True
        if request.url.path.startswith("/feeds/") or request.query_params.get("format") == "json":
            offered = request.query_params.get("token", "")
            bearer = request.headers.get("authorization", "")
            if bearer.lower().startswith("bearer "):
                offered = bearer[7:].strip()
            return bool(offered) and hmac.compare_digest(offered.encode(), self.token.encode())
        return False

    # -- pages --------------------------------------------------------------------------
    async def today(self, request: Request) -> Response:
        lang = self.lang(request)
        day = today_kst()
        rows = await self.desk.today(day, lang)
        if self.wants_json(request):
            return JSONResponse({"day": day.isoformat(), "filings": rows})
        return self.page(request, "today.html.j2", day=day.isoformat(), rows=rows)

    async def search(self, request: Request) -> Response:
        lang = self.lang(request)
        form = parse_search(request.query_params)
        result = await self.desk.search(form, lang)
        if self.wants_json(request):
            return JSONResponse(result.to_json())
        return self.page(
            request,
            "search.html.j2",
            form=form,
            result=result,
            categories=[(c, ko if lang == "ko" else en) for c, ko, en in categories()],
            teams=[(t.id, t.name(lang)) for t in self.timeline.teams],
        )

    async def filing(self, request: Request) -> Response:
        rcept_no = check_rcept_no(request.path_params["rcept_no"])
        data = await self.desk.filing(rcept_no, self.lang(request))
        if data is None:
            raise HTTPException(404, f"no stored filing {rcept_no}")
        if self.wants_json(request):
            return JSONResponse(data)
        return self.page(request, "filing.html.j2", data=data)

    async def company(self, request: Request) -> Response:
        corp_code = check_corp_code(request.path_params["corp_code"])
        data = await self.desk.company(corp_code, self.lang(request), today_kst())
        if data is None:
            raise HTTPException(404, f"no company {corp_code}")
        if self.wants_json(request):
            return JSONResponse(data)
        drawing = chart.month_chart(data["months"], data["milestones"])
        return self.page(request, "company.html.j2", data=data, chart=drawing)

    async def companies(self, request: Request) -> Response:
        found = await self.desk.companies()
        rows = [
            {
                "corp_code": c.corp_code,
                "corp_name": c.corp_name,
                "corp_eng_name": c.corp_eng_name,
                "stock_code": c.stock_code,
            }
            for c in found
        ]
        if self.wants_json(request):
            return JSONResponse({"companies": rows})
        return self.page(request, "companies.html.j2", rows=rows)

    async def timeline_page(self, request: Request) -> Response:
        data = await self.desk.timeline_view(today_kst(), self.lang(request))
        if self.wants_json(request):
            return JSONResponse(data)
        return self.page(request, "timeline.html.j2", data=data)

    async def digests(self, request: Request) -> Response:
        days = await self.desk.digest_days()
        if self.wants_json(request):
            return JSONResponse({"digests": days})
        return self.page(request, "digests.html.j2", days=days, formats=list(DIGEST_DOWNLOADS))

    async def digest_pick(self, request: Request) -> Response:
        day = parse_day(request.query_params.get("day", "").strip()[:40], "day")
        if day is None:
            raise BadParameter("day", "expected a date YYYY-MM-DD")
        return RedirectResponse(f"/digests/{day.isoformat()}", status_code=303)

    async def digest(self, request: Request) -> Response:
        day = parse_day(request.path_params["day"], "day")
        fmt = request.path_params.get("fmt") or "html"
        if fmt not in DIGEST_DOWNLOADS or day is None:
            raise BadParameter("format", f"one of {', '.join(DIGEST_DOWNLOADS)}")
        return await self._digest_response(request, day, fmt)

    async def _digest_response(self, request: Request, day: date, fmt: str) -> Response:
        try:
            check_digest_day(day)
        except NotABusinessDay as exc:
            raise BadParameter("day", str(exc)) from None
        digest = await load_digest(self.db, self.timeline, day, self.lang(request))
        media, ext = DIGEST_DOWNLOADS[fmt]
        if fmt == "xlsx":
            body: bytes = exports.xlsx(digest)
        elif fmt == "csv":
            body = exports.csv_for_excel(digest)
        else:
            body = render(digest, fmt).encode("utf-8")
        response = Response(body, media_type=media)
        response.headers["X-Content-Type-Options"] = "nosniff"
        if fmt == "html" and not request.path_params.get("fmt"):
            response.headers["Content-Security-Policy"] = DIGEST_CSP
        else:
            name = f"dartwatch-digest-{day.isoformat()}.{ext}"
            response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    # -- feeds --------------------------------------------------------------------------
    async def feed(self, request: Request) -> Response:
        lang = self.lang(request)
        t = Texts(lang)
        kind = request.path_params["kind"]
        params = {k: v for k, v in request.query_params.items() if k not in ("token", "lang")}
        if kind == "all":
            form, title = parse_search({}), t("feeds.all")
        elif kind == "ai":
            form, title = parse_search({"ai": "yes"}), t("feeds.ai")
        elif kind == "search":
            form, title = parse_search(params), t("feeds.search")
        else:
            raise HTTPException(404, "no such feed")
        rows = await self.desk.feed_rows(form, lang)
        return self._atom(request, rows, title, form.to_query() if kind == "search" else "")

    async def company_feed(self, request: Request) -> Response:
        lang = self.lang(request)
        corp_code = check_corp_code(request.path_params["corp_code"])
        rows = await self.desk.feed_rows(parse_search({"company": corp_code}), lang)
        name = rows[0]["corp_name"] if rows else corp_code
        return self._atom(request, rows, Texts(lang)("feeds.company", name=name), "")

    def _atom(
        self, request: Request, rows: list[dict[str, Any]], title: str, query: str
    ) -> Response:
        base = str(request.base_url).rstrip("/")
        path = request.url.path + (f"?{query}" if query else "")
        body = feeds.atom(
            rows, title=title, feed_path=path, base_url=base, texts=Texts(self.lang(request))
        )
        return Response(body, media_type="application/atom+xml; charset=utf-8")

    # -- login --------------------------------------------------------------------------
    async def login_form(self, request: Request) -> Response:
        return self.page(
            request,
            "login.html.j2",
            next=_safe_next(request.query_params.get("next", "/")),
            wrong=False,
        )

    async def login(self, request: Request) -> Response:
        form = await request.form(max_files=0, max_fields=4)
        offered = str(form.get("token", ""))[:512]
        target = _safe_next(str(form.get("next", "/")))
        if self.token is None or self.session is None:
            return RedirectResponse(target, status_code=303)
        if not hmac.compare_digest(offered.encode(), self.token.encode()):
            log.info("web login refused (wrong token)")
            return self.page(request, "login.html.j2", status=401, next=target, wrong=True)
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            COOKIE,
            self.session,
            max_age=30 * 86400,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        return response

    async def logout(self, request: Request) -> Response:
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE)
        return response

    # -- errors -------------------------------------------------------------------------
    def error_page(self, request: Request, status: int, message: str) -> Response:
        if request.query_params.get("format") == "json" or request.url.path.startswith("/feeds/"):
            return JSONResponse({"error": message, "status": status}, status_code=status)
        try:
            lang = self.lang(request)
        except BadParameter:  # the bad parameter may be ?lang= itself
            lang = self.settings.web_default_lang
        return self.page(
            request, "error.html.j2", status=status, lang=lang, status_code=status, message=message
        )


def _safe_next(target: str) -> str:
    """Only a path on this site: never an open redirect to another host."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return quote(target, safe="/?=&%-_.~")


class Gate(BaseHTTPMiddleware):
    """Query-string size, the token, and errors turned into pages."""

    def __init__(self, app: Any, desk: WebDesk) -> None:
        super().__init__(app)
        self.desk = desk

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        if len(request.scope.get("query_string", b"")) > MAX_QUERY:
            return self.desk.error_page(request, 414, f"query string longer than {MAX_QUERY} bytes")
        path = request.url.path
        if not (
            path in ("/login", "/logout") or path.startswith("/static/")
        ) and not self.desk.authorised(request):
            if path.startswith("/feeds/") or request.query_params.get("format") == "json":
                return JSONResponse({"error": "token required", "status": 401}, status_code=401)
            return RedirectResponse(
                f"/login?next={quote(_safe_next(path), safe='/')}", status_code=303
            )
        return await call_next(request)


def create_app(settings: Settings, db: Database, timeline: Timeline) -> Starlette:
    """The desk over *db*; the caller owns (and disposes of) the database."""
    desk = WebDesk(settings, db, timeline)

    async def bad_parameter(request: Request, exc: Exception) -> Response:
        return desk.error_page(request, 400, str(exc))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return desk.error_page(request, exc.status_code, str(exc.detail))

    async def server_error(request: Request, exc: Exception) -> Response:
        log.error("web request %s failed: %s", request.url.path, exc.__class__.__name__)
        return desk.error_page(request, 500, "internal error (see the server log)")

    routes = [
        Route("/", desk.today),
        Route("/search", desk.search),
        Route("/filings/{rcept_no}", desk.filing),
        Route("/companies", desk.companies),
        Route("/companies/{corp_code}", desk.company),
        Route("/timeline", desk.timeline_page),
        Route("/digests", desk.digests),
        Route("/digests/pick", desk.digest_pick),
        Route("/digests/{day}.{fmt}", desk.digest),
        Route("/digests/{day}", desk.digest),
        Route("/feeds/companies/{corp_code}.atom", desk.company_feed),
        Route("/feeds/{kind}.atom", desk.feed),
        Route("/login", desk.login_form, methods=["GET"]),
        Route("/login", desk.login, methods=["POST"]),
        Route("/logout", desk.logout, methods=["POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    return Starlette(
        routes=routes,
        middleware=[Middleware(Gate, desk=desk)],
        exception_handlers={
            BadParameter: bad_parameter,
            HTTPException: http_error,
            Exception: server_error,
        },
    )
