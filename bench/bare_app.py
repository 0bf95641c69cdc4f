"""The baseline of bench_gateway.py: an endpoint that only reads the body and answers."""

from fastapi import FastAPI, Request

app = FastAPI()


@app.post("/webhooks/stripe")
async def receive(request: Request) -> dict[str, bool]:
    await request.body()
    return {"received": True, "duplicate": False}


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}
