# One image for web, worker and beat. Multi-stage: dependencies are built with uv in the
# first stage; the final stage holds only the virtualenv and the code, and runs as non-root.

FROM python:3.12-slim-bookworm AS build
COPY --from=ghcr.io/astral-sh/uv:0.9 /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never
WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project
COPY . .
# collectstatic at build time; throwaway values only satisfy the production checks here.
RUN DEBUG=false SECRET_KEY=build-only-build-only-build-only-build-only-build-only \
    ALLOWED_HOSTS=build FIELD_ENCRYPTION_KEYS=YnVpbGQtb25seS1idWlsZC1vbmx5LWJ1aWxkLW9ubHk9 \
    EMAIL_HOST=build .venv/bin/python manage.py collectstatic --noinput

FROM python:3.12-slim-bookworm
RUN groupadd --system tieout && useradd --system --gid tieout --home /app tieout \
    && mkdir -p /var/lib/tieout && chown tieout:tieout /var/lib/tieout
ENV PATH="/app/.venv/bin:$PATH" PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=config.settings
WORKDIR /app
COPY --from=build --chown=tieout:tieout /app /app
USER tieout
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"
# web by default; compose runs the same image as worker and beat with another command.
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--worker-class", "gthread", "--threads", "4", "--access-logfile", "-"]
