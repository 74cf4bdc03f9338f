# syntax=docker/dockerfile:1
# Multi-stage: compile with dev dependencies, run with production dependencies only, as a non-root user.
# a supported LTS line; package.json's engines keeps the oldest Node the suite passes on (.ci/run runs it on both)
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY plugins ./plugins
COPY routes ./routes
COPY client ./client
COPY scripts/bundle-client.ts ./scripts/
# tsconfig.build.json compiles src/, plugins/, routes/ and client/ into dist/; then the browser bundle of the client
RUN npm run build

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    WS_HOST=0.0.0.0 \
    WS_PORT=8080
WORKDIR /app
# owned by root and only readable by the runtime user: the process cannot rewrite its own code
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
USER node
EXPOSE 8080
# slim images have no curl; node's fetch is there. Liveness only: a lost broker is readiness (/health/ready), and
# restarting the container would not bring the broker back
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.WS_PORT || 8080) + '/health/live').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# exec form, no npm and no shell in between: SIGTERM reaches node, which closes clients with 1001 and exits
CMD ["node", "dist/src/server.js"]
