#! /bin/sh
# Generates configure and the Makefile templates.
set -e
autoreconf --install --force
