# Stand-in for python:3.11-slim-bookworm: Debian's python3.11 (3.11.2) with venv and pip,
# at the official image's path /usr/local/bin/python.
FROM posepipe-standin/debian:bookworm
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3.11 python3.11-venv python3-pip \
    && rm -rf /var/lib/apt/lists/* \
    && ln -s /usr/bin/python3.11 /usr/local/bin/python \
    && ln -s /usr/bin/python3.11 /usr/local/bin/python3
LABEL io.posepipe.standin="true" \
      org.opencontainers.image.description="posepipe stand-in for python:3.11-slim-bookworm, built from Debian packages"
CMD ["python3"]
