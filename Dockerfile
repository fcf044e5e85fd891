# syndication: the wheel on a slim Python, run as a non-root user.
#   docker build -t syndication .
#   docker compose up        (PostgreSQL, one `syndication run`, one `syndication serve`; see compose.yaml)

FROM python:3.11-slim AS build
WORKDIR /src
COPY . .
RUN pip install --no-cache-dir build && python -m build --wheel --outdir /dist

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    SYNDICATION_SITE__VAR_DIR=/srv/syndication/var \
    SYNDICATION_SITE__PUBLIC_DIR=/srv/syndication/site/public \
    SYNDICATION_SITE__OUTBOX_DIR=/srv/syndication/site/outbox \
    SYNDICATION_SERVE__HOST=0.0.0.0 \
    SYNDICATION_SERVE__PORT=8000
COPY --from=build /dist/*.whl /tmp/
RUN pip install --no-cache-dir /tmp/*.whl && rm /tmp/*.whl \
    && useradd --system --create-home --home-dir /srv/syndication --uid 10001 syndication \
    && mkdir -p /srv/syndication/content /srv/syndication/var /srv/syndication/site \
    && chown -R syndication:syndication /srv/syndication
USER syndication
WORKDIR /srv/syndication
VOLUME ["/srv/syndication/content", "/srv/syndication/site"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"
CMD ["syndication", "serve"]
