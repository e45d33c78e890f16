# articled container image: built on Debian 12 (bookworm), runs as a non-root
# user, keeps its database on the /data volume, configured by ARTICLED_* vars.

# ---- build stage --------------------------------------------------------------
FROM debian:bookworm-slim AS build
# The package lists: scripts/packages.sh, shared with scripts/deps.sh and .ci/run.
COPY scripts/packages.sh /usr/local/share/articled/packages.sh
RUN . /usr/local/share/articled/packages.sh \
 && apt-get update \
 && apt-get install -y --no-install-recommends $(articled_packages build) \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release -DARTICLED_TESTS=OFF \
      -DARTICLED_TOOLS=OFF -DARTICLED_BENCH=OFF \
 && cmake --build /build -j"$(nproc)" --target articled \
 && strip /build/articled

# ---- runtime stage ------------------------------------------------------------
FROM debian:bookworm-slim
COPY scripts/packages.sh /usr/local/share/articled/packages.sh
RUN . /usr/local/share/articled/packages.sh \
 && apt-get update \
 && apt-get install -y --no-install-recommends $(articled_packages runtime) \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system articled \
 && useradd --system --gid articled --home-dir /data --shell /usr/sbin/nologin articled \
 && mkdir -p /data && chown articled:articled /data
COPY --from=build /build/articled /usr/local/bin/articled
USER articled
WORKDIR /data
VOLUME ["/data"]
# Reachable from outside the container, so access is a choice made here: the API keys are
# read from /run/secrets/articled-keys (mount a key file there as a secret: README "Running
# in a container"). Without it the server refuses to start; to run an open API on purpose:
#   -e ARTICLED_API_KEY_FILE= -e ARTICLED_ALLOW_OPEN_API=on
ENV ARTICLED_DB=/data/articled.db \
    ARTICLED_PORT=8080 \
    ARTICLED_BIND=0.0.0.0 \
    ARTICLED_API_KEY_FILE=/run/secrets/articled-keys \
    ARTICLED_LOG_FORMAT=json
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD curl -fsS "http://127.0.0.1:${ARTICLED_PORT}/healthz" || exit 1
STOPSIGNAL SIGTERM
CMD ["/usr/local/bin/articled"]
