FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
# Pango and the Noto CJK fonts: WeasyPrint renders the PDF progress summary in Chinese.
RUN apt-get update && apt-get install -y --no-install-recommends gettext postgresql-client \
    libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY config ./config
COPY core ./core
COPY villages ./villages
COPY projects ./projects
COPY funding ./funding
COPY assessment ./assessment
COPY dashboard ./dashboard
COPY reports ./reports
RUN pip install .
COPY . .
# manage.py needs settings that import, and with DEBUG off they require a key, a database URL and a broker URL:
# throwaway values, for this step only (nothing connects; none of them stays in the image's environment).
RUN export DEBUG=0 SECRET_KEY=build-only ALLOWED_HOSTS=localhost \
        DATABASE_URL=postgres://build@localhost:5432/build CELERY_BROKER_URL=redis://localhost:6379/0 \
    && python manage.py collectstatic --noinput \
    && python manage.py compilemessages --ignore=.venv
# The media and static volumes start from these folders (owned by the app's user: the migrate service
# collects each new image's static files into the volume nginx serves).
RUN useradd --system --uid 1000 qiancun && mkdir -p /app/media && chown -R qiancun /app/media /app/staticfiles
USER qiancun
EXPOSE 8000
# Behind nginx (docker-compose.yml): sync workers, settings in deploy/gunicorn.conf.py.
CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "config.wsgi:application"]
