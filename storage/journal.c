/*
 * journal.c - the SQLite journal: opening, schema migrations, durable transitions, recovery
 * reads.
 *
 * Promises (journal.h): a save is one transaction or nothing; the file is created 0600,
 * whole (built aside, then linked into place), and SQLite's -wal/-shm copy that mode; a file
 * that fails its checks (empty, not a database, not a journal, quick_check, newer schema) is
 * only ever read, never written, and a handle whose background check found damage writes no
 * more; recovery reads the partial index of unresolved rows and nothing else. Every
 * statement is prepared once per handle, and a save writes three b-trees (the payment, its
 * event, the partial index) and syncs the WAL once.
 */
#define _GNU_SOURCE
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "journal_sqlite.h"
#include "paycode.h"

/* 0x5053544d, "PSTM": marks the file as a posterm journal, so another program's database is
 * refused instead of having our tables added to it. Written by the v1 step below. */
#define JOURNAL_APPLICATION_ID 1347638349

/* A lock held by another process (a report tool, a backup) is waited for this long. */
#define JOURNAL_BUSY_TIMEOUT_MS 2000

/*
 * The schema, one step per version: migrations[v] takes a file from user_version v to v + 1.
 * A step is never edited once released (files in the field were made by it); change the
 * schema by adding a step. All pending steps run in one transaction with the new version.
 */
static const char *const migrations[] = {
    /* Sets of values are written as OR chains, not IN lists: SQLite builds a temporary
     * b-tree for an IN list of three or more values each time a statement evaluating it
     * runs (every CHECK and the partial index's WHERE on every save), a new page cache
     * each time: 3,700 saves/s on tmpfs with IN lists, 43,000 with OR chains.
     *
     * v1: the first release. One row per payment, an append-only event log, the day's order
     * sequence, and the partial index recovery reads. Both tables are WITHOUT ROWID b-trees
     * keyed by order number, and an event's id counts within its order, so a save writes
     * three b-trees (payment, event, partial index): each further b-tree (a rowid table's
     * primary-key index, an index of events by order) would be one more page in every
     * commit. */
    "PRAGMA application_id = 1347638349;"
    "CREATE TABLE payments ("
    " order_no TEXT PRIMARY KEY NOT NULL CHECK (length(order_no) BETWEEN 1 AND 32),"
    " channel TEXT NOT NULL CHECK (channel = 'none' OR channel = 'wechat' OR channel = 'alipay'),"
    " amount_fen INTEGER NOT NULL CHECK (amount_fen > 0),"
    " state TEXT NOT NULL CHECK (state = 'NEW' OR state = 'PAYING' OR state = 'QUERYING' OR"
    "  state = 'CANCELLING' OR state = 'PAID' OR state = 'FAILED' OR state = 'CANCELLED' OR"
    "  state = 'REFUNDING' OR state = 'REFUNDED'),"
    " auth_code TEXT CHECK (auth_code IS NULL OR"
    "  state = 'NEW' OR state = 'PAYING' OR state = 'QUERYING' OR state = 'CANCELLING' OR"
    "  state = 'REFUNDING'),"
    " code_last4 TEXT NOT NULL DEFAULT '' CHECK (length(code_last4) <= 4),"
    " abort_requested INTEGER NOT NULL DEFAULT 0,"
    " cancel_refunded INTEGER NOT NULL DEFAULT 0,"
    " created_at INTEGER NOT NULL,"
    " pay_sent_at INTEGER NOT NULL DEFAULT 0,"
    " updated_at INTEGER NOT NULL,"
    " queries INTEGER NOT NULL DEFAULT 0,"
    " cancels INTEGER NOT NULL DEFAULT 0,"
    " trade_no TEXT,"
    " last_error TEXT,"
    " refunded_fen INTEGER NOT NULL DEFAULT 0,"
    " refund_no TEXT,"
    " refund_fen INTEGER NOT NULL DEFAULT 0"
    ") WITHOUT ROWID;"
    "CREATE INDEX payments_unresolved ON payments(created_at) WHERE"
    " (state = 'NEW' OR state = 'PAYING' OR state = 'QUERYING' OR state = 'CANCELLING' OR"
    " state = 'REFUNDING');"
    "CREATE TABLE events ("
    " order_no TEXT NOT NULL,"
    " id INTEGER NOT NULL,"
    " at INTEGER NOT NULL,"
    " state TEXT NOT NULL,"
    " name TEXT NOT NULL,"
    " detail TEXT NOT NULL DEFAULT '',"
    " PRIMARY KEY (order_no, id)"
    ") WITHOUT ROWID;"
    "CREATE TRIGGER events_no_update BEFORE UPDATE ON events"
    " BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;"
    "CREATE TRIGGER events_no_delete BEFORE DELETE ON events"
    " BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;"
    "CREATE TABLE order_seq (day INTEGER PRIMARY KEY, last INTEGER NOT NULL);",

    /* v2: a ledger of refunds, so end-of-day totals count a refund on the day it was made,
     * and an index for listing payments by time. Refunds completed under v1 are known only
     * as a sum per payment: each such sum becomes one row named "<order>/v1". */
    "CREATE TABLE refunds ("
    " refund_no TEXT PRIMARY KEY NOT NULL,"
    " order_no TEXT NOT NULL,"
    " amount_fen INTEGER NOT NULL,"
    " state TEXT NOT NULL CHECK (state = 'REFUNDING' OR state = 'REFUNDED' OR state = 'FAILED'),"
    " at INTEGER NOT NULL"
    ");"
    "CREATE INDEX refunds_at ON refunds(at);"
    "CREATE INDEX refunds_open ON refunds(order_no) WHERE state = 'REFUNDING';"
    "CREATE INDEX payments_created ON payments(created_at);"
    "INSERT INTO refunds(refund_no, order_no, amount_fen, state, at)"
    " SELECT order_no || '/v1', order_no, refunded_fen, 'REFUNDED', updated_at"
    " FROM payments WHERE refunded_fen > 0;"
    "INSERT INTO refunds(refund_no, order_no, amount_fen, state, at)"
    " SELECT refund_no, order_no, refund_fen, 'REFUNDING', updated_at"
    " FROM payments WHERE state = 'REFUNDING' AND refund_no IS NOT NULL;",

    /* v3: the cause of last_error as a name (app/core/pay_cause.h), so a screen in another
     * language can word it. An older row's reason is known only in English: "other". */
    "ALTER TABLE payments ADD COLUMN last_cause TEXT NOT NULL DEFAULT '';"
    "UPDATE payments SET last_cause = 'other'"
    " WHERE last_error IS NOT NULL AND last_error <> '';",

    /* v4: whose order numbers these are, and what the journal may hold.
     * - journal_meta: the journal's identity (8 random base32 characters, made by the
     *   connection's posterm_new_identity(), from getrandom), the machine it belongs to (''
     *   until journal_claim records it) and one order sequence across days, going on above
     *   the largest per-day number ever handed out; `identities` keeps every identity it has
     *   had and why, so a new one never repeats an old one.
     * - payments rebuilt (SQLite cannot change a CHECK in place): auth_code may only be NULL
     *   (every stored code is dropped in the copy; the open runs this with secure_delete on,
     *   so the old pages are zeroed, and truncates the WAL after), the REFERRED state,
     *   refunded_fen within 0..amount_fen, and request_seq (the id of its last request).
     * - refunds rebuilt (in the same order, so rowids still count refunds as asked): the
     *   REFERRED state (a refund the gateway cannot finish, left for the merchant), the
     *   idempotency key a refund was asked with (unique where not empty), and an index by
     *   order for the order's last refund. */
    "CREATE TABLE journal_meta ("
    " one INTEGER PRIMARY KEY NOT NULL CHECK (one = 1),"
    " id TEXT NOT NULL CHECK (length(id) = 8),"
    " machine TEXT NOT NULL DEFAULT '',"
    " created_at INTEGER NOT NULL,"
    " order_seq INTEGER NOT NULL CHECK (order_seq >= 0)"
    ");"
    "INSERT INTO journal_meta(one, id, machine, created_at, order_seq)"
    " SELECT 1, posterm_new_identity(), '',"
    " CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER),"
    " coalesce((SELECT max(last) FROM order_seq), 0);"
    "CREATE TABLE identities ("
    " id TEXT PRIMARY KEY NOT NULL,"
    " since INTEGER NOT NULL,"
    " machine TEXT NOT NULL,"
    " why TEXT NOT NULL"
    ");"
    "INSERT INTO identities(id, since, machine, why)"
    " SELECT id, created_at, machine, 'created' FROM journal_meta;"
    "DROP TABLE order_seq;"
    "CREATE TABLE payments_v4 ("
    " order_no TEXT PRIMARY KEY NOT NULL CHECK (length(order_no) BETWEEN 1 AND 32),"
    " channel TEXT NOT NULL CHECK (channel = 'none' OR channel = 'wechat' OR channel = 'alipay'),"
    " amount_fen INTEGER NOT NULL CHECK (amount_fen > 0),"
    " state TEXT NOT NULL CHECK (state = 'NEW' OR state = 'PAYING' OR state = 'QUERYING' OR"
    "  state = 'CANCELLING' OR state = 'PAID' OR state = 'FAILED' OR state = 'CANCELLED' OR"
    "  state = 'REFUNDING' OR state = 'REFUNDED' OR state = 'REFERRED'),"
    " auth_code TEXT CHECK (auth_code IS NULL),"
    " code_last4 TEXT NOT NULL DEFAULT '' CHECK (length(code_last4) <= 4),"
    " abort_requested INTEGER NOT NULL DEFAULT 0,"
    " cancel_refunded INTEGER NOT NULL DEFAULT 0,"
    " created_at INTEGER NOT NULL,"
    " pay_sent_at INTEGER NOT NULL DEFAULT 0,"
    " updated_at INTEGER NOT NULL,"
    " queries INTEGER NOT NULL DEFAULT 0,"
    " cancels INTEGER NOT NULL DEFAULT 0,"
    " trade_no TEXT,"
    " last_error TEXT,"
    " refunded_fen INTEGER NOT NULL DEFAULT 0"
    "  CHECK (refunded_fen >= 0 AND refunded_fen <= amount_fen),"
    " refund_no TEXT,"
    " refund_fen INTEGER NOT NULL DEFAULT 0,"
    " last_cause TEXT NOT NULL DEFAULT '',"
    " request_seq INTEGER NOT NULL DEFAULT 0 CHECK (request_seq >= 0)"
    ") WITHOUT ROWID;"
    "INSERT INTO payments_v4(order_no, channel, amount_fen, state, auth_code, code_last4,"
    " abort_requested, cancel_refunded, created_at, pay_sent_at, updated_at, queries, cancels,"
    " trade_no, last_error, refunded_fen, refund_no, refund_fen, last_cause, request_seq)"
    " SELECT order_no, channel, amount_fen, state, NULL, code_last4, abort_requested,"
    " cancel_refunded, created_at, pay_sent_at, updated_at, queries, cancels, trade_no,"
    " last_error, refunded_fen, refund_no, refund_fen, last_cause, 0 FROM payments;"
    "DROP TABLE payments;"
    "ALTER TABLE payments_v4 RENAME TO payments;"
    "CREATE INDEX payments_unresolved ON payments(created_at) WHERE"
    " (state = 'NEW' OR state = 'PAYING' OR state = 'QUERYING' OR state = 'CANCELLING' OR"
    " state = 'REFUNDING');"
    "CREATE INDEX payments_created ON payments(created_at);"
    "CREATE INDEX payments_referred ON payments(created_at) WHERE state = 'REFERRED';"
    "CREATE TABLE refunds_v4 ("
    " refund_no TEXT PRIMARY KEY NOT NULL,"
    " order_no TEXT NOT NULL,"
    " amount_fen INTEGER NOT NULL CHECK (amount_fen >= 0),"
    " state TEXT NOT NULL CHECK (state = 'REFUNDING' OR state = 'REFUNDED' OR state = 'FAILED'"
    "  OR state = 'REFERRED'),"
    " at INTEGER NOT NULL,"
    " idem_key TEXT NOT NULL DEFAULT ''"
    ");"
    "INSERT INTO refunds_v4(refund_no, order_no, amount_fen, state, at)"
    " SELECT refund_no, order_no, amount_fen, state, at FROM refunds ORDER BY rowid;"
    "DROP TABLE refunds;"
    "ALTER TABLE refunds_v4 RENAME TO refunds;"
    "CREATE INDEX refunds_at ON refunds(at);"
    "CREATE INDEX refunds_open ON refunds(order_no) WHERE state = 'REFUNDING';"
    "CREATE UNIQUE INDEX refunds_key ON refunds(idem_key) WHERE idem_key <> '';"
    "CREATE INDEX refunds_order ON refunds(order_no);",

    /* v5: print jobs. A sale's and a refund's receipts are inserted in the transaction of the
     * event that ends the payment or refund (journal_set_receipts), so a power cut loses none.
     * A job is 'sending' (committed) before its bytes leave and 'printed' after the printer
     * took them all; one found 'sending' again is printed marked as a reprint. 'unprintable':
     * its document cannot be made (nothing to print it from), never retried. No jobs are made
     * for payments older than this step. */
    "CREATE TABLE print_jobs ("
    " id INTEGER PRIMARY KEY,"
    " kind TEXT NOT NULL CHECK (kind = 'sale' OR kind = 'refund' OR kind = 'eod'),"
    " order_no TEXT NOT NULL DEFAULT '' CHECK (length(order_no) <= 32),"
    " refund_no TEXT NOT NULL DEFAULT '' CHECK (length(refund_no) <= 32),"
    " day INTEGER NOT NULL DEFAULT 0,"
    " copy TEXT NOT NULL DEFAULT 'customer' CHECK (copy = 'customer' OR copy = 'merchant'),"
    " state TEXT NOT NULL DEFAULT 'waiting' CHECK (state = 'waiting' OR state = 'sending' OR"
    "  state = 'printed' OR state = 'unprintable'),"
    " reprint INTEGER NOT NULL DEFAULT 0 CHECK (reprint = 0 OR reprint = 1),"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " created_at INTEGER NOT NULL,"
    " sent_at INTEGER NOT NULL DEFAULT 0,"
    " printed_at INTEGER NOT NULL DEFAULT 0,"
    " last_error TEXT NOT NULL DEFAULT ''"
    ");"
    "CREATE INDEX print_jobs_pending ON print_jobs(id) WHERE state = 'waiting' OR"
    " state = 'sending';",

    /* v6: finding a payment without reading all history (storage/reports.h report_history,
     * report_find_short), and who approved each refund.
     * - payments_last4: a customer's payment code finds its payments by its last four digits;
     *   payments_amount: an amount finds its payments; both newest first within the key.
     * - payments_short: the last six characters of the order number (the last six digits of
     *   the journal's one sequence, unique until a million orders), so a receipt's short form
     *   finds its order. order_no is never updated, so a save never rewrites this index.
     * - refunds.approved_by: who approved the refund (a supervisor's PIN), '' when none was
     *   asked for. */
    "CREATE INDEX payments_last4 ON payments(code_last4, created_at);"
    "CREATE INDEX payments_amount ON payments(amount_fen, created_at);"
    "CREATE INDEX payments_short ON payments(substr(order_no, -6));"
    "ALTER TABLE refunds ADD COLUMN approved_by TEXT NOT NULL DEFAULT ''"
    " CHECK (length(approved_by) <= 32);",

    /* v7: cashiers, shifts and the closed day.
     * - payments and refunds record the cashier signed in when they were made ('' when no
     *   cashiers are configured), so a shift's handover report counts only its own.
     * - shifts: one row per sign-in, ended_at 0 while it is open; at most one open.
     * - z_reports and z_report_totals: the closed days (Z reports), numbered 1, 2, ... with
     *   no gap, each covering the time since the one before; the triggers refuse every UPDATE
     *   and DELETE, and totals for any report but the newest, so a closed day never changes.
     * - print_jobs rebuilt (a CHECK cannot change in place) to take the kinds 'shift' and 'z';
     *   ref names the shift's id or the Z report's number. */
    "ALTER TABLE payments ADD COLUMN cashier TEXT NOT NULL DEFAULT ''"
    " CHECK (length(cashier) <= 32);"
    "ALTER TABLE refunds ADD COLUMN cashier TEXT NOT NULL DEFAULT ''"
    " CHECK (length(cashier) <= 32);"
    "CREATE INDEX payments_cashier ON payments(cashier, created_at);"
    "CREATE TABLE shifts ("
    " id INTEGER PRIMARY KEY,"
    " cashier TEXT NOT NULL CHECK (length(cashier) BETWEEN 1 AND 32),"
    " name TEXT NOT NULL DEFAULT '' CHECK (length(name) <= 64),"
    " started_at INTEGER NOT NULL,"
    " ended_at INTEGER NOT NULL DEFAULT 0 CHECK (ended_at = 0 OR ended_at >= started_at)"
    ");"
    "CREATE UNIQUE INDEX shifts_open ON shifts(ended_at) WHERE ended_at = 0;"
    "CREATE TABLE z_reports ("
    " number INTEGER PRIMARY KEY CHECK (number >= 1),"
    " day INTEGER NOT NULL,"
    " from_at INTEGER NOT NULL,"
    " closed_at INTEGER NOT NULL CHECK (closed_at >= from_at)"
    ");"
    "CREATE TABLE z_report_totals ("
    " number INTEGER NOT NULL REFERENCES z_reports(number),"
    " channel TEXT NOT NULL CHECK (channel = 'none' OR channel = 'wechat' OR channel = 'alipay'),"
    " paid_count INTEGER NOT NULL, refunded_count INTEGER NOT NULL,"
    " charged_fen INTEGER NOT NULL, refunded_fen INTEGER NOT NULL, net_fen INTEGER NOT NULL,"
    " unresolved_count INTEGER NOT NULL, referred_count INTEGER NOT NULL,"
    " PRIMARY KEY (number, channel)"
    ") WITHOUT ROWID;"
    "CREATE TRIGGER z_reports_numbered BEFORE INSERT ON z_reports"
    " WHEN NEW.number <> coalesce((SELECT max(number) FROM z_reports), 0) + 1"
    " BEGIN SELECT RAISE(ABORT, 'Z reports are numbered without a gap'); END;"
    "CREATE TRIGGER z_reports_no_update BEFORE UPDATE ON z_reports"
    " BEGIN SELECT RAISE(ABORT, 'a closed day cannot be changed'); END;"
    "CREATE TRIGGER z_reports_no_delete BEFORE DELETE ON z_reports"
    " BEGIN SELECT RAISE(ABORT, 'a closed day cannot be changed'); END;"
    "CREATE TRIGGER z_report_totals_newest BEFORE INSERT ON z_report_totals"
    " WHEN NEW.number IS NOT (SELECT max(number) FROM z_reports)"
    " BEGIN SELECT RAISE(ABORT, 'a closed day cannot be changed'); END;"
    "CREATE TRIGGER z_report_totals_no_update BEFORE UPDATE ON z_report_totals"
    " BEGIN SELECT RAISE(ABORT, 'a closed day cannot be changed'); END;"
    "CREATE TRIGGER z_report_totals_no_delete BEFORE DELETE ON z_report_totals"
    " BEGIN SELECT RAISE(ABORT, 'a closed day cannot be changed'); END;"
    "CREATE TABLE print_jobs_v7 ("
    " id INTEGER PRIMARY KEY,"
    " kind TEXT NOT NULL CHECK (kind = 'sale' OR kind = 'refund' OR kind = 'eod' OR"
    "  kind = 'shift' OR kind = 'z'),"
    " order_no TEXT NOT NULL DEFAULT '' CHECK (length(order_no) <= 32),"
    " refund_no TEXT NOT NULL DEFAULT '' CHECK (length(refund_no) <= 32),"
    " day INTEGER NOT NULL DEFAULT 0,"
    " copy TEXT NOT NULL DEFAULT 'customer' CHECK (copy = 'customer' OR copy = 'merchant'),"
    " state TEXT NOT NULL DEFAULT 'waiting' CHECK (state = 'waiting' OR state = 'sending' OR"
    "  state = 'printed' OR state = 'unprintable'),"
    " reprint INTEGER NOT NULL DEFAULT 0 CHECK (reprint = 0 OR reprint = 1),"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " created_at INTEGER NOT NULL,"
    " sent_at INTEGER NOT NULL DEFAULT 0,"
    " printed_at INTEGER NOT NULL DEFAULT 0,"
    " last_error TEXT NOT NULL DEFAULT '',"
    " ref INTEGER NOT NULL DEFAULT 0"
    ");"
    "INSERT INTO print_jobs_v7(id, kind, order_no, refund_no, day, copy, state, reprint,"
    " attempts, created_at, sent_at, printed_at, last_error)"
    " SELECT id, kind, order_no, refund_no, day, copy, state, reprint, attempts, created_at,"
    " sent_at, printed_at, last_error FROM print_jobs;"
    "DROP TABLE print_jobs;"
    "ALTER TABLE print_jobs_v7 RENAME TO print_jobs;"
    "CREATE INDEX print_jobs_pending ON print_jobs(id) WHERE state = 'waiting' OR"
    " state = 'sending';",

    /* v8: when the PIN locks end (wall ms, 0 = none), so a restart does not undo five wrong
     * PINs (pin_locks.h): the cashiers' sign-in and the supervisor's refund PIN. */
    ("ALTER TABLE journal_meta ADD COLUMN signin_locked_until INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE journal_meta ADD COLUMN refund_pin_locked_until INTEGER NOT NULL DEFAULT 0;"),

    /* v9: dynamic QR payments (the customer scans the terminal). kind: how the customer pays
     * ('barcode' for every older row); qr_payload: what the QR shows, once a verified create
     * gave it (not a secret: anyone at the counter sees it), kept so a restart shows the same
     * QR; qr_window_s: the window the create asked the gateway for, so the close's wait for
     * the gateway's expiry survives a changed config. */
    ("ALTER TABLE payments ADD COLUMN kind TEXT NOT NULL DEFAULT 'barcode'"
     " CHECK (kind = 'barcode' OR kind = 'qr');"
     "ALTER TABLE payments ADD COLUMN qr_payload TEXT NOT NULL DEFAULT ''"
     " CHECK (length(qr_payload) <= 128);"
     "ALTER TABLE payments ADD COLUMN qr_window_s INTEGER NOT NULL DEFAULT 0"
     " CHECK (qr_window_s >= 0);"),

    /* v10: the cash register's sales (issue 22, app/register_api.h). One row per sale the
     * register asked to be paid: its own id and the order that pays it, written in the same
     * transaction as the order's creation, so a register that crashed finds the payment by
     * its id, and a sale can never be paid by two orders (both columns unique). */
    ("CREATE TABLE sales ("
     " sale_id TEXT PRIMARY KEY CHECK (length(sale_id) BETWEEN 1 AND 64),"
     " order_no TEXT NOT NULL UNIQUE,"
     " created_at INTEGER NOT NULL"
     ") WITHOUT ROWID;"),

    /* v11: reconciliations of the gateways' daily bills (issue 21, storage/reconciliations.h).
     * One row per day and channel: when it ran and what it found of each kind (the names of
     * app/core/reconcile.h); one reconcile_items row per difference, an alert until a supervisor
     * acknowledges it (acknowledged_at, wall ms; 0 = open). A day run again replaces its rows. */
    ("CREATE TABLE reconciliations ("
     " date TEXT NOT NULL CHECK (length(date) = 10),"
     " channel TEXT NOT NULL CHECK (channel = 'wechat' OR channel = 'alipay'),"
     " started_at INTEGER NOT NULL,"
     " finished_at INTEGER NOT NULL,"
     " no_bill INTEGER NOT NULL DEFAULT 0,"
     " bill_rows INTEGER NOT NULL DEFAULT 0,"
     " foreign_rows INTEGER NOT NULL DEFAULT 0,"
     " matched INTEGER NOT NULL DEFAULT 0,"
     " reversed INTEGER NOT NULL DEFAULT 0,"
     " charged_not_paid INTEGER NOT NULL DEFAULT 0,"
     " paid_not_in_bill INTEGER NOT NULL DEFAULT 0,"
     " amount_differs INTEGER NOT NULL DEFAULT 0,"
     " refund_matched INTEGER NOT NULL DEFAULT 0,"
     " refund_differs INTEGER NOT NULL DEFAULT 0,"
     " refund_not_in_bill INTEGER NOT NULL DEFAULT 0,"
     " refund_outside INTEGER NOT NULL DEFAULT 0,"
     " PRIMARY KEY (date, channel)"
     ") WITHOUT ROWID;"
     "CREATE TABLE reconcile_items ("
     " date TEXT NOT NULL,"
     " channel TEXT NOT NULL,"
     " kind TEXT NOT NULL,"
     " order_no TEXT NOT NULL CHECK (length(order_no) BETWEEN 1 AND 64),"
     " refund_no TEXT NOT NULL DEFAULT '',"
     " trade_no TEXT NOT NULL DEFAULT '',"
     " bill_fen INTEGER NOT NULL,"
     " journal_fen INTEGER NOT NULL,"
     " bill_line INTEGER NOT NULL DEFAULT 0,"
     " acknowledged_at INTEGER NOT NULL DEFAULT 0"
     ");"
     "CREATE INDEX reconcile_items_day ON reconcile_items(date, channel);"
     "CREATE INDEX reconcile_items_open ON reconcile_items(date) WHERE acknowledged_at = 0;"),
    /* v12: the fleet outbox (issue 24, storage/outbox.h): one row per event head office should
     * see, written in the transaction of the event itself while the outbox is on
     * (outbox_turn_on). seq is the rowid: a row is never deleted, so seq only grows, one
     * sequence per journal. sent_at (wall ms, 0 = not yet) is set on the broker's PUBACK;
     * outbox_unsent is what a restart resends. The payload is made by json_object; no
     * json_valid CHECK: the journal's connections do not trust the schema with it ("unsafe
     * use"), and quick_check evaluates every CHECK. */
    ("CREATE TABLE outbox ("
     " seq INTEGER PRIMARY KEY,"
     " kind TEXT NOT NULL CHECK (kind = 'payment' OR kind = 'refund' OR kind = 'alert'),"
     " payload TEXT NOT NULL,"
     " created_at INTEGER NOT NULL,"
     " sent_at INTEGER NOT NULL DEFAULT 0"
     ");"
     "CREATE INDEX outbox_unsent ON outbox(seq) WHERE sent_at = 0;"),
    /* v13: a reconciliation's slip (issue 21, recon2): print_jobs rebuilt (a CHECK cannot
     * change in place) to take the kind 'recon'; its day is the bill day reconciled. */
    ("CREATE TABLE print_jobs_v13 ("
     " id INTEGER PRIMARY KEY,"
     " kind TEXT NOT NULL CHECK (kind = 'sale' OR kind = 'refund' OR kind = 'eod' OR"
     "  kind = 'shift' OR kind = 'z' OR kind = 'recon'),"
     " order_no TEXT NOT NULL DEFAULT '' CHECK (length(order_no) <= 32),"
     " refund_no TEXT NOT NULL DEFAULT '' CHECK (length(refund_no) <= 32),"
     " day INTEGER NOT NULL DEFAULT 0,"
     " copy TEXT NOT NULL DEFAULT 'customer' CHECK (copy = 'customer' OR copy = 'merchant'),"
     " state TEXT NOT NULL DEFAULT 'waiting' CHECK (state = 'waiting' OR state = 'sending' OR"
     "  state = 'printed' OR state = 'unprintable'),"
     " reprint INTEGER NOT NULL DEFAULT 0 CHECK (reprint = 0 OR reprint = 1),"
     " attempts INTEGER NOT NULL DEFAULT 0,"
     " created_at INTEGER NOT NULL,"
     " sent_at INTEGER NOT NULL DEFAULT 0,"
     " printed_at INTEGER NOT NULL DEFAULT 0,"
     " last_error TEXT NOT NULL DEFAULT '',"
     " ref INTEGER NOT NULL DEFAULT 0"
     ");"
     "INSERT INTO print_jobs_v13(id, kind, order_no, refund_no, day, copy, state, reprint,"
     " attempts, created_at, sent_at, printed_at, last_error, ref)"
     " SELECT id, kind, order_no, refund_no, day, copy, state, reprint, attempts, created_at,"
     " sent_at, printed_at, last_error, ref FROM print_jobs;"
     "DROP TABLE print_jobs;"
     "ALTER TABLE print_jobs_v13 RENAME TO print_jobs;"
     "CREATE INDEX print_jobs_pending ON print_jobs(id) WHERE state = 'waiting' OR"
     " state = 'sending';"),
    /* v14: the outbox also carries the closed days (kind 'zreport', written in the Z
     * report's own transaction: outbox_add_zreport), so head office never misses a Z report.
     * A CHECK cannot be altered: the table is copied, seqs and sent marks kept. */
    ("CREATE TABLE outbox_v14 ("
     " seq INTEGER PRIMARY KEY,"
     " kind TEXT NOT NULL CHECK (kind = 'payment' OR kind = 'refund' OR kind = 'alert' OR"
     "  kind = 'zreport'),"
     " payload TEXT NOT NULL,"
     " created_at INTEGER NOT NULL,"
     " sent_at INTEGER NOT NULL DEFAULT 0"
     ");"
     "INSERT INTO outbox_v14(seq, kind, payload, created_at, sent_at)"
     " SELECT seq, kind, payload, created_at, sent_at FROM outbox;"
     "DROP TABLE outbox;"
     "ALTER TABLE outbox_v14 RENAME TO outbox;"
     "CREATE INDEX outbox_unsent ON outbox(seq) WHERE sent_at = 0;"),
};

#define JOURNAL_VERSION ((int)(sizeof migrations / sizeof migrations[0]))

enum stmt_id {
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_UPSERT,
    ST_LAST4,
    ST_EVENT,
    ST_REFUND_OPEN,
    ST_REFUND_CLOSE,
    ST_REFUND_REFER,
    ST_LOAD,
    ST_UNRESOLVED,
    ST_COUNT_UNRESOLVED,
    ST_NEXT_SEQ,
    ST_IDENTITY,
    ST_REFUND_BY_KEY,
    ST_LAST_REFUND,
    ST_PRINT_JOB,
    ST_REFUND_BY_NO,
    ST_SALE,
    ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    /* created_at and amount_fen never change for an order: a row with another created_at or
     * amount is a different order that happens to have the same number, and must not be
     * overwritten. Its cashier is the one who took it: a later save (a background resume in
     * another shift) keeps it. Every column an update names rewrites the indexes on it, one
     * page more in the WAL per commit even when the value is the same (issue 23: 6.2 pages
     * per transition, against raw SQLite's 1): so the update leaves out the amount (fixed) and
     * the code's last four digits (written by ST_LAST4, and only when they change). */
    [ST_UPSERT] =
        "INSERT INTO payments(" JOURNAL_PAYMENT_COLUMNS ", cashier) VALUES "
        "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, "
        "?20, ?21, ?22, ?23, ?24) "
        "ON CONFLICT(order_no) DO UPDATE SET channel = excluded.channel, "
        "state = excluded.state, auth_code = excluded.auth_code, "
        "abort_requested = excluded.abort_requested, "
        "cancel_refunded = excluded.cancel_refunded, pay_sent_at = excluded.pay_sent_at, "
        "updated_at = excluded.updated_at, queries = excluded.queries, "
        "cancels = excluded.cancels, trade_no = excluded.trade_no, "
        "last_error = excluded.last_error, refunded_fen = excluded.refunded_fen, "
        "refund_no = excluded.refund_no, refund_fen = excluded.refund_fen, "
        "last_cause = excluded.last_cause, request_seq = excluded.request_seq, "
        "kind = excluded.kind, qr_payload = excluded.qr_payload, "
        "qr_window_s = excluded.qr_window_s "
        "WHERE payments.created_at = excluded.created_at "
        "AND payments.amount_fen = excluded.amount_fen",
    [ST_LAST4] = "UPDATE payments SET code_last4 = ?2 WHERE order_no = ?1 AND code_last4 <> ?2",
    /* An event's id is one more than its order's last: read from the page about to be
     * written anyway, so numbering costs no extra write. (A scalar subquery, not INSERT ...
     * SELECT: reading the table being inserted into would make SQLite copy the rows through
     * a temporary table, a new page cache on every save.) */
    [ST_EVENT] = "INSERT INTO events(order_no, id, at, state, name, detail) VALUES (?1, "
                 "(SELECT coalesce(max(id), 0) + 1 FROM events WHERE order_no = ?1), "
                 "?2, ?3, ?4, ?5)",
    [ST_REFUND_OPEN] = "INSERT INTO refunds(refund_no, order_no, amount_fen, state, at, idem_key, "
                       "approved_by, cashier) VALUES (?1, ?2, ?3, 'REFUNDING', ?4, ?5, ?6, ?7) "
                       "ON CONFLICT(refund_no) DO NOTHING",
    /* Runs before the payment row is updated: a refund that leaves REFUNDING succeeded when
     * the refunded sum grew (by the amount the gateway actually returned), failed otherwise. */
    [ST_REFUND_CLOSE] =
        "UPDATE refunds SET at = ?3, "
        "state = CASE WHEN ?2 > p.refunded_fen THEN 'REFUNDED' ELSE 'FAILED' END, "
        "amount_fen = CASE WHEN ?2 > p.refunded_fen THEN ?2 - p.refunded_fen ELSE amount_fen END "
        "FROM (SELECT refunded_fen FROM payments WHERE order_no = ?1) AS p "
        "WHERE refunds.order_no = ?1 AND refunds.state = 'REFUNDING'",
    /* A payment left for the merchant leaves its refund in flight to the merchant too. */
    [ST_REFUND_REFER] = "UPDATE refunds SET state = 'REFERRED', at = ?2 "
                        "WHERE order_no = ?1 AND state = 'REFUNDING'",
    [ST_LOAD] = "SELECT " JOURNAL_PAYMENT_COLUMNS " FROM payments WHERE order_no = ?1",
    [ST_UNRESOLVED] = "SELECT " JOURNAL_PAYMENT_COLUMNS " FROM payments WHERE " JOURNAL_UNRESOLVED
                      " ORDER BY created_at",
    [ST_COUNT_UNRESOLVED] = "SELECT count(*) FROM payments WHERE " JOURNAL_UNRESOLVED,
    [ST_NEXT_SEQ] = "UPDATE journal_meta SET order_seq = order_seq + 1 WHERE one = 1 "
                    "RETURNING order_seq",
    [ST_IDENTITY] = "SELECT id, machine FROM journal_meta WHERE one = 1",
    /* "idem_key <> ''" as in refunds_key's WHERE, so SQLite may use that index. */
    [ST_REFUND_BY_KEY] =
        "SELECT refund_no, order_no, amount_fen, state, at, approved_by FROM refunds "
        "WHERE idem_key = ?1 AND idem_key <> ''",
    /* A refunds row's rowid grows with each refund asked: the largest is the latest. */
    [ST_LAST_REFUND] =
        "SELECT refund_no, order_no, amount_fen, state, at, approved_by FROM refunds "
        "WHERE order_no = ?1 ORDER BY rowid DESC LIMIT 1",
    [ST_REFUND_BY_NO] =
        "SELECT refund_no, order_no, amount_fen, state, at, approved_by FROM refunds "
        "WHERE refund_no = ?1",
    [ST_PRINT_JOB] = "INSERT INTO print_jobs(kind, order_no, refund_no, copy, created_at) "
                     "VALUES (?1, ?2, ?3, ?4, ?5)",
    [ST_SALE] = "INSERT INTO sales(sale_id, order_no, created_at) VALUES (?1, ?2, ?3)",
};

/* Where the background check is (struct journal's bg_state). */
enum bg_state { BG_NONE, BG_RUNNING, BG_PASSED, BG_DAMAGED, BG_FAILED };

struct journal {
    sqlite3 *db;
    sqlite3_stmt *st[ST_COUNT];
    int os_errno;       /* errno right after the last failed step (see journal_step()) */
    bool damaged;       /* a check failed: no more writes */
    bool receipts;      /* journal_save makes the print jobs of sales and refunds */
    bool merchant_copy; /* ... a merchant's copy of each as well */
    journal_save_hook_fn save_hook;        /* run inside journal_save's transaction: the outbox */
    char cashier[JOURNAL_CASHIER_MAX + 1]; /* recorded on new payments and refunds */
    char refund_approver[JOURNAL_APPROVER_MAX + 1]; /* recorded with the next refund opened */
    char sale_id[JOURNAL_SALE_ID_MAX + 1];          /* the register's sale of the next order */
    char error[256];
    char identity[9];
    char *path; /* for the background check's own connection */

    /* The background check. While its thread runs (bg_started), bg_state, bg_stop (asks it
     * to end) and bg_verdict are shared and read or written only under bg_lock. */
    pthread_t bg_thread;
    pthread_mutex_t bg_lock;
    bool bg_started;
    int bg_state;
    bool bg_stop;
    char bg_verdict[200];
};

sqlite3 *journal_sqlite(struct journal *j)
{
    return j->db;
}

const char *journal_status_reason(enum journal_status st)
{
    switch (st) {
    case JOURNAL_OK: return "ok";
    case JOURNAL_NOT_FOUND: return "no such order in the journal";
    case JOURNAL_EXISTS: return "the order number is already taken by another order";
    case JOURNAL_FULL: return "the disk is full: nothing was written";
    case JOURNAL_READONLY: return "the journal cannot be written (read-only file or folder)";
    case JOURNAL_CORRUPT:
        return "the journal is damaged, empty or not a posterm journal; nothing more is written to "
               "it";
    case JOURNAL_TOO_NEW:
        return "the journal was written by a newer posterm; this posterm does not write to it";
    case JOURNAL_IO: return "the journal could not be read or written";
    }
    return "unknown journal status";
}

int journal_schema_version(void)
{
    return JOURNAL_VERSION;
}

const char *journal_last_error(const struct journal *j)
{
    return j->error;
}

/* Payment codes are 16 to 24 digits. Masks all but the last four digits of any run of that
 * length, in place. Longer runs are left: the gateways' trade numbers (28 digits) are not
 * secrets and are what a person looks up in the merchant portal. */
/* Replaces the n characters at s + at with paycode_mask()'s view of them: the one way a
 * payment code is ever written (never longer than what it replaces). */
static void mask_span(char *s, size_t at, size_t n)
{
    char run[64], masked[PAYCODE_MASK_MAX];
    snprintf(run, sizeof run, "%.*s", (int)(n < sizeof run ? n : sizeof run - 1), s + at);
    paycode_mask(run, masked, sizeof masked);
    size_t m = strlen(masked);
    memcpy(s + at, masked, m);
    memmove(s + at + m, s + at + n, strlen(s + at + n) + 1);
}

/* Any run of digits as long as a payment code (16 to 24) in free text (SQLite's messages,
 * details) is masked: a code may hide where no one expects it. */
static void mask_long_digit_runs(char *s)
{
    size_t i = 0;
    while (s[i]) {
        size_t start = i;
        while (s[i] >= '0' && s[i] <= '9')
            i++;
        if (i - start >= 16 && i - start <= 24) {
            mask_span(s, start, i - start);
            i = start + PAYCODE_MASK_MAX - 1;
        }
        if (i == start)
            i++;
    }
}

/* One place decides which SQLite failure the caller sees as which status. A write error
 * from the OS counts as "full" when the OS said so (ENOSPC, or EFBIG when a file size limit
 * is hit); SQLite reports the latter as a plain I/O error. */
static enum journal_status status_of(int rc, int os_errno)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE: return JOURNAL_OK;
    case SQLITE_FULL: return JOURNAL_FULL;
    case SQLITE_IOERR:
        if (os_errno == ENOSPC || os_errno == EFBIG || os_errno == EDQUOT)
            return JOURNAL_FULL;
        return JOURNAL_IO;
    case SQLITE_READONLY:
    case SQLITE_PERM: return JOURNAL_READONLY;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return JOURNAL_CORRUPT;
    default: return JOURNAL_IO;
    }
}

enum journal_status journal_fail(struct journal *j, int rc)
{
    int e = sqlite3_system_errno(j->db);
    if (e == 0)
        e = j->os_errno;
    j->os_errno = 0;
    if (e != 0 && (rc & 0xff) == SQLITE_IOERR)
        snprintf(j->error, sizeof j->error, "%s (%s)", sqlite3_errmsg(j->db), strerror(e));
    else
        snprintf(j->error, sizeof j->error, "%s", sqlite3_errmsg(j->db));
    mask_long_digit_runs(j->error);
    return status_of(rc, e);
}

enum journal_status journal_finish(struct journal *j, sqlite3_stmt *st, int rc)
{
    enum journal_status status = (rc == SQLITE_DONE || rc == SQLITE_ROW || rc == SQLITE_OK)
                                     ? JOURNAL_OK
                                     : journal_fail(j, rc);
    sqlite3_finalize(st);
    return status;
}

/* SQLite reports a failed write (EFBIG, and sometimes ENOSPC) as SQLITE_IOERR_WRITE without
 * keeping the errno (sqlite3_system_errno() stays 0), so the errno is taken right after the
 * call, before anything else can change it. */
int journal_step(struct journal *j, sqlite3_stmt *st)
{
    errno = 0;
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        j->os_errno = errno;
    return rc;
}

static int exec(struct journal *j, const char *sql)
{
    errno = 0;
    int rc = sqlite3_exec(j->db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        j->os_errno = errno;
    return rc;
}

/* ---- opening ---------------------------------------------------------------------------- */

/* A background check still running is asked to stop and waited for: it holds j->path and
 * a connection to the same file. */
static void stop_background_check(struct journal *j)
{
    if (!j->bg_started)
        return;
    pthread_mutex_lock(&j->bg_lock);
    j->bg_stop = true;
    pthread_mutex_unlock(&j->bg_lock);
    pthread_join(j->bg_thread, NULL);
    pthread_mutex_destroy(&j->bg_lock);
    j->bg_started = false;
}

/* The background check's state (and its verdict into verdict, when given). */
static int bg_state_of(struct journal *j, char *verdict, size_t len)
{
    if (j->bg_started)
        pthread_mutex_lock(&j->bg_lock);
    int state = j->bg_state;
    if (verdict)
        snprintf(verdict, len, "%s", j->bg_verdict);
    if (j->bg_started)
        pthread_mutex_unlock(&j->bg_lock);
    return state;
}

static void close_db(struct journal *j)
{
    stop_background_check(j);
    /* Closing the last connection checkpoints the WAL into the file: not into one known to
     * be damaged. */
    if (j->damaged || j->bg_state == BG_DAMAGED)
        sqlite3_db_config(j->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(j->st[i]);
    sqlite3_close(j->db);
    free(j->path);
    free(j);
}

/* Formats "journal <path>: <what>" into err, masking digit runs like journal_fail. */
static enum journal_status open_error(enum journal_status st, char *err, size_t errlen,
                                      const char *path, const char *what)
{
    if (err && errlen > 0) {
        snprintf(err, errlen, "journal %s: %s", path, what);
        mask_long_digit_runs(err);
    }
    return st;
}

static enum journal_status open_sqlite_error(struct journal *j, int rc, char *err, size_t errlen,
                                             const char *path, const char *doing)
{
    enum journal_status st = journal_fail(j, rc);
    char what[512];
    if (st == JOURNAL_CORRUPT)
        snprintf(what, sizeof what, "%s: %s; nothing was written to it", doing, j->error);
    else if (st == JOURNAL_FULL)
        snprintf(what, sizeof what, "%s: %s; the disk is full, nothing was written", doing,
                 j->error);
    else if (st == JOURNAL_READONLY)
        snprintf(what, sizeof what, "%s: %s; check the permissions of the file and its folder",
                 doing, j->error);
    else
        snprintf(what, sizeof what, "%s: %s", doing, j->error);
    return open_error(st, err, errlen, path, what);
}

/* The folder of path, for the -wal and -shm files SQLite creates next to the journal. */
static void folder_of(const char *path, char *out, size_t outlen)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(out, outlen, ".");
    else if (slash == path)
        snprintf(out, outlen, "/");
    else
        snprintf(out, outlen, "%.*s", (int)(slash - path), path);
}

static void sync_folder(const char *path)
{
    char folder[PATH_MAX];
    folder_of(path, folder, sizeof folder);
    int dfd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
}

/* 8 characters of RFC 4648 base32 from 40 random bits. */
static bool new_identity(char out[9])
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    unsigned char r[5];
    size_t got = 0;
    while (got < sizeof r) {
        ssize_t n = getrandom(r + got, sizeof r - got, 0);
        if (n < 0 && errno != EINTR)
            return false;
        if (n > 0)
            got += (size_t)n;
    }
    uint64_t bits = 0;
    for (size_t i = 0; i < sizeof r; i++)
        bits = bits << 8 | r[i];
    for (int i = 0; i < 8; i++)
        out[i] = alphabet[(bits >> (35 - 5 * i)) & 31];
    out[8] = '\0';
    return true;
}

/* posterm_new_identity(): for the v4 migration step, which must make the identity inside
 * its own SQL. Direct-only: a schema (trigger, view) in a file can never call it. */
static void sql_new_identity(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc, (void)argv;
    char id[9];
    if (!new_identity(id)) {
        sqlite3_result_error(ctx, "getrandom failed", -1);
        return;
    }
    sqlite3_result_text(ctx, id, -1, SQLITE_TRANSIENT);
}

static int register_functions(sqlite3 *db)
{
    return sqlite3_create_function(db, "posterm_new_identity", 0, SQLITE_UTF8 | SQLITE_DIRECTONLY,
                                   NULL, sql_new_identity, NULL, NULL);
}

/* An existing file must be a non-empty one that we may write, in a folder we may write. */
static enum journal_status check_existing_file(const char *path, char *err, size_t errlen)
{
    char what[4608], folder[4096];
    folder_of(path, folder, sizeof folder);
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size == 0)
        return open_error(JOURNAL_CORRUPT, err, errlen, path,
                          "the file is empty (0 bytes): it is no journal, and any history it had "
                          "is gone; nothing was written to it. Move it aside, or run posterm "
                          "--init-journal to start a new journal in its place");
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        enum journal_status st =
            (e == EACCES || e == EPERM || e == EROFS) ? JOURNAL_READONLY : JOURNAL_IO;
        snprintf(what, sizeof what, "cannot open it for writing: %s", strerror(e));
        return open_error(st, err, errlen, path, what);
    }
    /* Closing this descriptor would drop any POSIX lock the process holds on the file: no
     * SQLite connection of this handle has the file open yet. */
    close(fd);
    if (access(folder, W_OK | X_OK) != 0) {
        int e = errno;
        enum journal_status st = (e == EACCES || e == EROFS) ? JOURNAL_READONLY : JOURNAL_IO;
        snprintf(
            what, sizeof what,
            "its folder %s is not writable (%s); the journal needs its -wal and -shm files there",
            folder, strerror(e));
        return open_error(st, err, errlen, path, what);
    }
    return JOURNAL_OK;
}

static int exec_int(sqlite3 *db, const char *sql, int *out)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *out = sqlite3_column_int(st, 0);
            rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(st);
    return rc;
}

/* Runs a quick_check pragma; *ok tells whether it said "ok", and verdict holds what it said
 * otherwise, on one line. */
static int run_quick_check(sqlite3 *db, const char *pragma, bool *ok, char *verdict, size_t len)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, pragma, -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *said = (const char *)sqlite3_column_text(st, 0);
        *ok = said && strcmp(said, "ok") == 0;
        snprintf(verdict, len, "%s", said ? said : "no verdict");
        for (char *c = verdict; *c; c++)
            if (*c == '\n')
                *c = ' ';
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

/* Whether the full check runs before the open returns: a migration reads and rewrites the
 * whole payments table, so a file about to be migrated is checked first whatever its size;
 * otherwise only a file small enough for the start-up budget. */
static bool full_check_now(struct journal *j, enum journal_check check, int version)
{
    if (check == JOURNAL_CHECK_FULL)
        return true;
    if (check != JOURNAL_CHECK_AT_START)
        return false;
    int pages = 0;
    if (version < JOURNAL_VERSION || sqlite3_threadsafe() == 0)
        return true;
    return exec_int(j->db, "PRAGMA page_count", &pages) != SQLITE_OK ||
           pages <= JOURNAL_FOREGROUND_CHECK_PAGES;
}

/* Reads without writing: is this a journal we may write to? *background: the full check is
 * still to be run, on a thread of its own. */
static enum journal_status check_file(struct journal *j, const char *path, enum journal_check check,
                                      int *version, bool *background, char *err, size_t errlen)
{
    int app_id = 0, objects = 0, rc;
    char what[512];
    *background = false;

    rc = exec_int(j->db, "PRAGMA user_version", version);
    if (rc == SQLITE_OK)
        rc = exec_int(j->db, "PRAGMA application_id", &app_id);
    /* Reads and parses the schema: a file whose schema is damaged is refused here. */
    if (rc == SQLITE_OK)
        rc = exec_int(j->db, "SELECT count(*) FROM sqlite_schema", &objects);
    if (rc != SQLITE_OK)
        return open_sqlite_error(j, rc, err, errlen, path, "cannot read it");

    if (app_id != JOURNAL_APPLICATION_ID)
        return open_error(
            JOURNAL_CORRUPT, err, errlen, path,
            "it is an SQLite database but not a posterm journal; nothing was written to it");
    /* A negative schema version is a damaged header (and would index the migrations out of
     * bounds: the fuzzer's find). */
    if (*version < 0)
        return open_error(JOURNAL_CORRUPT, err, errlen, path,
                          "its schema version is negative: damaged; nothing was written to it");
    if (*version > JOURNAL_VERSION) {
        snprintf(what, sizeof what,
                 "it has schema version %d, this posterm knows versions up to %d; it was "
                 "written by a newer posterm; nothing was written to it",
                 *version, JOURNAL_VERSION);
        return open_error(JOURNAL_TOO_NEW, err, errlen, path, what);
    }

    bool full = full_check_now(j, check, *version);
    *background = check == JOURNAL_CHECK_AT_START && !full;
    /* The table every start reads first: the sequence (v1-v3) or the identity and sequence. */
    const char *pragma = full           ? "PRAGMA quick_check"
                         : *version < 4 ? "PRAGMA quick_check(order_seq)"
                                        : "PRAGMA quick_check(journal_meta)";
    bool ok = false;
    rc = run_quick_check(j->db, pragma, &ok, what, sizeof what);
    if (rc != SQLITE_OK)
        return open_sqlite_error(j, rc, err, errlen, path, "integrity check");
    if (!ok) {
        char said[600];
        snprintf(said, sizeof said, "it failed its integrity check (%s); nothing was written to it",
                 what);
        return open_error(JOURNAL_CORRUPT, err, errlen, path, said);
    }
    return JOURNAL_OK;
}

/* Ends a failed open-time transaction; the error was recorded first. */
static void roll_back(struct journal *j)
{
    if (!sqlite3_get_autocommit(j->db))
        sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
}

static enum journal_status refuse_mismatched_tables(struct journal *j, int version,
                                                    const char *path, char *err, size_t errlen)
{
    char what[512];
    snprintf(what, sizeof what,
             "its tables are not those of schema version %d (%s); nothing was written to it",
             version, sqlite3_errmsg(j->db));
    roll_back(j);
    return open_error(JOURNAL_CORRUPT, err, errlen, path, what);
}

/* Brings the schema up to JOURNAL_VERSION and prepares every statement against it, in one
 * transaction, so that a file whose tables are not what its version says is refused with
 * nothing written: its statements fail to prepare before anything is committed. */
static enum journal_status migrate_and_prepare(struct journal *j, int version, const char *path,
                                               char *err, size_t errlen)
{
    bool migrating = version < JOURNAL_VERSION;
    int rc = SQLITE_OK;
    if (migrating) {
        /* secure_delete ON (not FAST): the pages of the payments table v4 rebuilds held
         * payment codes; freed, they are zeroed rather than left in the file. */
        rc = exec(j, "PRAGMA secure_delete = ON");
        if (rc == SQLITE_OK)
            rc = exec(j, "BEGIN IMMEDIATE");
        /* Another process may have migrated between our check and our lock: read again. */
        if (rc == SQLITE_OK)
            rc = exec_int(j->db, "PRAGMA user_version", &version);
        if (rc == SQLITE_OK && version > JOURNAL_VERSION) {
            roll_back(j);
            return open_error(JOURNAL_TOO_NEW, err, errlen, path,
                              "a newer posterm migrated it meanwhile; nothing was written to it");
        }
        if (rc == SQLITE_OK && version < 0) {
            roll_back(j);
            return open_error(
                JOURNAL_CORRUPT, err, errlen, path,
                "its schema version was damaged meanwhile; nothing was written to it");
        }
        for (int v = version; rc == SQLITE_OK && v < JOURNAL_VERSION; v++)
            rc = exec(j, migrations[v]);
        if (rc == SQLITE_OK) {
            char sql[64];
            snprintf(sql, sizeof sql, "PRAGMA user_version = %d", JOURNAL_VERSION);
            rc = exec(j, sql);
        }
        /* SQLITE_ERROR here is a step meeting tables its version does not have. */
        if (rc == SQLITE_ERROR)
            return refuse_mismatched_tables(j, version, path, err, errlen);
        if (rc != SQLITE_OK) {
            enum journal_status st =
                open_sqlite_error(j, rc, err, errlen, path, "cannot migrate it");
            roll_back(j);
            return st;
        }
    }
    for (int i = 0; i < ST_COUNT; i++) {
        rc = sqlite3_prepare_v3(j->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &j->st[i], NULL);
        if (rc == SQLITE_ERROR)
            return refuse_mismatched_tables(j, version, path, err, errlen);
        if (rc != SQLITE_OK) {
            enum journal_status st =
                open_sqlite_error(j, rc, err, errlen, path, "cannot prepare its statements");
            roll_back(j);
            return st;
        }
    }
    sqlite3_stmt *st = j->st[ST_IDENTITY];
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        snprintf(j->identity, sizeof j->identity, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        enum journal_status status =
            open_sqlite_error(j, rc, err, errlen, path, "cannot read its identity");
        roll_back(j);
        return status;
    }
    if (strlen(j->identity) != 8)
        return refuse_mismatched_tables(j, version, path, err, errlen);
    if (migrating && (rc = exec(j, "COMMIT")) != SQLITE_OK) {
        enum journal_status status =
            open_sqlite_error(j, rc, err, errlen, path, "cannot migrate it");
        roll_back(j);
        return status;
    }
    return JOURNAL_OK;
}

static enum journal_status configure(struct journal *j, const char *path, bool migrated, char *err,
                                     size_t errlen)
{
    char mode[16] = "";
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(j->db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = journal_step(j, st)) == SQLITE_ROW) {
        snprintf(mode, sizeof mode, "%s", (const char *)sqlite3_column_text(st, 0));
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_OK)
        return open_sqlite_error(j, rc, err, errlen, path, "cannot switch it to WAL mode");
    if (strcmp(mode, "wal") != 0)
        return open_error(JOURNAL_IO, err, errlen, path,
                          "SQLite refused WAL mode (is it on a network file system?)");
    /* A migration of a file already in WAL mode went through the WAL, whose older frames may
     * still hold payment codes journaled before v4: copy everything into the file (where the
     * freed pages were zeroed) and cut the WAL to nothing. */
    if (migrated && (rc = exec(j, "PRAGMA wal_checkpoint(TRUNCATE)")) != SQLITE_OK)
        return open_sqlite_error(j, rc, err, errlen, path, "cannot checkpoint it");
    /* FULL: the WAL is synced at every commit, so a returned save survives a power cut.
     * secure_delete: what a save replaces should not linger in freed space of the file. */
    rc = exec(j, "PRAGMA synchronous = FULL; PRAGMA secure_delete = FAST;"
                 "PRAGMA foreign_keys = OFF; PRAGMA trusted_schema = OFF;");
    if (rc != SQLITE_OK)
        return open_sqlite_error(j, rc, err, errlen, path, "cannot configure it");
    return JOURNAL_OK;
}

/* A connection of our own to path: extended codes, busy timeout, our functions. */
static enum journal_status connect(struct journal *j, const char *path, char *err, size_t errlen)
{
    int rc = sqlite3_open_v2(path, &j->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        if (!j->db)
            return open_error(JOURNAL_IO, err, errlen, path, "out of memory");
        return open_sqlite_error(j, rc, err, errlen, path, "cannot open it");
    }
    sqlite3_extended_result_codes(j->db, 1);
    sqlite3_busy_timeout(j->db, JOURNAL_BUSY_TIMEOUT_MS);
    /* Closing the last connection checkpoints a leftover WAL into the file: not for a file
     * we are about to refuse, which must stay as it was. */
    sqlite3_db_config(j->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
    rc = register_functions(j->db);
    if (rc != SQLITE_OK)
        return open_sqlite_error(j, rc, err, errlen, path, "cannot set it up");
    return JOURNAL_OK;
}

/* Builds a complete journal in a fresh file beside path; *tmp names it. */
static enum journal_status build_aside(const char *path, char *tmp, size_t tmplen, char *err,
                                       size_t errlen)
{
    char what[4608];
    if (snprintf(tmp, tmplen, "%s.new-XXXXXX", path) >= (int)tmplen)
        return open_error(JOURNAL_IO, err, errlen, path, "its path is too long");
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        char folder[PATH_MAX];
        folder_of(path, folder, sizeof folder);
        snprintf(what, sizeof what, "cannot create a new journal in %s: %s", folder, strerror(e));
        return open_error((e == EACCES || e == EPERM || e == EROFS) ? JOURNAL_READONLY : JOURNAL_IO,
                          err, errlen, path, what);
    }
    bool ok = fchmod(fd, 0600) == 0; /* mkostemp's 0600 already; said, not assumed */
    close(fd);
    fd = -1;
    struct journal *j = calloc(1, sizeof *j);
    enum journal_status st = JOURNAL_IO;
    if (!ok || !j)
        open_error(JOURNAL_IO, err, errlen, path, ok ? "out of memory" : "cannot set mode 0600");
    else if ((st = connect(j, tmp, err, errlen)) == JOURNAL_OK)
        st = migrate_and_prepare(j, 0, tmp, err, errlen);
    if (j)
        close_db(j);
    /* Synced before it gets its name: a power cut never leaves a half-made journal. */
    if (st == JOURNAL_OK && ((fd = open(tmp, O_RDONLY | O_CLOEXEC)) < 0 || fsync(fd) != 0)) {
        snprintf(what, sizeof what, "cannot sync the new journal: %s", strerror(errno));
        st = open_error(JOURNAL_IO, err, errlen, path, what);
    }
    if (fd >= 0)
        close(fd);
    if (st != JOURNAL_OK)
        unlink(tmp);
    return st;
}

enum journal_status journal_create(const char *path, bool replace_empty, char *err, size_t errlen)
{
    char tmp[PATH_MAX + 16], what[512];
    if (err && errlen > 0)
        err[0] = '\0';
    if (!path || !*path)
        return open_error(JOURNAL_IO, err, errlen, "(no path)", "no file name given");
    struct stat sb;
    bool empty = lstat(path, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size == 0;
    if (!empty && (lstat(path, &sb) == 0 || errno != ENOENT))
        return open_error(JOURNAL_EXISTS, err, errlen, path,
                          "a file is already there; a new journal is made only where there is none "
                          "(or an empty one, by posterm --init-journal)");
    if (empty && !replace_empty)
        return open_error(JOURNAL_EXISTS, err, errlen, path, "an empty file is already there");
    enum journal_status st = build_aside(path, tmp, sizeof tmp, err, errlen);
    if (st != JOURNAL_OK)
        return st;
    /* link() never replaces a file that appeared meanwhile; rename() of an empty one does,
     * and only --init-journal asks for that. */
    int rc = empty ? rename(tmp, path) : link(tmp, path);
    int e = errno;
    unlink(tmp);
    if (rc != 0) {
        if (e == EEXIST)
            return open_error(JOURNAL_EXISTS, err, errlen, path, "a file appeared there meanwhile");
        snprintf(what, sizeof what, "cannot put the new journal in place: %s", strerror(e));
        return open_error((e == EACCES || e == EPERM || e == EROFS) ? JOURNAL_READONLY : JOURNAL_IO,
                          err, errlen, path, what);
    }
    sync_folder(path);
    return JOURNAL_OK;
}

/* The background check: PRAGMA quick_check on a read-only connection of its own, which reads
 * a snapshot (WAL) while the loop's connection goes on writing. */
static int bg_should_stop(void *ctx)
{
    struct journal *j = ctx;
    pthread_mutex_lock(&j->bg_lock);
    bool stop = j->bg_stop;
    pthread_mutex_unlock(&j->bg_lock);
    return stop;
}

static void *background_check(void *arg)
{
    struct journal *j = arg;
    sqlite3 *db = NULL;
    int state = BG_FAILED;
    bool ok = false;
    char verdict[sizeof j->bg_verdict] = "";
    int rc = sqlite3_open_v2(j->path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_extended_result_codes(db, 1);
        sqlite3_busy_timeout(db, JOURNAL_BUSY_TIMEOUT_MS);
        sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
        sqlite3_progress_handler(db, 10000, bg_should_stop, j);
        rc = run_quick_check(db, "PRAGMA quick_check", &ok, verdict, sizeof verdict);
    }
    if (rc == SQLITE_OK)
        state = ok ? BG_PASSED : BG_DAMAGED;
    else if ((rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB)
        state = BG_DAMAGED;
    if (rc != SQLITE_OK)
        snprintf(verdict, sizeof verdict, "%s", db ? sqlite3_errmsg(db) : "out of memory");
    mask_long_digit_runs(verdict);
    sqlite3_close(db);
    pthread_mutex_lock(&j->bg_lock);
    j->bg_state = state;
    memcpy(j->bg_verdict, verdict, sizeof verdict);
    pthread_mutex_unlock(&j->bg_lock);
    return NULL;
}

static void start_background_check(struct journal *j)
{
    j->bg_state = BG_RUNNING;
    int e = pthread_mutex_init(&j->bg_lock, NULL);
    if (e == 0) {
        e = pthread_create(&j->bg_thread, NULL, background_check, j);
        if (e == 0) {
            j->bg_started = true;
            return;
        }
        pthread_mutex_destroy(&j->bg_lock);
    }
    snprintf(j->bg_verdict, sizeof j->bg_verdict, "cannot start the background check: %s",
             strerror(e));
    j->bg_state = BG_FAILED;
}

/* Takes in the background check's verdict; true when the handle must not be written. */
static bool known_damaged(struct journal *j)
{
    char verdict[sizeof j->bg_verdict];
    if (!j->damaged && bg_state_of(j, verdict, sizeof verdict) == BG_DAMAGED) {
        j->damaged = true;
        snprintf(j->error, sizeof j->error, "integrity check failed: %s", verdict);
    }
    return j->damaged;
}

enum journal_status journal_open(struct journal **out, const char *path, char *err, size_t errlen)
{
    return journal_open_checked(out, path, JOURNAL_CHECK_FULL, err, errlen);
}

enum journal_status journal_open_checked(struct journal **out, const char *path,
                                         enum journal_check check, char *err, size_t errlen)
{
    *out = NULL;
    if (err && errlen > 0)
        err[0] = '\0';
    if (!path || !*path)
        return open_error(JOURNAL_IO, err, errlen, "(no path)", "no file name given");

    struct stat sb;
    enum journal_status st = JOURNAL_OK;
    if (lstat(path, &sb) != 0 && errno == ENOENT) {
        st = journal_create(path, false, err, errlen);
        if (st == JOURNAL_EXISTS) /* made by another process meanwhile: open that one */
            st = JOURNAL_OK;
        if (st != JOURNAL_OK)
            return st;
    }
    st = check_existing_file(path, err, errlen);
    if (st != JOURNAL_OK)
        return st;

    struct journal *j = calloc(1, sizeof *j);
    if (!j || !(j->path = strdup(path))) {
        free(j);
        return open_error(JOURNAL_IO, err, errlen, path, "out of memory");
    }
    /* Read-only checks, then the schema (one transaction that commits only if every
     * statement prepares), and only then anything that writes outside a transaction (the
     * switch to WAL rewrites the header). */
    int version = 0;
    bool background = false;
    st = connect(j, path, err, errlen);
    if (st == JOURNAL_OK)
        st = check_file(j, path, check, &version, &background, err, errlen);
    if (st == JOURNAL_OK)
        st = migrate_and_prepare(j, version, path, err, errlen);
    if (st == JOURNAL_OK) {
        sqlite3_db_config(j->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 0, NULL);
        st = configure(j, path, version < JOURNAL_VERSION, err, errlen);
    }
    if (st != JOURNAL_OK) {
        close_db(j);
        return st;
    }
    j->error[0] = '\0';
    if (background)
        start_background_check(j);
    *out = j;
    return JOURNAL_OK;
}

enum journal_status journal_check(struct journal *j)
{
    char verdict[200];
    bool ok = false;
    int rc = run_quick_check(j->db, "PRAGMA quick_check", &ok, verdict, sizeof verdict);
    if (rc != SQLITE_OK)
        return journal_fail(j, rc);
    if (!ok) {
        j->damaged = true;
        snprintf(j->error, sizeof j->error, "integrity check failed: %s", verdict);
        return JOURNAL_CORRUPT;
    }
    return JOURNAL_OK;
}

enum journal_status journal_check_poll(struct journal *j, bool *done)
{
    char verdict[sizeof j->bg_verdict];
    int state = bg_state_of(j, verdict, sizeof verdict);
    *done = state != BG_RUNNING;
    if (known_damaged(j))
        return JOURNAL_CORRUPT;
    if (state == BG_FAILED) {
        snprintf(j->error, sizeof j->error, "the integrity check could not run: %s", verdict);
        return JOURNAL_IO;
    }
    return JOURNAL_OK;
}

void journal_close(struct journal *j)
{
    if (j)
        close_db(j);
}

const char *journal_identity(const struct journal *j)
{
    return j->identity;
}

/* ---- identity --------------------------------------------------------------------------- */

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs sql with text parameters ?1, ?2, ?3 (NULL: fewer) and the wall time as ?4. */
static int exec_bound(struct journal *j, const char *sql, const char *a, const char *b,
                      const char *c)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(j->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    const char *texts[] = {a, b, c};
    for (int i = 0; i < 3; i++)
        if (texts[i])
            sqlite3_bind_text(st, i + 1, texts[i], -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, wall_ms());
    rc = journal_step(j, st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

enum journal_status journal_claim(struct journal *j, const char *machine, bool *renewed)
{
    *renewed = false;
    if (known_damaged(j))
        return JOURNAL_CORRUPT;
    if (!machine || !*machine) {
        snprintf(j->error, sizeof j->error, "no machine fingerprint to record");
        return JOURNAL_IO;
    }
    int rc = exec(j, "BEGIN IMMEDIATE");
    char recorded[80] = "";
    sqlite3_stmt *st = j->st[ST_IDENTITY];
    if (rc == SQLITE_OK) {
        rc = journal_step(j, st);
        if (rc == SQLITE_ROW) {
            snprintf(recorded, sizeof recorded, "%s", (const char *)sqlite3_column_text(st, 1));
            rc = SQLITE_OK;
        }
        sqlite3_reset(st);
    }
    char id[9] = "";
    if (rc == SQLITE_OK && recorded[0] == '\0') {
        rc = exec_bound(j, "UPDATE journal_meta SET machine = ?1", machine, NULL, NULL);
        if (rc == SQLITE_OK)
            rc = exec_bound(j, "UPDATE identities SET machine = ?1 WHERE id = ?2 AND machine = ''",
                            machine, j->identity, NULL);
    } else if (rc == SQLITE_OK && strcmp(recorded, machine) != 0) {
        /* A new identity never taken before by this journal: 40 random bits rarely repeat,
         * and the primary key of `identities` refuses one that does. */
        for (int tries = 0; tries < 8; tries++) {
            if (!new_identity(id)) {
                rc = SQLITE_IOERR;
                break;
            }
            rc = exec_bound(j,
                            "INSERT INTO identities(id, since, machine, why) VALUES "
                            "(?1, ?4, ?2, 'copied from another machine (was ' || ?3 || ')')",
                            id, machine, j->identity);
            if (rc != SQLITE_CONSTRAINT_PRIMARYKEY)
                break;
        }
        if (rc == SQLITE_OK)
            rc = exec_bound(j, "UPDATE journal_meta SET id = ?1, machine = ?2", id, machine, NULL);
    }
    if (rc == SQLITE_OK)
        rc = exec(j, "COMMIT");
    if (rc != SQLITE_OK) {
        enum journal_status status = journal_fail(j, rc);
        roll_back(j);
        return status;
    }
    if (id[0]) {
        snprintf(j->identity, sizeof j->identity, "%s", id);
        *renewed = true;
    }
    return JOURNAL_OK;
}

/* ---- writing ---------------------------------------------------------------------------- */

/* Runs a statement that returns no rows (or whose rows we do not need) and resets it. */
static int run(struct journal *j, sqlite3_stmt *st)
{
    int rc = journal_step(j, st);
    sqlite3_reset(st);
    return (rc == SQLITE_DONE || rc == SQLITE_ROW) ? SQLITE_OK : rc;
}

/* Ends a failed transaction: the error is recorded first, because ROLLBACK replaces it.
 * SQLite has already rolled back by itself after some errors (a full disk, an I/O error). */
static enum journal_status abandon(struct journal *j, int rc)
{
    enum journal_status st = journal_fail(j, rc);
    if (!sqlite3_get_autocommit(j->db))
        run(j, j->st[ST_ROLLBACK]);
    return st;
}

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
    /* STATIC: every statement runs and is reset before journal_save returns. */
    if (s && *s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

/* s with every occurrence of code replaced by stars: s itself when it has none (the common
 * case), else a copy in buf (cut to fit; callers pass the engine's 160-byte texts). */
static const char *without_code(const char *s, const char *code, char *buf, size_t len)
{
    size_t n = strlen(code);
    if (!s || n < 4 || !strstr(s, code))
        return s;
    snprintf(buf, len, "%s", s);
    for (char *at = strstr(buf, code); at; at = strstr(at + PAYCODE_MASK_MAX - 1, code))
        mask_span(buf, (size_t)(at - buf), n);
    return buf;
}

/* s fit for the journal, in buf: the code masked, then any run of a code's length. */
static const char *clean_text(const char *s, const char *code, char *buf, size_t len)
{
    if (!s)
        return NULL;
    if (without_code(s, code, buf, len) != buf)
        snprintf(buf, len, "%s", s);
    mask_long_digit_runs(buf);
    return buf;
}

static void last4_of(const char *code, char out[5])
{
    size_t n = strlen(code);
    size_t k = n > 4 ? 4 : n;
    memcpy(out, code + n - k, k);
    out[k] = '\0';
}

void journal_set_cashier(struct journal *j, const char *cashier)
{
    snprintf(j->cashier, sizeof j->cashier, "%s", cashier ? cashier : "");
}

void journal_set_receipts(struct journal *j, bool on, bool merchant_copy)
{
    j->receipts = on;
    j->merchant_copy = on && merchant_copy;
}

void journal_set_save_hook(struct journal *j, journal_save_hook_fn hook)
{
    j->save_hook = hook;
}

journal_save_hook_fn journal_save_hook(const struct journal *j)
{
    return j->save_hook;
}

void journal_set_refund_approver(struct journal *j, const char *who)
{
    snprintf(j->refund_approver, sizeof j->refund_approver, "%s", who ? who : "");
}

void journal_set_sale(struct journal *j, const char *sale_id)
{
    snprintf(j->sale_id, sizeof j->sale_id, "%s", sale_id ? sale_id : "");
}

static int add_print_job(struct journal *j, const char *kind, const struct payment *p,
                         const char *refund_no, const char *copy, int64_t at)
{
    sqlite3_stmt *st = j->st[ST_PRINT_JOB];
    sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, p->order_no, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, refund_no, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, copy, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, at);
    return run(j, st);
}

/* The receipts owed for the event that ends a payment ("paid", "paid_cancel_refused") or a
 * refund ("refunded"), inside journal_save's transaction: they exist if and only if the
 * event does. */
static int add_receipts(struct journal *j, const struct payment *p, const char *event, int64_t at)
{
    const char *kind = NULL, *refund_no = "";
    if (!j->receipts)
        return SQLITE_OK;
    if (strcmp(event, "paid") == 0 || strcmp(event, "paid_cancel_refused") == 0) {
        kind = "sale";
    } else if (strcmp(event, "refunded") == 0) {
        kind = "refund";
        refund_no = p->refund_no;
    } else {
        return SQLITE_OK;
    }
    int rc = add_print_job(j, kind, p, refund_no, "customer", at);
    if (rc == SQLITE_OK && j->merchant_copy)
        rc = add_print_job(j, kind, p, refund_no, "merchant", at);
    return rc;
}

bool journal_writable(struct journal *j)
{
    return !known_damaged(j);
}

enum journal_status journal_save(struct journal *j, const struct payment *p, const char *event,
                                 const char *detail, int64_t at)
{
    if (known_damaged(j))
        return JOURNAL_CORRUPT; /* j->error still says why */
    if (!event || !*event || !p->order_no[0]) {
        snprintf(j->error, sizeof j->error, "a save needs an order number and an event name");
        return JOURNAL_IO;
    }
    char last4[5];
    if (p->code_last4[0])
        snprintf(last4, sizeof last4, "%s", p->code_last4);
    else
        last4_of(p->auth_code, last4);

    /* Neither the event log nor last_error is a place for the payment code: the code itself
     * (while the payment still has it) and anything of a code's length are masked. */
    char detail_buf[1024], error_buf[sizeof p->last_error];
    const char *clean_detail = clean_text(detail, p->auth_code, detail_buf, sizeof detail_buf);
    const char *clean_error = clean_text(p->last_error, p->auth_code, error_buf, sizeof error_buf);
    const char *state = pay_state_name(p->state);
    int rc = run(j, j->st[ST_BEGIN]);
    if (rc != SQLITE_OK) {
        return abandon(j, rc);
    }

    if (p->state == PAY_PAID || p->state == PAY_REFUNDED) {
        sqlite3_stmt *st = j->st[ST_REFUND_CLOSE];
        sqlite3_bind_text(st, 1, p->order_no, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, p->refunded_fen);
        sqlite3_bind_int64(st, 3, at);
        rc = run(j, st);
    } else if (p->state == PAY_REFERRED) {
        sqlite3_stmt *st = j->st[ST_REFUND_REFER];
        sqlite3_bind_text(st, 1, p->order_no, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, at);
        rc = run(j, st);
    }

    if (rc == SQLITE_OK) {
        sqlite3_stmt *st = j->st[ST_UPSERT];
        sqlite3_bind_text(st, 1, p->order_no, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, pay_channel_name(p->channel), -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, p->amount_fen);
        sqlite3_bind_text(st, 4, state, -1, SQLITE_STATIC);
        sqlite3_bind_null(st, 5); /* auth_code: never on disk (the schema refuses it) */
        sqlite3_bind_text(st, 6, last4, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 7, p->abort_requested ? 1 : 0);
        sqlite3_bind_int(st, 8, p->cancel_refunded ? 1 : 0);
        sqlite3_bind_int64(st, 9, p->created_at);
        sqlite3_bind_int64(st, 10, p->pay_sent_at);
        sqlite3_bind_int64(st, 11, p->updated_at);
        sqlite3_bind_int64(st, 12, p->queries);
        sqlite3_bind_int64(st, 13, p->cancels);
        bind_text_or_null(st, 14, p->trade_no);
        bind_text_or_null(st, 15, clean_error);
        sqlite3_bind_int64(st, 16, p->refunded_fen);
        bind_text_or_null(st, 17, p->refund_no);
        sqlite3_bind_int64(st, 18, p->refund_fen);
        sqlite3_bind_text(st, 19, pay_cause_name(p->last_cause), -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 20, p->request_seq);
        sqlite3_bind_text(st, 21, pay_kind_name(p->kind), -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 22, p->qr_payload, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 23, p->qr_window_s);
        sqlite3_bind_text(st, 24, j->cashier, -1, SQLITE_STATIC);
        rc = run(j, st);
        if (rc == SQLITE_OK && sqlite3_changes(j->db) == 0) {
            if (!sqlite3_get_autocommit(j->db))
                run(j, j->st[ST_ROLLBACK]);
            snprintf(j->error, sizeof j->error,
                     "order %s is already journaled with another creation time or amount",
                     p->order_no);
            return JOURNAL_EXISTS;
        }
    }
    /* The last four once known stay: a save without a code (a creation) does not erase them. */
    if (rc == SQLITE_OK && last4[0]) {
        sqlite3_stmt *st = j->st[ST_LAST4];
        sqlite3_bind_text(st, 1, p->order_no, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, last4, -1, SQLITE_STATIC);
        rc = run(j, st);
    }

    if (rc == SQLITE_OK && p->state == PAY_NEW && j->sale_id[0]) {
        sqlite3_stmt *st = j->st[ST_SALE];
        sqlite3_bind_text(st, 1, j->sale_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, p->order_no, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, at);
        rc = run(j, st);
        if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE) {
            run(j, j->st[ST_ROLLBACK]);
            snprintf(j->error, sizeof j->error, "sale %s is already paid by another order",
                     j->sale_id);
            return JOURNAL_EXISTS;
        }
    }

    if (rc == SQLITE_OK && p->state == PAY_REFUNDING && p->refund_no[0]) {
        sqlite3_stmt *st = j->st[ST_REFUND_OPEN];
        sqlite3_bind_text(st, 1, p->refund_no, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, p->order_no, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, p->refund_fen);
        sqlite3_bind_int64(st, 4, at);
        sqlite3_bind_text(st, 5, p->refund_key, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 6, j->refund_approver, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 7, j->cashier, -1, SQLITE_STATIC);
        rc = run(j, st);
        if (rc == SQLITE_CONSTRAINT_UNIQUE) {
            run(j, j->st[ST_ROLLBACK]);
            snprintf(j->error, sizeof j->error, "refund key %s was already used for another refund",
                     p->refund_key);
            return JOURNAL_EXISTS;
        }
    }

    if (rc == SQLITE_OK) {
        sqlite3_stmt *st = j->st[ST_EVENT];
        sqlite3_bind_text(st, 1, p->order_no, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, at);
        sqlite3_bind_text(st, 3, state, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, event, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, clean_detail ? clean_detail : "", -1, SQLITE_STATIC);
        rc = run(j, st);
    }

    if (rc == SQLITE_OK)
        rc = add_receipts(j, p, event, at);
    if (rc == SQLITE_OK && j->save_hook)
        rc = j->save_hook(j, p, event, last4, at);

    if (rc == SQLITE_OK)
        rc = run(j, j->st[ST_COMMIT]);
    if (rc != SQLITE_OK)
        return abandon(j, rc);
    return JOURNAL_OK;
}

enum journal_status journal_next_order_seq(struct journal *j, uint32_t *seq)
{
    if (known_damaged(j))
        return JOURNAL_CORRUPT;
    sqlite3_stmt *st = j->st[ST_NEXT_SEQ];
    int rc = journal_step(j, st);
    if (rc == SQLITE_ROW) {
        *seq = (uint32_t)sqlite3_column_int64(st, 0);
        /* RETURNING: the change is committed when the statement runs to its end. */
        rc = journal_step(j, st);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        enum journal_status status = journal_fail(j, rc);
        if (!sqlite3_get_autocommit(j->db))
            run(j, j->st[ST_ROLLBACK]);
        return status;
    }
    return JOURNAL_OK;
}

/* ---- reading ---------------------------------------------------------------------------- */

static void copy_column(sqlite3_stmt *st, int col, char *out, size_t outlen)
{
    const unsigned char *s = sqlite3_column_text(st, col);
    snprintf(out, outlen, "%s", s ? (const char *)s : "");
}

bool journal_read_payment(sqlite3_stmt *st, struct payment *out)
{
    char name[32]; /* longest state, channel or cause name, with room */
    memset(out, 0, sizeof *out);
    copy_column(st, 0, out->order_no, sizeof out->order_no);
    copy_column(st, 1, name, sizeof name);
    out->channel = pay_channel_from_name(name);
    out->amount_fen = sqlite3_column_int64(st, 2);
    copy_column(st, 3, name, sizeof name);
    bool known = pay_state_from_name(name, &out->state);
    /* column 4, auth_code, is always NULL: nothing to read */
    copy_column(st, 5, out->code_last4, sizeof out->code_last4);
    out->abort_requested = sqlite3_column_int(st, 6) != 0;
    out->cancel_refunded = sqlite3_column_int(st, 7) != 0;
    out->created_at = sqlite3_column_int64(st, 8);
    out->pay_sent_at = sqlite3_column_int64(st, 9);
    out->updated_at = sqlite3_column_int64(st, 10);
    out->queries = (uint32_t)sqlite3_column_int64(st, 11);
    out->cancels = (uint32_t)sqlite3_column_int64(st, 12);
    copy_column(st, 13, out->trade_no, sizeof out->trade_no);
    copy_column(st, 14, out->last_error, sizeof out->last_error);
    out->refunded_fen = sqlite3_column_int64(st, 15);
    copy_column(st, 16, out->refund_no, sizeof out->refund_no);
    out->refund_fen = sqlite3_column_int64(st, 17);
    copy_column(st, 18, name, sizeof name);
    out->last_cause = pay_cause_from_name(name);
    out->request_seq = (uint32_t)sqlite3_column_int64(st, 19);
    copy_column(st, 20, name, sizeof name);
    known = pay_kind_from_name(name, &out->kind) && known;
    copy_column(st, 21, out->qr_payload, sizeof out->qr_payload);
    out->qr_window_s = sqlite3_column_int(st, 22);
    return known;
}

static enum journal_status unknown_state(struct journal *j, const char *order_no)
{
    snprintf(j->error, sizeof j->error, "order %s has a state posterm does not know", order_no);
    return JOURNAL_CORRUPT;
}

enum journal_status journal_load(struct journal *j, const char *order_no, struct payment *out)
{
    sqlite3_stmt *st = j->st[ST_LOAD];
    sqlite3_bind_text(st, 1, order_no, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    enum journal_status status = JOURNAL_OK;
    if (rc == SQLITE_ROW) {
        if (!journal_read_payment(st, out))
            status = unknown_state(j, order_no);
    } else if (rc == SQLITE_DONE) {
        status = JOURNAL_NOT_FOUND;
    } else {
        status = journal_fail(j, rc);
    }
    sqlite3_reset(st);
    return status;
}

enum journal_status journal_each_unresolved(struct journal *j, journal_payment_fn fn, void *ctx)
{
    /* Read them all first, so fn may save to the journal while we go through them (a write
     * under an open cursor over the same index could skip or repeat rows). Unresolved
     * payments are few: they are the terminal's pending work. */
    struct payment *list = NULL;
    size_t n = 0, cap = 0;
    enum journal_status status = JOURNAL_OK;
    sqlite3_stmt *st = j->st[ST_UNRESOLVED];
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            size_t grown = cap ? cap * 2 : 16;
            struct payment *bigger = realloc(list, grown * sizeof *list);
            if (!bigger) {
                snprintf(j->error, sizeof j->error, "out of memory reading unresolved payments");
                status = JOURNAL_IO;
                break;
            }
            list = bigger;
            cap = grown;
        }
        if (!journal_read_payment(st, &list[n])) {
            status = unknown_state(j, list[n].order_no);
            break;
        }
        n++;
    }
    if (status == JOURNAL_OK && rc != SQLITE_DONE)
        status = journal_fail(j, rc);
    sqlite3_reset(st);
    for (size_t i = 0; status == JOURNAL_OK && i < n; i++)
        if (fn(ctx, &list[i]) != 0)
            break;
    free(list);
    return status;
}

enum journal_status journal_count_unresolved(struct journal *j, int *count)
{
    sqlite3_stmt *st = j->st[ST_COUNT_UNRESOLVED];
    int rc = sqlite3_step(st);
    enum journal_status status = JOURNAL_OK;
    if (rc == SQLITE_ROW)
        *count = sqlite3_column_int(st, 0);
    else
        status = journal_fail(j, rc);
    sqlite3_reset(st);
    return status;
}

static enum journal_status read_refund(struct journal *j, enum stmt_id id, const char *arg,
                                       struct journal_refund *out)
{
    memset(out, 0, sizeof *out);
    if (!arg || !*arg)
        return JOURNAL_NOT_FOUND;
    sqlite3_stmt *st = j->st[id];
    sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    enum journal_status status = JOURNAL_OK;
    if (rc == SQLITE_ROW) {
        copy_column(st, 0, out->refund_no, sizeof out->refund_no);
        copy_column(st, 1, out->order_no, sizeof out->order_no);
        out->amount_fen = sqlite3_column_int64(st, 2);
        copy_column(st, 3, out->state, sizeof out->state);
        out->at = sqlite3_column_int64(st, 4);
        copy_column(st, 5, out->approved_by, sizeof out->approved_by);
    } else if (rc == SQLITE_DONE) {
        status = JOURNAL_NOT_FOUND;
    } else {
        status = journal_fail(j, rc);
    }
    sqlite3_reset(st);
    return status;
}

enum journal_status journal_refund_by_no(struct journal *j, const char *refund_no,
                                         struct journal_refund *out)
{
    return read_refund(j, ST_REFUND_BY_NO, refund_no, out);
}

enum journal_status journal_refund_by_key(struct journal *j, const char *key,
                                          struct journal_refund *out)
{
    return read_refund(j, ST_REFUND_BY_KEY, key, out);
}

enum journal_status journal_last_refund(struct journal *j, const char *order_no,
                                        struct journal_refund *out)
{
    return read_refund(j, ST_LAST_REFUND, order_no, out);
}
