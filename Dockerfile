# miso services image: `miso run <service>` (and every other miso command) on Node 24.
#   docker build -t miso:local .
#   docker run --rm miso:local run payment --service-url pulsar://pulsar:6650 --host 0.0.0.0
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Scripts off: `prepare` would build before the sources are copied; the pinned-Node package is not needed on a Node 24 image.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY bin ./bin
COPY schemas ./schemas
COPY src ./src
RUN npx tsc -p . && npx oclif manifest >/dev/null && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:24-bookworm-slim
WORKDIR /app
# A small young generation keeps each service near 110 MB of RSS under load (bench/workflow).
ENV NODE_ENV=production \
    NODE_OPTIONS=--max-semi-space-size=4 \
    MISO_STATE_DIR=/data \
    MISO_CONFIG_DIR=/data/config
COPY --from=build /app/package.json /app/oclif.manifest.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/schemas ./schemas
# Service databases (one SQLite file per service) live in /data: mount a volume there.
RUN mkdir -p /data && chown node:node /data
VOLUME /data
USER node
ENTRYPOINT ["node", "bin/miso.js"]
CMD ["run", "all", "--host", "0.0.0.0"]
