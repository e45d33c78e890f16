# articled container image: built on Debian 12 (bookworm), runs as a non-root
# user, keeps its database on the /data volume, configured by ARTICLED_* vars.

# ---- build stage --------------------------------------------------------------
FROM debian:bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential cmake pkg-config \
      libmicrohttpd-dev libjansson-dev libsqlite3-dev libunistring-dev libxxhash-dev nettle-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release -DARTICLED_TESTS=OFF \
      -DARTICLED_TOOLS=OFF -DARTICLED_BENCH=OFF \
 && cmake --build /build -j"$(nproc)" --target articled \
 && strip /build/articled

# ---- runtime stage ------------------------------------------------------------
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libmicrohttpd12 libjansson4 libsqlite3-0 \
      libunistring2 libxxhash0 libnettle8 curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system articled \
 && useradd --system --gid articled --home-dir /data --shell /usr/sbin/nologin articled \
 && mkdir -p /data && chown articled:articled /data
COPY --from=build /build/articled /usr/local/bin/articled
USER articled
WORKDIR /data
VOLUME ["/data"]
ENV ARTICLED_DB=/data/articled.db \
    ARTICLED_PORT=8080 \
    ARTICLED_BIND=0.0.0.0 \
    ARTICLED_LOG_FORMAT=json
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD curl -fsS "http://127.0.0.1:${ARTICLED_PORT}/healthz" || exit 1
STOPSIGNAL SIGTERM
CMD ["/usr/local/bin/articled"]
