# The tracegraph API/CLI image. Used by docker-compose.yml beside Neo4j 5.
# The workspace bundle (web/: TypeScript + Cytoscape.js from npm) is built in a Node stage and copied in.
FROM node:20-slim AS web
WORKDIR /src/web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/tsconfig.json ./
COPY web/src ./src
RUN npm run build

# python:3.11-slim is Debian 12: OpenSSL 3, which the embedded engine (ladybug) links against.
FROM python:3.11-slim

RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core openssl libssl3 \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY graph ./graph
COPY cypher ./cypher
COPY loaders ./loaders
COPY algorithms ./algorithms
COPY api ./api
COPY exports ./exports
COPY --from=web /src/api/web/static ./api/web/static
RUN pip install --no-cache-dir '.[pdf]'

RUN useradd --create-home --uid 10001 tracegraph && mkdir -p /data && chown tracegraph /data
USER tracegraph
WORKDIR /data
ENV TRACEGRAPH_DB=/data/tracegraph.lbug
EXPOSE 8000
ENTRYPOINT ["tracegraph"]
CMD ["--help"]
