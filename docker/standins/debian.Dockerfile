# Stand-in base: Debian bookworm from debootstrap (imported by scripts/base-images.sh as
# posepipe-standin/rootfs:bookworm), plus the machine's extra CA certificates so builds
# reach the package registries through a TLS-inspecting proxy. Only used where no container
# registry answers; the images built on it say so in their labels.
FROM posepipe-standin/rootfs:bookworm
COPY extra-ca/ /usr/local/share/ca-certificates/
# Package downloads inside image builds fail now and then on a passing DNS or proxy error.
# ca-certificates follows bookworm's security updates, as the upstream images' do: not pinned.
# hadolint ignore=DL3008
RUN printf 'Acquire::Retries "5";\nAPT::Install-Recommends "0";\n' > /etc/apt/apt.conf.d/80posepipe \
    && apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && update-ca-certificates \
    && rm -rf /var/lib/apt/lists/*
ENV LANG=C.UTF-8 \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
    REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt \
    NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
    NPM_CONFIG_CAFILE=/etc/ssl/certs/ca-certificates.crt
LABEL io.posepipe.standin="true"
