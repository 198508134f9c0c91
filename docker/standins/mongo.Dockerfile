# Stand-in for mongo:7.0: no mongod is packaged anywhere reachable, so FerretDB v1 (a MongoDB
# wire-protocol server, SQLite backend; the binary scripts/build-ferretdb.sh builds) behind
# a `mongod` wrapper that takes mongod's arguments, and mongosh from npm for the health check.
FROM node:22.12-bookworm-slim
RUN npm install --global --no-audit --no-fund mongosh@2 \
    && npm cache clean --force \
    && mkdir -p /data/db
COPY ferretdb /usr/local/bin/ferretdb
COPY mongod /usr/local/bin/mongod
VOLUME /data/db
EXPOSE 27017
LABEL io.posepipe.standin="true" \
      org.opencontainers.image.description="posepipe stand-in for mongo:7.0: FerretDB v1 (SQLite) behind a mongod wrapper"
CMD ["mongod", "--bind_ip_all"]
