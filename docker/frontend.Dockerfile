# frontend: the Vite dev server (HMR), proxying /api to backend-api. A development image: the
# source is bind-mounted over /app/frontend/src by docker-compose.yml.

FROM node:22.12-bookworm-slim AS deps
# A download that stalls is dropped after a minute and tried again, not waited on for five.
ENV NPM_CONFIG_FETCH_TIMEOUT=60000 \
    NPM_CONFIG_FETCH_RETRIES=5
WORKDIR /app/frontend
# Dependencies first, from the lock file, so a code change does not reinstall them.
COPY frontend/package.json frontend/package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --no-audit --no-fund

FROM node:22.12-bookworm-slim AS dev
# The host user's ids (Compose passes UID/GID), so files Vite writes stay theirs. The node
# image already has a user 1000 ("node"); ids are reused rather than clashing.
ARG UID=1000
ARG GID=1000
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini \
    && rm -rf /var/lib/apt/lists/* \
    && (getent group "${GID}" || groupadd --gid "${GID}" posepipe) \
    && (getent passwd "${UID}" || useradd --uid "${UID}" --gid "${GID}" --no-create-home \
        --home-dir /app --shell /usr/sbin/nologin posepipe)
ENV NODE_ENV=development \
    FRONTEND_HOST=0.0.0.0 \
    FRONTEND_PORT=5173
WORKDIR /app/frontend
COPY --from=deps --chown=${UID}:${GID} /app/frontend/node_modules ./node_modules
COPY --chown=${UID}:${GID} frontend/ ./
USER ${UID}:${GID}
EXPOSE 5173
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --start-interval=2s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.FRONTEND_PORT || '5173') + '/').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["tini", "--"]
CMD ["npm", "run", "dev"]
