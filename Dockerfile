# The watch-time service (and the viewer simulator, same image). Not built on the development
# machines (no Docker daemon there); test/unit/compose.test.ts checks this file's structure.
FROM node:20-bookworm-slim

WORKDIR /app
ENV NODE_ENV=production \
    PORT=8000 \
    HOST=0.0.0.0 \
    DATA_DIR=/data

# Dependencies first, from the lockfile only, so source edits reuse this layer. Dev dependencies
# (TypeScript) are needed for the build and pruned after it. lmdb and uWebSockets.js ship
# prebuilt linux binaries for glibc, which bookworm has.
COPY package.json package-lock.json ./
RUN npm ci --include=dev --no-audit --no-fund

COPY . .
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# All state lives on the named volume mounted here (docker-compose.yml), owned by the app user.
RUN mkdir -p /data && chown node:node /data
VOLUME /data
USER node

EXPOSE 8000
HEALTHCHECK --interval=2s --timeout=3s --start-period=10s --retries=30 \
  CMD node -e "fetch('http://127.0.0.1:' + (process.env.PORT || 8000) + '/readyz').then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1))"

# As `npm start`, minus the build: refuse a bad config or a DATA_DIR of another SHARDS with one
# line, then pm2-runtime as PID 1 so `docker stop` (SIGTERM) reaches it and stops every process.
CMD ["sh", "-c", "node dist/src/preflight.js && exec node_modules/.bin/pm2-runtime ecosystem.config.js"]
