"""/login, /signup, /logout for company users; /admin/login, /admin/logout for operators."""

from __future__ import annotations

import contextlib
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import RedirectResponse, Response

from console.errors import LoginRequired, ServiceFailed, ServiceUnreachable
from console.web import as_user, csrf_protected, forget_user, keep_tokens, render, services

router = APIRouter()
Protected = [Depends(csrf_protected)]


@router.get("/")
async def home(request: Request) -> Response:
    target = "/app" if "access_token" in request.session else "/login"
    return RedirectResponse(target, status_code=303)


@router.get("/login")
async def login_page(request: Request) -> Response:
    return render(request, "login.html")


@router.post("/login", dependencies=Protected)
async def login(
    request: Request, email: Annotated[str, Form()], password: Annotated[str, Form()]
) -> Response:
    """Log in at billing; a refused log-in shows the form again with billing's reason."""
    try:
        tokens = await services(request).billing.call(
            "POST", "/api/auth/login", json={"email": email, "password": password}
        )
    except ServiceFailed as error:
        if error.status_code >= 500:
            raise
        message = "E-mail ou senha incorretos." if error.status_code == 401 else error.message
        return render(request, "login.html", error.status_code, error=message, email=email)
    keep_tokens(request, tokens)
    await _remember_who(request)
    return RedirectResponse("/app", status_code=303)


@router.get("/signup")
async def signup_page(request: Request) -> Response:
    return render(request, "signup.html", form={})


@router.post("/signup", dependencies=Protected)
async def signup(
    request: Request,
    name: Annotated[str, Form()],
    email: Annotated[str, Form()],
    password: Annotated[str, Form()],
    company_name: Annotated[str, Form()],
    accept: Annotated[str | None, Form()] = None,
) -> Response:
    """Create the company and its owner at billing (trial), accepting the legal documents."""
    form = {"name": name, "email": email, "company_name": company_name}
    if accept != "yes":
        message = "Aceite os termos de uso e a política de privacidade para continuar."
        return render(request, "signup.html", 422, error=message, form=form)
    billing = services(request).billing
    documents = await billing.call("GET", "/api/auth/legal-documents")
    body = {**form, "password": password, "accepted": documents}
    try:
        registered = await billing.call("POST", "/api/auth/register", json=body)
    except ServiceFailed as error:
        if error.status_code >= 500:
            raise
        return render(request, "signup.html", error.status_code, error=error.message, form=form)
    keep_tokens(request, registered)
    request.session["user"] = _who(registered)
    return RedirectResponse("/app/subscription?welcome=1", status_code=303)


@router.post("/logout", dependencies=Protected)
async def logout(request: Request) -> Response:
    # The log-in ends here either way: the cookie forgets it even if billing cannot be told.
    with contextlib.suppress(LoginRequired, ServiceFailed, ServiceUnreachable):
        await as_user(request, services(request).billing, "POST", "/api/auth/logout")
    forget_user(request)
    return RedirectResponse("/login", status_code=303)


async def _remember_who(request: Request) -> None:
    me = await as_user(request, services(request).billing, "GET", "/api/companies/me")
    request.session["user"] = _who(me)


def _who(answer: dict[str, Any]) -> dict[str, str]:
    return {"name": answer["user"]["name"], "company": answer["company"]["name"]}


@router.get("/admin/login")
async def admin_login_page(request: Request) -> Response:
    return render(request, "admin/login.html")


@router.post("/admin/login", dependencies=Protected)
async def admin_login(request: Request, token: Annotated[str, Form()]) -> Response:
    """Keep the admin token once the gateway's admin API accepts it."""
    try:
        await services(request).admin.call(
            "GET", "/admin/events", token=token.strip(), params={"limit": 1}
        )
    except ServiceFailed as error:
        if error.status_code != 401:
            raise
        return render(request, "admin/login.html", 401, error="Token de administração inválido.")
    request.session["admin_token"] = token.strip()
    return RedirectResponse("/admin", status_code=303)


@router.post("/admin/logout", dependencies=Protected)
async def admin_logout(request: Request) -> Response:
    request.session.pop("admin_token", None)
    return RedirectResponse("/admin/login", status_code=303)
