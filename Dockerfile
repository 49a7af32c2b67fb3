# The app for a team: python -m lib serve (see README, "Serve it to your team").
#   docker build -t ltv-dashboard .
#   docker run -p 8501:8501 -v ltv-data:/data -e LTV_PUBLIC_URL=https://tools.shop.example/ltv ltv-dashboard
FROM python:3.11-slim-bookworm

# Chromium renders the PNG/SVG chart downloads (kaleido); Noto CJK draws Chinese text in them.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium fonts-noto-cjk \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY app.py asgi.py ./
COPY .streamlit ./.streamlit
COPY lib ./lib
COPY ui ./ui
COPY views ./views
COPY sample_data ./sample_data

RUN useradd --create-home --uid 10001 ltv && mkdir -p /data && chown ltv /data
USER ltv
ENV LTV_ADDRESS=0.0.0.0 \
    LTV_PORT=8501 \
    LTV_DATA_DIR=/data \
    PYTHONUNBUFFERED=1
VOLUME /data
EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s \
  CMD python -c "import os,urllib.request; from lib import config; urllib.request.urlopen('http://127.0.0.1:%s/%s/_stcore/health' % (os.environ['LTV_PORT'], config.base_path()), timeout=4)"
CMD ["python", "-m", "lib", "serve"]
