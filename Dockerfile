# labmap as a container: the web map built from npm's lock file, the Go
# binary built with cgo (H3, GEOS) and the web map embedded, run as a
# non-root user on Debian's runtime libraries. See compose.yaml for it with
# PostGIS. The test suite does not use this file.

FROM golang:1.26-bookworm AS build
RUN apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends libgeos-dev nodejs npm \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Modules and npm packages first, so that a change of source reuses them.
COPY go.mod go.sum ./
RUN go mod download
COPY api/web/package.json api/web/package-lock.json api/web/
RUN cd api/web && npm ci --no-audit --no-fund
COPY . .
RUN cd api/web && npm run --silent build
RUN CGO_ENABLED=1 go build -trimpath -ldflags "-s -w" -o /out/labmap ./cmd/labmap

FROM debian:bookworm-slim
RUN apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends libgeos-c1v5 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /nonexistent --shell /usr/sbin/nologin labmap
COPY --from=build /out/labmap /usr/local/bin/labmap
USER 10001:10001
EXPOSE 8080
# Without --database-url this serves the built-in dataset (real Pekalongan
# villages, synthetic households); compose.yaml passes a PostGIS URL.
ENTRYPOINT ["labmap"]
CMD ["serve", "--addr", "0.0.0.0:8080"]
