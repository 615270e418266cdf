# One cluster node: bird6 (BIRD 1.6.8) supervised by `birdctl agent`. Built by compose.yaml
# (`birdctl compose FILE`). Debian 12's own nodejs is 18, so the base is the official Node 20
# image on bookworm, with BIRD, iproute2 and dnsmasq from Debian; procps for sysctl (the agent
# reads and sets IPv6 sysctls with it), mount (util-linux, already in the base) for compose mode,
# isc-dhcp-client for the simulated VMs of the one-host compose cluster (README, Deployment).
# /etc/bird is bird:bird 0750 from the package; dnsmasq drops to nobody:dip (Debian's build) and
# must read its files in /etc/bird/dnsmasq (the agent keeps them beside bird6.conf), so group dip
# may enter it.
# The build stage bundles birdctl (`npm run build`: esbuild, a dev dependency); the image keeps only
# dist/ (the bin, the bundle and its code cache) and runs it with plain node, no tsx. The bundle
# holds every package but net-snmp, which must run as the sloppy-mode CommonJS it is, and yaml, which
# only a topology outside the plain-YAML fast path loads (scripts/build.mjs), so the image keeps the
# production node_modules; package.json also gives Node "type": "module" and birdctl its install directory
# (src/install-dir.ts).
FROM node:20-bookworm-slim AS build
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts ./scripts
COPY src ./src
# The build ends with warm-up runs that validate and render the example topology (they make the
# bundle's V8 code cache, scripts/build.mjs). This stage's node is the image's (the same base), so
# the image's V8 takes the cache.
COPY bird-templates ./bird-templates
COPY topology/example.yaml ./topology/example.yaml
RUN npm run build

FROM node:20-bookworm-slim

RUN apt-get update \
 && apt-get install -y --no-install-recommends bird iproute2 dnsmasq-base iputils-ping procps isc-dhcp-client \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /etc/bird /etc/birdctl \
 && chgrp dip /etc/bird

WORKDIR /opt/bird6-controller
# Dependencies first, so a source change does not reinstall them.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY bird-templates ./bird-templates
COPY --from=build /build/dist ./dist
RUN ln -s /opt/bird6-controller/dist/cli/bin.js /usr/local/bin/birdctl

# The agent writes /etc/bird/bird6.conf and bird6 listens on /run/bird/bird6.ctl (compose.yaml's
# command); /run is a tmpfs there, made afresh on every start.
CMD ["birdctl", "--help"]
