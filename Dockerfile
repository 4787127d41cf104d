# One image for every pbkv node: the view server or a server, chosen by the
# command (see compose.yaml). TypeScript runs through tsx, as in development.
FROM node:20-slim

WORKDIR /app
COPY package.json package-lock.json ./
# tsx (which runs the sources) is a dev dependency, so install them all; no install scripts needed.
RUN npm ci --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY tsconfig.json ./
COPY src ./src

USER node
ENV NODE_ENV=production
# The broker comes from RABBITMQ_URL (compose sets it). SIGTERM stops the node cleanly.
ENTRYPOINT ["node", "--import", "tsx", "src/cli/node.ts"]
CMD ["--role", "viewserver", "--address", "viewserver"]
