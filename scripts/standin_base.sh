#!/usr/bin/env bash
# Build a local stand-in for public.ecr.aws/lambda/python:3.12 when that image cannot be pulled
# (no registry reachable). Run by hand, as root, with a running Docker engine; not part of CI.
# FORCE=1 rebuilds it when it exists.
#
# The stand-in: a Debian bookworm minbase root file system (debootstrap), CPython 3.12 at
# /var/lang like the real base (copied from a local build: PYTHON_PREFIX, default pyenv's 3.12),
# awslambdaric as the runtime client, and /var/runtime/bootstrap + /lambda-entrypoint.sh laid out
# as in the real image, so both `docker run` with SAM CLI's Runtime Interface Emulator and
# `sam local start-api --skip-pull-image` can run it.
#
# glibc: bookworm's is 2.36, the real base (Amazon Linux 2023) has 2.34. The Demand Dockerfile
# installs with explicit --platform tags (manylinux 2.28 and older), so a wheel that would need a
# newer glibc than the real base's fails on the stand-in too.
set -euo pipefail

TAG=${TAG:-public.ecr.aws/lambda/python:3.12}
PYTHON_PREFIX=${PYTHON_PREFIX:-$(pyenv prefix 3.12.1 2>/dev/null || echo /root/.pyenv/versions/3.12.1)}
WORK=${WORK:-/tmp/lambda-python312-standin}
MIRROR=${MIRROR:-http://deb.debian.org/debian}

if [ -z "${FORCE:-}" ] && docker image inspect "$TAG" >/dev/null 2>&1; then
    echo "$TAG already present locally"
    exit 0
fi
command -v debootstrap >/dev/null || { echo "debootstrap is needed (apt-get install -y debootstrap)"; exit 1; }
"$PYTHON_PREFIX/bin/python3.12" -c 'import ssl, sqlite3, ctypes, lzma, bz2' \
    || { echo "$PYTHON_PREFIX/bin/python3.12 is not a usable CPython 3.12"; exit 1; }

ROOTFS="$WORK/rootfs"
if [ ! -x "$ROOTFS/bin/sh" ]; then
    rm -rf "$ROOTFS"
    mkdir -p "$ROOTFS"
    # The shared libraries a CPython build links against (ssl, ffi, sqlite, lzma, bz2, zlib).
    debootstrap --variant=minbase \
        --include=ca-certificates,libssl3,libffi8,libsqlite3-0,liblzma5,libbz2-1.0,zlib1g,libreadline8,libncursesw6,libuuid1,libgdbm6 \
        bookworm "$ROOTFS" "$MIRROR"
fi

rm -rf "$ROOTFS/var/lang"
mkdir -p "$ROOTFS/var/lang" "$ROOTFS/var/runtime" "$ROOTFS/var/task" "$ROOTFS/opt"
cp -a "$PYTHON_PREFIX/." "$ROOTFS/var/lang/"
rm -rf "$ROOTFS/var/lang/lib/python3.12/test" "$ROOTFS/var/lang/lib/python3.12/site-packages"/*
ln -sf python3.12 "$ROOTFS/var/lang/bin/python3"
ln -sf python3.12 "$ROOTFS/var/lang/bin/python"

# This machine's CA bundle (a TLS-intercepting egress needs its CA to reach the package index);
# pip in the image is pointed at it through PIP_CERT below.
cp /etc/ssl/certs/ca-certificates.crt "$ROOTFS/etc/ssl/certs/ca-certificates.crt"
chroot "$ROOTFS" /usr/bin/env LD_LIBRARY_PATH=/var/lang/lib \
    /var/lang/bin/python3.12 -m ensurepip --upgrade >/dev/null
# The runtime client and boto3, which the real base ships in /var/runtime, installed by the
# host's pip for the image's Python and platform (wheels only).
rm -rf "$ROOTFS/var/runtime"/*
"$PYTHON_PREFIX/bin/python3.12" -m pip install --quiet --no-cache-dir --target "$ROOTFS/var/runtime" \
    --python-version 3.12 --only-binary=:all: --platform manylinux_2_28_x86_64 \
    --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 awslambdaric boto3
rm -rf "$ROOTFS/root/.cache"

cat > "$ROOTFS/var/runtime/bootstrap" <<'BOOT'
#!/bin/sh
# As in the real base: run the handler named by _HANDLER with the runtime interface client,
# with the function's code, then its layers (/opt/python), then the runtime on sys.path.
export PYTHONPATH=/var/task:/opt/python/lib/python3.12/site-packages:/opt/python:/var/runtime
exec /var/lang/bin/python3.12 -m awslambdaric "$_HANDLER"
BOOT
chmod +x "$ROOTFS/var/runtime/bootstrap"

cat > "$ROOTFS/lambda-entrypoint.sh" <<'ENTRY'
#!/bin/sh
# As in the real base: under an emulator (no AWS_LAMBDA_RUNTIME_API) run it, else the bootstrap.
export _HANDLER="$1"
if [ -z "${AWS_LAMBDA_RUNTIME_API:-}" ]; then
    exec /usr/local/bin/aws-lambda-rie /var/runtime/bootstrap "$@"
fi
exec /var/runtime/bootstrap "$@"
ENTRY
chmod +x "$ROOTFS/lambda-entrypoint.sh"

tar -C "$ROOTFS" -c . | docker import \
    --change 'ENV LANG=en_US.UTF-8' \
    --change 'ENV TZ=:/etc/localtime' \
    --change 'ENV PATH=/var/lang/bin:/usr/local/bin:/usr/bin:/bin:/opt/bin' \
    --change 'ENV LD_LIBRARY_PATH=/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib' \
    --change 'ENV LAMBDA_TASK_ROOT=/var/task' \
    --change 'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt' \
    --change 'ENV LAMBDA_RUNTIME_DIR=/var/runtime' \
    --change 'WORKDIR /var/task' \
    --change 'ENTRYPOINT ["/lambda-entrypoint.sh"]' \
    - "$TAG"
echo "built stand-in $TAG"
