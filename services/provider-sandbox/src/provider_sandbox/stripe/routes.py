"""Stripe API routes of the sandbox."""

from fastapi import APIRouter

router = APIRouter()
