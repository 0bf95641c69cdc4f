"""The console's app (uvicorn factory): pages for operators (/admin) and companies (/app)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware
from starlette.responses import RedirectResponse, Response

from console.auth import endpoints as auth
from console.config import ConsoleSettings, get_settings
from console.connections import endpoints as connections
from console.dashboard import endpoints as dashboard
from console.dead_letters import endpoints as dead_letters
from console.errors import (
    AdminLoginRequired,
    CsrfRejected,
    InvalidInput,
    LoginRequired,
    ServiceFailed,
    ServiceUnreachable,
)
from console.events import endpoints as events
from console.health import endpoints as health
from console.services import Api, Services
from console.subscription import endpoints as subscription
from console.transactions import endpoints as transactions
from console.web import render
from finhub_shared.logging import configure_logging, get_logger
from finhub_shared.observability import install_observability

log = get_logger(__name__)

SERVICE_NAMES = {
    "billing": "cobrança (billing)",
    "banking": "bancos (banking)",
    "gateway-admin": "gateway (administração)",
    "pluggy": "Pluggy",
    "live": "tempo real (live)",
}


def create_app(
    settings: ConsoleSettings | None = None, transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    """The console; `transport` replaces the network to the services (tests)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(
            "console", settings.log_level, json=settings.log_json, access_log=settings.log_access
        )
        timeout = httpx.Timeout(settings.service_timeout_seconds)
        async with httpx.AsyncClient(timeout=timeout, transport=transport) as http:
            app.state.settings = settings
            app.state.services = Services(
                billing=Api("billing", settings.billing_url, http),
                banking=Api("banking", settings.banking_url, http),
                admin=Api("gateway-admin", settings.gateway_admin_url, http),
                pluggy=Api("pluggy", settings.pluggy_api_url, http),
                live_url=settings.live_url,
                http=http,
            )
            yield

    app = FastAPI(title="Finance Hub console", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key.get_secret_value(),
        session_cookie="finhub_console",
        same_site="lax",
        https_only=settings.environment == "production",
        max_age=30 * 24 * 3600,
    )
    install_observability(app, {})
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    for module in (
        auth,
        dashboard,
        transactions,
        connections,
        subscription,
        events,
        dead_letters,
        health,
    ):
        app.include_router(module.router)
    _install_error_pages(app)
    return app


def _install_error_pages(app: FastAPI) -> None:
    """Every failure is a page in Portuguese that says what happened, never a stack trace."""

    def redirect(request: Request, url: str) -> Response:
        if request.headers.get("HX-Request"):
            return Response(status_code=204, headers={"HX-Redirect": url})
        return RedirectResponse(url, status_code=303)

    async def login_required(request: Request, _: Exception) -> Response:
        return redirect(request, "/login")

    async def admin_login_required(request: Request, _: Exception) -> Response:
        return redirect(request, "/admin/login")

    async def csrf_rejected(request: Request, _: Exception) -> Response:
        return _error_page(
            request,
            403,
            "Formulário expirado",
            "O formulário não veio desta sessão. Recarregue a página e tente de novo.",
        )

    async def unreachable(request: Request, error: Exception) -> Response:
        assert isinstance(error, ServiceUnreachable)
        log.warning("console_service_unreachable", service=error.service)
        name = SERVICE_NAMES.get(error.service, error.service)
        return _error_page(
            request,
            503,
            "Serviço indisponível",
            f"O serviço de {name} não respondeu. Tente de novo em instantes.",
        )

    async def failed(request: Request, error: Exception) -> Response:
        assert isinstance(error, ServiceFailed)
        name = SERVICE_NAMES.get(error.service, error.service)
        if error.status_code >= 500:
            log.warning("console_service_failed", service=error.service, code=error.code)
            return _error_page(
                request,
                502,
                "Serviço com falha",
                f"O serviço de {name} falhou ({error.status_code}). Tente de novo em instantes.",
                code=error.code,
            )
        titles = {404: "Não encontrado", 403: "Sem permissão", 409: "Não foi possível"}
        return _error_page(
            request,
            error.status_code,
            titles.get(error.status_code, "Pedido recusado"),
            f"O serviço de {name} recusou o pedido: {error.message}",
            code=error.code,
        )

    async def invalid(request: Request, _: Exception) -> Response:
        return _error_page(request, 400, "Dados inválidos", "Confira os campos e tente de novo.")

    async def not_found(request: Request, _: Exception) -> Response:
        return _error_page(request, 404, "Página não encontrada", "Este endereço não existe.")

    async def crashed(request: Request, error: Exception) -> Response:
        log.error("console_page_failed", exc_info=error)
        return _error_page(
            request, 500, "Erro inesperado", "Algo deu errado ao montar esta página."
        )

    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(AdminLoginRequired, admin_login_required)
    app.add_exception_handler(CsrfRejected, csrf_rejected)
    app.add_exception_handler(ServiceUnreachable, unreachable)
    app.add_exception_handler(ServiceFailed, failed)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(InvalidInput, invalid)
    app.add_exception_handler(404, not_found)
    app.add_exception_handler(Exception, crashed)


def _error_page(
    request: Request, status_code: int, title: str, message: str, code: str | None = None
) -> Response:
    return render(request, "error.html", status_code, title=title, message=message, code=code)
