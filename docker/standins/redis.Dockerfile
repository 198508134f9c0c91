# Stand-in for redis:7.4-bookworm: Debian's redis-server (7.0.x; the stack uses nothing newer).
# The official image turns protected mode off (the port is only on the stack's network);
# a wrapper first on PATH does the same.
FROM posepipe-standin/debian:bookworm
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends redis-server \
    && rm -rf /var/lib/apt/lists/* \
    && printf '#!/bin/sh\nexec /usr/bin/redis-server "$@" --protected-mode no\n' > /usr/local/bin/redis-server \
    && chmod +x /usr/local/bin/redis-server \
    && mkdir -p /data
WORKDIR /data
VOLUME /data
EXPOSE 6379
LABEL io.posepipe.standin="true" \
      org.opencontainers.image.description="posepipe stand-in for redis:7.4-bookworm, built from Debian's redis-server"
CMD ["redis-server"]
