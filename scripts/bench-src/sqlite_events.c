/*
 * sqlite_events: the SQLite reference for scripts/bench, the embedded store most teams would pick
 * instead of LMDB. Debian's libsqlite3 in WAL mode with synchronous=FULL (every commit is durable, as
 * lmds's and raw LMDB's are), doing the same event appends and scans as raw_lmdb.
 *
 *   sqlite_events append FILE EVENTS BATCH EVENT_BYTES
 *       Appends EVENTS blobs of EVENT_BYTES bytes into events(position INTEGER PRIMARY KEY, record BLOB),
 *       positions gapless from 1, BATCH rows per transaction (one prepared INSERT, reused).
 *       Continues after the last position of an existing FILE.
 *   sqlite_events scan FILE
 *       SELECT position, record FROM events ORDER BY position, summing the blob bytes (after one untimed
 *       warm-up pass).
 *
 * Each prints one JSON line on stdout, the same fields as raw_lmdb.
 * Build: cc -O2 -Wall -Wextra -o sqlite_events sqlite_events.c -lsqlite3
 */
#define PROGRAM "sqlite_events"
#include "bench_common.h"
#include <errno.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void check(sqlite3 *db, int rc, int expected, const char *what) {
    if (rc != expected) {
        fprintf(stderr, "sqlite_events: %s: %s\n", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        exit(1);
    }
}

static void exec(sqlite3 *db, const char *sql) {
    char *message = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &message) != SQLITE_OK) {
        fprintf(stderr, "sqlite_events: %s: %s\n", sql, message ? message : "?");
        exit(1);
    }
}

static sqlite3 *open_database(const char *file) {
    sqlite3 *db = NULL;
    check(db, sqlite3_open(file, &db), SQLITE_OK, "sqlite3_open");
    exec(db, "PRAGMA journal_mode=WAL");
    exec(db, "PRAGMA synchronous=FULL");
    exec(db, "CREATE TABLE IF NOT EXISTS events (position INTEGER PRIMARY KEY, record BLOB NOT NULL)");
    return db;
}

static int64_t last_position(sqlite3 *db) {
    sqlite3_stmt *statement = NULL;
    check(db, sqlite3_prepare_v2(db, "SELECT COALESCE(MAX(position), 0) FROM events", -1, &statement, NULL), SQLITE_OK, "prepare max");
    check(db, sqlite3_step(statement), SQLITE_ROW, "step max");
    int64_t last = sqlite3_column_int64(statement, 0);
    sqlite3_finalize(statement);
    return last;
}

static int run_append(const char *file, long events, long batch, long event_bytes) {
    sqlite3 *db = open_database(file);
    int64_t position = last_position(db);
    sqlite3_stmt *insert = NULL;
    check(db, sqlite3_prepare_v2(db, "INSERT INTO events (position, record) VALUES (?, ?)", -1, &insert, NULL), SQLITE_OK, "prepare insert");

    /* The same bytes as raw_lmdb writes (fill_payload). */
    unsigned char *payload = malloc((size_t)event_bytes);
    if (payload == NULL) {
        fprintf(stderr, "sqlite_events: out of memory\n");
        return 1;
    }
    uint64_t state = 0x9E3779B97F4A7C15ULL;

    double started = now_seconds();
    long written = 0;
    while (written < events) {
        long in_this = events - written < batch ? events - written : batch;
        exec(db, "BEGIN IMMEDIATE");
        for (long i = 0; i < in_this; i++) {
            fill_payload(&state, payload, event_bytes);
            position++;
            sqlite3_bind_int64(insert, 1, position);
            sqlite3_bind_blob(insert, 2, payload, (int)event_bytes, SQLITE_STATIC);
            check(db, sqlite3_step(insert), SQLITE_DONE, "insert");
            sqlite3_reset(insert);
        }
        exec(db, "COMMIT");
        written += in_this;
    }
    double seconds = now_seconds() - started;

    printf("{\"workload\":\"append\",\"batch\":%ld,\"events\":%ld,\"seconds\":%.4f,\"eventsPerSecond\":%.1f}\n",
        batch, events, seconds, (double)events / seconds);
    free(payload);
    sqlite3_finalize(insert);
    sqlite3_close(db);
    return 0;
}

static long scan_pass(sqlite3 *db, uint64_t *bytes, uint64_t *checksum) {
    sqlite3_stmt *select = NULL;
    check(db, sqlite3_prepare_v2(db, "SELECT position, record FROM events ORDER BY position", -1, &select, NULL), SQLITE_OK, "prepare scan");
    long count = 0;
    int rc;
    while ((rc = sqlite3_step(select)) == SQLITE_ROW) {
        count++;
        const unsigned char *record = sqlite3_column_blob(select, 1);
        int size = sqlite3_column_bytes(select, 1);
        *bytes += (uint64_t)size;
        *checksum += (uint64_t)sqlite3_column_int64(select, 0) + (size > 0 ? record[0] : 0);
    }
    check(db, rc, SQLITE_DONE, "scan");
    sqlite3_finalize(select);
    return count;
}

static int run_scan(const char *file) {
    sqlite3 *db = open_database(file);
    uint64_t warm_bytes = 0, bytes = 0, checksum = 0;
    scan_pass(db, &warm_bytes, &checksum);
    double started = now_seconds();
    long count = scan_pass(db, &bytes, &checksum);
    double seconds = now_seconds() - started;
    if (checksum == 0 && count > 0) {
        fprintf(stderr, "sqlite_events: nothing was read\n");
        return 1;
    }
    printf("{\"workload\":\"scan\",\"events\":%ld,\"bytes\":%llu,\"seconds\":%.4f,\"eventsPerSecond\":%.1f,\"megabytesPerSecond\":%.2f}\n",
        count, (unsigned long long)bytes, seconds, (double)count / seconds, (double)bytes / 1e6 / seconds);
    sqlite3_close(db);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 6 && strcmp(argv[1], "append") == 0) {
        return run_append(argv[2], parse_positive(argv[3], "EVENTS"), parse_positive(argv[4], "BATCH"), parse_positive(argv[5], "EVENT_BYTES"));
    }
    if (argc == 3 && strcmp(argv[1], "scan") == 0) {
        return run_scan(argv[2]);
    }
    fprintf(stderr, "usage: sqlite_events append FILE EVENTS BATCH EVENT_BYTES | sqlite_events scan FILE\n");
    return 2;
}
