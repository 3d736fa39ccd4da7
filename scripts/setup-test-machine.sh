#!/usr/bin/env bash
# Make this machine able to run the test suite's managed instances: a Docker engine with the test images, and
# the OpenSSH server binary the SSH fixtures start on a loopback port; and the web console's tests' browser
# (Debian's Chromium, driven headless by Playwright from the test extra). Run as root (`make test` does) on a
# Debian bookworm machine; idempotent, and a rerun on a ready machine takes about a second.
#
#   ssm-emulator-test/debian:bookworm  debootstrap minbase + procps (ps, kill tests) + netcat-openbsd (a
#                                      TCP server for port-forward tests); has bash, apt, dpkg, os-release
#   ssm-emulator-test/busybox          Debian's busybox-static alone: /bin/sh, applets, /etc/os-release
#   ssm-emulator-test/dnf:bookworm     the debian image + Debian's dnf, rpm (rpmbuild) and createrepo-c: an RPM
#                                      package manager to patch through (tests give it an RPM distribution's
#                                      os-release)
#
# Built roots are cached as tarballs under $CACHE, so re-creating a removed image skips debootstrap.
set -euo pipefail

CACHE=${SSM_EMULATOR_TEST_CACHE:-/var/cache/ssm-emulator-test}
DOCKERD_LOG=${SSM_EMULATOR_DOCKERD_LOG:-/var/log/ssm-emulator-dockerd.log}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
DEBIAN_IMAGE=ssm-emulator-test/debian:bookworm
BUSYBOX_IMAGE=ssm-emulator-test/busybox:latest
DNF_IMAGE=ssm-emulator-test/dnf:bookworm
DNF_EXTRA="dnf rpm createrepo-c"
DEBIAN_EXTRA=procps,netcat-openbsd
# PID 1 of a test container: idle, but exits at once on SIGTERM (a bare `sleep` as PID 1 ignores it, and
# `docker stop` would wait its full 10 s grace period).
IDLE_CMD='CMD ["/bin/sh", "-c", "trap \"exit 0\" TERM INT; while :; do sleep 3600 & wait $!; done"]'
IMAGE_ENV='ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

T0=$EPOCHREALTIME
step_start=$T0
say() { printf '[setup-test-machine] %s\n' "$*"; }
fail() { say "FAILED: $*" >&2; exit 1; }
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }'; }
step() { say "$1 ($(elapsed "$step_start") s)"; step_start=$EPOCHREALTIME; }

[ "$(id -u)" = 0 ] || fail "run as root (it installs packages, starts dockerd and builds images)"
mkdir -p "$CACHE"
# Two concurrent `make test` runs would otherwise race building the same image.
exec 9>"$CACHE/.lock"
flock 9

# --- packages ------------------------------------------------------------------------------------------------
missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
command -v debootstrap >/dev/null || missing+=(debootstrap)
# The SSH tests' instance is this machine: they look for processes with ps and serve TCP with nc.
command -v ps >/dev/null || missing+=(procps)
command -v nc >/dev/null || missing+=(netcat-openbsd)
# Another user than the login one on an SSH host (Session Manager runAs) goes through sudo.
command -v sudo >/dev/null || missing+=(sudo)
# Change calendars read TZID zones through Python's zoneinfo, which needs the system time zone database.
[ -e /usr/share/zoneinfo/America/New_York ] || missing+=(tzdata)
# The web console's tests drive a real browser; Playwright's own browser download is never used.
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1
    # Only the binaries are wanted: keep postinst scripts from starting a system-wide sshd on port 22.
    own_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && own_policy=1
    fi
    trap '[ $own_policy = 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    [ $own_policy = 1 ] && rm -f /usr/sbin/policy-rc.d
    trap - EXIT
fi
command -v ssh-keygen >/dev/null || fail "ssh-keygen missing (openssh-client) — cannot generate sshd host keys"
# sshd refuses to start without its privilege-separation directory; /run is a tmpfs, so it goes at reboot.
mkdir -p /run/sshd && chmod 755 /run/sshd
step "packages ready"

# --- docker engine -------------------------------------------------------------------------------------------
if ! docker info >/dev/null 2>&1; then
    case "${DOCKER_HOST:-unix:///var/run/docker.sock}" in
        unix:///var/run/docker.sock) ;;
        *) fail "DOCKER_HOST=$DOCKER_HOST does not answer, and only a local engine can be started here" ;;
    esac
    if ! pgrep -x dockerd >/dev/null; then
        # A dockerd that was killed leaves its pid file; the next one refuses to start while it exists.
        rm -f /var/run/docker.pid
        say "starting dockerd (log: $DOCKERD_LOG)"
        # 9>&-: the daemon must not inherit (and hold forever) this script's lock.
        setsid dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null 9>&- &
    fi
    for _ in $(seq 1 120); do
        docker info >/dev/null 2>&1 && break
        sleep 0.5
    done
    docker info >/dev/null 2>&1 || {
        tail -n 20 "$DOCKERD_LOG" >&2 || true
        fail "the Docker engine did not answer within 60 s (see $DOCKERD_LOG)"
    }
fi
step "docker engine answers"

has_image() { docker image inspect "$1" >/dev/null 2>&1; }
import_root() { # import_root TARBALL IMAGE
    docker import -c "$IDLE_CMD" -c "$IMAGE_ENV" "$1" "$2" >/dev/null
}

# --- ssm-emulator-test/debian:bookworm ----------------------------------------------------------------------
if ! has_image "$DEBIAN_IMAGE"; then
    tarball="$CACHE/debian-bookworm-minbase-${DEBIAN_EXTRA//,/-}.tar"
    if [ ! -s "$tarball" ]; then
        root=$(mktemp -d "$CACHE/root.XXXXXX")
        say "debootstrap bookworm (minbase + $DEBIAN_EXTRA)"
        debootstrap --variant=minbase --include="$DEBIAN_EXTRA" bookworm "$root" "$MIRROR" \
            >"$CACHE/debootstrap.log" 2>&1 || {
            tail -n 20 "$CACHE/debootstrap.log" >&2
            rm -rf "$root"
            fail "debootstrap failed (see $CACHE/debootstrap.log)"
        }
        # The downloaded .debs are half the size of the root and useless inside the image.
        rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/log/bootstrap.log
        tar -C "$root" -cf "$tarball.part" . && mv "$tarball.part" "$tarball"
        rm -rf "$root"
        step "debian root built and cached"
    fi
    import_root "$tarball" "$DEBIAN_IMAGE"
    step "imported $DEBIAN_IMAGE"
fi

# --- ssm-emulator-test/busybox -------------------------------------------------------------------------------
if ! has_image "$BUSYBOX_IMAGE"; then
    tarball="$CACHE/busybox-root.tar"
    if [ ! -s "$tarball" ]; then
        work=$(mktemp -d "$CACHE/busybox.XXXXXX")
        (cd "$work" && apt-get download -qq busybox-static >/dev/null 2>&1) || {
            apt-get update -qq && (cd "$work" && apt-get download -qq busybox-static >/dev/null)
        } || fail "cannot download busybox-static"
        root="$work/root"
        mkdir -p "$root"
        dpkg-deb -x "$work"/busybox-static_*.deb "$root"
        rm -rf "$root/usr/share"
        # One symlink per applet at its usual place (sh, ls, ps, nc, ...), as `busybox --install -s` would.
        "$root/bin/busybox" --list-full | while read -r applet; do
            mkdir -p "$root/$(dirname "$applet")"
            [ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
        done
        mkdir -p "$root"/{etc,root,tmp,proc,sys,dev,var/tmp}
        chmod 1777 "$root/tmp" "$root/var/tmp"
        version=$(dpkg-deb -f "$work"/busybox-static_*.deb Version | sed 's/^[0-9]*://; s/-.*//')
        cat >"$root/etc/os-release" <<EOF
NAME="BusyBox"
ID=busybox
VERSION_ID="$version"
PRETTY_NAME="BusyBox $version (ssm-emulator test image)"
EOF
        printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' \
            >"$root/etc/passwd"
        printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
        tar -C "$root" -cf "$tarball.part" . && mv "$tarball.part" "$tarball"
        rm -rf "$work"
        step "busybox root built and cached"
    fi
    import_root "$tarball" "$BUSYBOX_IMAGE"
    step "imported $BUSYBOX_IMAGE"
fi

# --- ssm-emulator-test/dnf:bookworm -------------------------------------------------------------------------
if ! has_image "$DNF_IMAGE"; then
    tarball="$CACHE/debian-bookworm-dnf.tar"
    if [ ! -s "$tarball" ]; then
        # apt inside a container of the debian image (its sources.list is the mirror debootstrap used), then the
        # container's file system becomes the root: no second debootstrap.
        builder="ssm-emulator-test-dnf-build-$$"
        say "installing $DNF_EXTRA into a debian container"
        docker run --name "$builder" --network host "$DEBIAN_IMAGE" /bin/sh -c \
            "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
             $DNF_EXTRA >/dev/null && apt-get clean && rm -rf /var/lib/apt/lists/*" >"$CACHE/dnf-build.log" 2>&1 || {
            tail -n 20 "$CACHE/dnf-build.log" >&2
            docker rm -f "$builder" >/dev/null 2>&1
            fail "installing $DNF_EXTRA failed (see $CACHE/dnf-build.log)"
        }
        docker export "$builder" >"$tarball.part" && mv "$tarball.part" "$tarball"
        docker rm -f "$builder" >/dev/null
        step "dnf root built and cached"
    fi
    import_root "$tarball" "$DNF_IMAGE"
    step "imported $DNF_IMAGE"
fi

step "images present"
say "ready in $(elapsed "$T0") s"
