# syntax=docker/dockerfile:1
# The clinic's one image: every role (command, query, projector, notice) and
# the CLIs run from it. Build: docker build -t vetclinic/clinic .
# cmd/clinic's deploy tests parse this file; docs/operations.md explains it.

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
# A static binary: the runtime image has no C library.
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="-s -w" -o /out/clinic ./cmd/clinic \
    && mkdir -p /out/data

# No shell, no package manager, uid 65532.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/clinic /clinic
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
ENV CLINIC_LISTEN=0.0.0.0:8080 \
    CLINIC_DATA=/data
EXPOSE 8080
VOLUME ["/data"]
# serve stops taking requests on SIGTERM, finishes the ones in flight and
# commits its checkpoints.
STOPSIGNAL SIGTERM
# The image has no curl: the binary probes itself.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/clinic", "healthcheck", "--url", "http://127.0.0.1:8080/readyz"]
ENTRYPOINT ["/clinic"]
CMD ["serve"]
