/*
 * What the C references of scripts/bench share: a monotonic clock, argument parsing and the payload
 * generator, so that raw_lmdb and sqlite_events write exactly the same bytes. Define PROGRAM (the
 * program's name, for messages) before including it.
 */
#ifndef LMDS_BENCH_COMMON_H
#define LMDS_BENCH_COMMON_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long parse_positive(const char *text, const char *name) {
    char *end = NULL;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || value <= 0) {
        fprintf(stderr, PROGRAM ": %s must be a positive integer, not '%s'\n", name, text);
        exit(2);
    }
    return value;
}

/* Random-ish bytes (xorshift) for one record, regenerated per record so that pages do not repeat. */
static void fill_payload(uint64_t *state, unsigned char *payload, long event_bytes) {
    for (long b = 0; b < event_bytes; b += 8) {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        size_t n = (size_t)(event_bytes - b < 8 ? event_bytes - b : 8);
        memcpy(payload + b, state, n);
    }
}

#endif
