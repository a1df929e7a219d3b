# tongxing: build with dev dependencies, run with production dependencies only.
# Tested by building and running it: test/image.test.ts builds this file unchanged with
# `podman build --format docker` (on a local stand-in for the base image, scripts/base-image.sh)
# and runs the image read-only, without capabilities, against real Redis and PostgreSQL: start,
# migrations, a login, the HEALTHCHECK, the non-root user, a clean stop, the runtime's size.
#
# Optional build secrets, for builds behind a TLS-inspecting proxy or with a private registry;
# without them the build is the same. They are mounted at /run/secrets for the `npm ci` steps only
# and never written to a layer (the test checks the layers and the history):
#   ca      a PEM bundle npm trusts besides Node's own CAs (NODE_EXTRA_CA_CERTS)
#   npmrc   an .npmrc (registry, auth token) npm reads as its user config
#   docker buildx build --secret id=ca,src=/etc/ssl/certs/ca-certificates.crt -t tongxing .
FROM node:24.21.0-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts ./scripts
COPY prisma ./prisma
COPY prisma.config.ts ./
# npm ci's prepare step writes prisma/mysql/schema.prisma with this module before generating.
COPY src/db/mysqlSchema.ts ./src/db/mysqlSchema.ts
RUN --mount=type=secret,id=ca,required=false --mount=type=secret,id=npmrc,required=false \
  if [ -s /run/secrets/ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/ca; fi \
  && if [ -s /run/secrets/npmrc ]; then export NPM_CONFIG_USERCONFIG=/run/secrets/npmrc; fi \
  && npm ci
COPY tsconfig.json ./
COPY src ./src
# The session check the service shares with the library's package (@tongxing/verifier), compiled
# into dist/verifier by the build.
COPY verifier/src ./verifier/src
RUN npm run build

FROM node:24.21.0-bookworm-slim AS runtime
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000
WORKDIR /app
COPY package.json package-lock.json ./
# --omit=optional drops the prisma CLI's tree (typescript, effect, react, PGlite): it is a dev
# dependency that npm also records as an optional peer of @prisma/client, so --omit=dev alone keeps
# it. Then what the service never loads: type declarations (@types/*, dependencies of
# @prisma/adapter-pg and koa-body) and the Prisma query compilers for databases other than
# PostgreSQL and MySQL, and their source maps. test/image.test.ts fails if any of it comes back or node_modules passes 100 MB.
RUN --mount=type=secret,id=ca,required=false --mount=type=secret,id=npmrc,required=false \
  if [ -s /run/secrets/ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/ca; fi \
  && if [ -s /run/secrets/npmrc ]; then export NPM_CONFIG_USERCONFIG=/run/secrets/npmrc; fi \
  && npm ci --omit=dev --omit=optional --ignore-scripts && npm cache clean --force \
  && rm -rf node_modules/@types \
  && find node_modules/@prisma/client/runtime -type f \
    \( -name 'query_compiler_*' ! -name '*.postgresql.*' ! -name '*.mysql.*' -o -name '*.map' \) -delete
COPY --from=build /app/dist ./dist
COPY prisma ./prisma
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# Creates the database if missing and applies migrations before listening, like `npm start`.
CMD ["node", "--no-allocation-site-pretenuring", "dist/main.js"]
