/*
 * raw_lmdb: the reference for scripts/bench. Plain liblmdb, no envelope, no hashing: what the
 * disk and LMDB give when nothing else is in the way.
 *
 *   raw_lmdb append DIR EVENTS BATCH EVENT_BYTES
 *       Appends EVENTS values of EVENT_BYTES bytes, keyed by big-endian uint64 positions from 1
 *       (MDB_APPEND), into the named database "events", BATCH values per durable write transaction
 *       (default flags: every commit syncs). Continues after the last position of an existing DIR.
 *   raw_lmdb scan DIR
 *       Full cursor scan of "events", summing the value bytes (after one untimed warm-up pass).
 *
 * Each prints one JSON line on stdout. DIR is created (0700) when missing.
 * Build: cc -O2 -Wall -Wextra -o raw_lmdb raw_lmdb.c -llmdb
 */
#define PROGRAM "raw_lmdb"
#include "bench_common.h"
#include <errno.h>
#include <lmdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static void check(int rc, const char *what) {
    if (rc != 0) {
        fprintf(stderr, "raw_lmdb: %s: %s\n", what, mdb_strerror(rc));
        exit(1);
    }
}

static void encode_key(uint64_t position, unsigned char key[8]) {
    for (int i = 7; i >= 0; i--) {
        key[i] = (unsigned char)(position & 0xFF);
        position >>= 8;
    }
}

static uint64_t decode_key(const MDB_val *key) {
    uint64_t position = 0;
    const unsigned char *bytes = key->mv_data;
    for (size_t i = 0; i < key->mv_size; i++) position = (position << 8) | bytes[i];
    return position;
}

static MDB_env *open_env(const char *dir, unsigned int flags) {
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        perror("raw_lmdb: creating the directory");
        exit(1);
    }
    MDB_env *env = NULL;
    check(mdb_env_create(&env), "mdb_env_create");
    check(mdb_env_set_maxdbs(env, 4), "mdb_env_set_maxdbs");
    check(mdb_env_set_mapsize(env, (size_t)4 << 30), "mdb_env_set_mapsize");
    check(mdb_env_open(env, dir, flags, 0600), "mdb_env_open");
    return env;
}

/* The last position in "events", 0 when empty. */
static uint64_t last_position(MDB_env *env, MDB_dbi dbi) {
    MDB_txn *txn = NULL;
    MDB_cursor *cursor = NULL;
    MDB_val key, value;
    uint64_t last = 0;
    check(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), "mdb_txn_begin (read)");
    check(mdb_cursor_open(txn, dbi, &cursor), "mdb_cursor_open");
    int rc = mdb_cursor_get(cursor, &key, &value, MDB_LAST);
    if (rc == 0) last = decode_key(&key);
    else if (rc != MDB_NOTFOUND) check(rc, "mdb_cursor_get (last)");
    mdb_cursor_close(cursor);
    mdb_txn_abort(txn);
    return last;
}

static int run_append(const char *dir, long events, long batch, long event_bytes) {
    MDB_env *env = open_env(dir, 0);
    MDB_txn *txn = NULL;
    MDB_dbi dbi;
    check(mdb_txn_begin(env, NULL, 0, &txn), "mdb_txn_begin");
    check(mdb_dbi_open(txn, "events", MDB_CREATE, &dbi), "mdb_dbi_open");
    check(mdb_txn_commit(txn), "mdb_txn_commit (open)");
    uint64_t position = last_position(env, dbi);

    /* The payload is regenerated per record (fill_payload) so that pages do not repeat. */
    unsigned char *payload = malloc((size_t)event_bytes);
    if (payload == NULL) {
        fprintf(stderr, "raw_lmdb: out of memory\n");
        return 1;
    }
    uint64_t state = 0x9E3779B97F4A7C15ULL;
    unsigned char key_bytes[8];

    double started = now_seconds();
    long written = 0;
    while (written < events) {
        long in_this = events - written < batch ? events - written : batch;
        check(mdb_txn_begin(env, NULL, 0, &txn), "mdb_txn_begin");
        for (long i = 0; i < in_this; i++) {
            fill_payload(&state, payload, event_bytes);
            position++;
            encode_key(position, key_bytes);
            MDB_val key = {.mv_size = 8, .mv_data = key_bytes};
            MDB_val value = {.mv_size = (size_t)event_bytes, .mv_data = payload};
            check(mdb_put(txn, dbi, &key, &value, MDB_APPEND), "mdb_put");
        }
        check(mdb_txn_commit(txn), "mdb_txn_commit");
        written += in_this;
    }
    double seconds = now_seconds() - started;

    printf("{\"workload\":\"append\",\"batch\":%ld,\"events\":%ld,\"seconds\":%.4f,\"eventsPerSecond\":%.1f}\n",
        batch, events, seconds, (double)events / seconds);
    free(payload);
    mdb_env_close(env);
    return 0;
}

/* One pass over "events"; returns the record count and adds the value bytes to *bytes. */
static long scan_pass(MDB_env *env, MDB_dbi dbi, uint64_t *bytes, uint64_t *checksum) {
    MDB_txn *txn = NULL;
    MDB_cursor *cursor = NULL;
    MDB_val key, value;
    long count = 0;
    check(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), "mdb_txn_begin (read)");
    check(mdb_cursor_open(txn, dbi, &cursor), "mdb_cursor_open");
    int rc = mdb_cursor_get(cursor, &key, &value, MDB_FIRST);
    while (rc == 0) {
        count++;
        *bytes += value.mv_size;
        *checksum += ((const unsigned char *)value.mv_data)[0];
        rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT);
    }
    if (rc != MDB_NOTFOUND) check(rc, "mdb_cursor_get");
    mdb_cursor_close(cursor);
    mdb_txn_abort(txn);
    return count;
}

static int run_scan(const char *dir) {
    MDB_env *env = open_env(dir, MDB_RDONLY);
    MDB_txn *txn = NULL;
    MDB_dbi dbi;
    check(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), "mdb_txn_begin (read)");
    check(mdb_dbi_open(txn, "events", 0, &dbi), "mdb_dbi_open");
    check(mdb_txn_commit(txn), "mdb_txn_commit (open)");

    uint64_t warm_bytes = 0, bytes = 0, checksum = 0;
    scan_pass(env, dbi, &warm_bytes, &checksum); /* untimed: page cache warm, as for lmds-bench */

    double started = now_seconds();
    long count = scan_pass(env, dbi, &bytes, &checksum);
    double seconds = now_seconds() - started;

    printf("{\"workload\":\"scan\",\"events\":%ld,\"bytes\":%llu,\"seconds\":%.4f,\"eventsPerSecond\":%.1f,"
           "\"megabytesPerSecond\":%.2f,\"checksum\":%llu}\n",
        count, (unsigned long long)bytes, seconds, (double)count / seconds, (double)bytes / 1e6 / seconds,
        (unsigned long long)checksum);
    mdb_env_close(env);
    return 0;
}

static void usage(void) {
    fprintf(stderr, "usage: raw_lmdb append DIR EVENTS BATCH EVENT_BYTES\n       raw_lmdb scan DIR\n");
    exit(2);
}

int main(int argc, char **argv) {
    if (argc == 6 && strcmp(argv[1], "append") == 0) {
        return run_append(argv[2], parse_positive(argv[3], "EVENTS"), parse_positive(argv[4], "BATCH"),
            parse_positive(argv[5], "EVENT_BYTES"));
    }
    if (argc == 3 && strcmp(argv[1], "scan") == 0) return run_scan(argv[2]);
    usage();
    return 2;
}
