# The image installs the wheel, as any other install does: migrations and the shipped
# runbooks come inside the package, so nothing depends on copied sources or the folder.
FROM python:3.11-slim AS wheel
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY migrations ./migrations
COPY runbooks ./runbooks
COPY policy ./policy
RUN pip wheel --no-deps -w /dist .

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=3000 \
    DATABASE_URL=sqlite:////data/incident-bot.db \
    EXPORT_DIR=/data/incidents

# An operator's runbooks mounted at /app/runbooks replace the shipped ones.
WORKDIR /app
COPY --from=wheel /dist /tmp/dist
RUN pip install /tmp/dist/*.whl \
 && rm -rf /tmp/dist \
 && useradd --create-home --uid 10001 incident \
 && mkdir -p /data/incidents \
 && chown -R incident /data

USER incident
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3000'), timeout=4)"
CMD ["incident-bot", "serve"]
