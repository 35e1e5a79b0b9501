/*
 * test_core_engine_table.c - every transition of the payment state machine, one table row
 * each: from a state reached by a script on a fake clock, one event must give exactly this
 * status, this new state, these actions in this order (timers at the exact millisecond) and
 * these field values. Script policy (engine_script.h): first query 3 s after the reply, then
 * every 5 s, window 45 s from the pay request, no cancel before 15 s, back-off 2 s doubling to
 * 60 s. The default cadence is test_query_schedule's.
 *
 * Every row also checks the rules that hold for all steps: a refused, stale or invalid event
 * changes nothing; a step that changes the state or any decision starts with ENGINE_JOURNAL
 * and sends nothing before it; a final payment keeps no payment code.
 */
#include "check.h"
#include "engine_script.h"

/* Where the rows start from. Monotonic ms; the pay request leaves at 10000, so the window
 * closes at 55000 and a cancel is allowed from 25000. */
#define NEW_             "create @10000"
#define PAYING_          NEW_ " scan"                   /* pay in flight */
#define QUERY_IDLE       PAYING_ " @11000 pay:U"        /* query timer at 14000 */
#define QUERY_WAIT       QUERY_IDLE " fire"             /* query in flight since 14000 */
#define QUERY_CONFIRMING PAYING_ " @11000 pay:P fire"   /* same, customer confirming */
#define CANCEL_WAIT      QUERY_IDLE " @55000 timer"     /* window closed: cancel in flight */
#define REFUSED_WAIT     CANCEL_WAIT " @56000 cancel:F" /* cancel refused: query in flight */
#define PAID_            PAYING_ " @11000 pay:S"
#define FAILED_          PAYING_ " @11000 pay:F"
#define CANCELLED_       CANCEL_WAIT " @56000 cancel:S"
#define REFUND_WAIT      PAID_ " @20000 rf:300:1" /* partial refund R1 in flight */
#define REFUNDED_        PAID_ " @20000 rf:1230:1 @21000 refund:S"
/* A QR payment: the create leaves at 10000, so its window closes at 130000 (120 s) and the
 * gateway's expiry (2 minutes after the last possible create, + the query timeout and the
 * margin) has passed from 260000. */
#define QR_WAIT          NEW_ " qr"                           /* create in flight */
#define QR_SHOWN         QR_WAIT " @11000 qrcreate:S"         /* query timer at 14000 */
#define QR_QUERY         QR_SHOWN " fire"                     /* query in flight since 14000 */
#define QR_CLOSING       QR_SHOWN " @130000 timer"            /* close in flight */
#define QR_CLOSE_REFUSED QR_CLOSING " @131000 qrclose:F+paid" /* query in flight */
#define QR_PAID          QR_QUERY " @15000 query:S"
#define QR_CLOSED        QR_CLOSING " @131000 qrclose:S"

struct row {
    const char *setup; /* script to the starting point; every word must be ENGINE_OK */
    const char *event; /* the one word under test */
    enum engine_status status;
    enum pay_state state;
    const char *actions;
    const char *fields;
};

#define OK      ENGINE_OK
#define REFUSED ENGINE_REFUSED
#define STALE   ENGINE_STALE
#define INVALID ENGINE_INVALID

static const struct row rows[] = {
    /* --- what a reply proves (the body must name this order; paid needs the amount) --- */
    {PAYING_ " @11000", "pay:S+noorder", OK, PAY_QUERYING, "J(pay_unknown) T(14000) V",
     "cause=bad_reply error=does flight=0"},
    {PAYING_ " @11000", "pay:S+other", OK, PAY_QUERYING, "J(pay_unknown) T(14000) V",
     "cause=bad_reply flight=0"},
    {PAYING_ " @11000", "pay:F+noorder", OK, PAY_QUERYING, "J(pay_unknown) T(14000) V",
     "cause=balance error=names flight=0"},
    {PAYING_ " @11000", "pay:F+noorder+bound", OK, PAY_FAILED, "J(pay_failed) V", "cause=balance"},
    {PAYING_ " @11000", "pay:F+other+bound", OK, PAY_QUERYING, "J(pay_unknown) T(14000) V", ""},
    {PAYING_ " @11000", "pay:S+oldid", STALE, PAY_PAYING, "", "flight=1"},
    {QUERY_WAIT " @14500", "query:F+noorder", OK, PAY_QUERYING, "T(19500)", "flight=0"},
    {QUERY_WAIT " @14500", "query:S+noamt+noorder", OK, PAY_QUERYING, "T(19500)",
     "cause=bad_reply"},
    {QUERY_WAIT " @14500", "query:S+oldid", STALE, PAY_QUERYING, "", "flight=1"},

    /* --- a reply that never comes: the request's deadline (timeout + margin) --- */
    {PAYING_, "fire", OK, PAY_QUERYING, "J(pay_unknown) T(33000) V",
     "cause=no_answer error=no flight=0"},
    {PAYING_ " @29999", "timer", STALE, PAY_PAYING, "", "flight=1 timer=30000"},
    {PAYING_ " @12000 abort", "fire", OK, PAY_CANCELLING, "J(cancel_decided) S(cancel) T(45000) V",
     "abort=1 cancels=1 flight=1"},
    {QUERY_WAIT, "fire", OK, PAY_QUERYING, "T(29000)", "flight=0 cause=no_answer"},
    {CANCEL_WAIT, "fire", OK, PAY_CANCELLING, "T(72000) V", "backoff=2000 flight=0"},
    {REFUND_WAIT, "fire", OK, PAY_REFUNDING, "T(42000) V", "backoff=2000 flight=0"},

    /* --- cancels: bound to this order; money once returned stays returned --- */
    {CANCEL_WAIT " @56000", "cancel:S+noorder", OK, PAY_CANCELLING, "T(58000) V",
     "cause=bad_reply"},
    {CANCEL_WAIT " @56000", "cancel:S+noorder+bound", OK, PAY_CANCELLED, "J(cancelled) V", ""},
    {CANCEL_WAIT " @56000 cancel:S+retry+refunded @58000 timer", "cancel:S", OK, PAY_CANCELLED,
     "J(cancelled) V", "cancel_refunded=1"},
    {REFUSED_WAIT " @57000", "query:S+noorder", OK, PAY_CANCELLING, "T(59000) V", ""},

    /* --- refunds: the refund number, and the amount the gateway states --- */
    {REFUND_WAIT " @21000", "refund:S+norno", OK, PAY_REFUNDING, "S(refundq) T(31000)",
     "refunded=0 flight=1"},
    {REFUND_WAIT " @21000 refund:S+norno @22000", "refundq:S", OK, PAY_PAID, "J(refunded) V",
     "refunded=300 refund_fen=0"},
    {REFUND_WAIT " @21000", "refund:S+less", OK, PAY_PAID, "J(refunded) V",
     "refunded=200 refund_fen=0"},
    {REFUND_WAIT " @21000", "refund:S+total", OK, PAY_PAID, "J(refunded) V", "refunded=300"},
    {REFUND_WAIT " @21000", "refund:S+more", OK, PAY_REFERRED, "J(referred) V",
     "refunded=0 cause=refund_amount"},
    {REFUND_WAIT " @21000", "refund:S+norf", OK, PAY_REFUNDING, "T(23000) V", "refunded=0"},
    {REFUND_WAIT " @21000", "refund:S+srno", OK, PAY_REFUNDING, "T(23000) V", "refunded=0"},
    {REFUND_WAIT " @21000", "refund:F+abnormal", OK, PAY_REFERRED, "J(referred) V",
     "cause=refund_by_hand refunded=0"},
    {REFUND_WAIT " @21000", "refund:F+norno+noorder", OK, PAY_REFUNDING, "T(23000) V", ""},
    {REFUND_WAIT " @21000 refund:U fire @23500", "refundq:F+nsr", OK, PAY_REFUNDING,
     "S(refund) T(43500)", "flight=1"},
    {REFUND_WAIT " @21000 refund:U fire @23500", "refundq:P", OK, PAY_REFUNDING, "T(27500) V", ""},
    {REFUND_WAIT " @21000 refund:U fire @23500", "refundq:F+abnormal", OK, PAY_REFERRED,
     "J(referred) V", "cause=refund_by_hand"},
    {REFUND_WAIT " @21000 refund:U fire @23500", "refund:S", STALE, PAY_REFUNDING, "", ""},

    /* --- create --- */
    {"", "create", OK, PAY_NEW, "J(created) V", "amount=1230 flight=0 timer=0 auth="},
    {"", "create:0", INVALID, PAY_NEW, "", "amount=0"},
    {"", "create:-5", INVALID, PAY_NEW, "", "amount=0"},
    {"", "create:badno", INVALID, PAY_NEW, "", ""},
    {"", "create:null", INVALID, PAY_NEW, "", ""},
    {"create", "create", REFUSED, PAY_NEW, "", "amount=1230"},
    {PAYING_, "create", REFUSED, PAY_PAYING, "", ""},
    {PAID_, "create", REFUSED, PAY_PAID, "", ""},

    /* --- scan --- */
    {NEW_, "scan", OK, PAY_PAYING, "J(pay_intent) S(pay) T(30000) V",
     "auth=" SCRIPT_WECHAT_CODE " last4=6789 channel=wechat flight=1 sent=10000 "
     "pay_sent_wall=10000 timer=30000 deadline=55000"},
    {NEW_, "scan:alipay", OK, PAY_PAYING, "J(pay_intent) S(pay) T(30000) V",
     "auth=" SCRIPT_ALIPAY_CODE " last4=4321 channel=alipay flight=1"},
    {NEW_, "scan:wrongch", INVALID, PAY_NEW, "", "auth= channel=none"},
    {NEW_, "scan:bad", INVALID, PAY_NEW, "", "auth="},
    {NEW_, "scan:null", INVALID, PAY_NEW, "", "auth="},
    {NEW_, "scan:unionpay", INVALID, PAY_NEW, "", "auth="},
    {"", "scan", REFUSED, PAY_NEW, "", "auth="},
    {PAYING_, "scan", REFUSED, PAY_PAYING, "", "auth=" SCRIPT_WECHAT_CODE},
    {QUERY_IDLE, "scan", REFUSED, PAY_QUERYING, "", ""},
    {QUERY_WAIT, "scan", REFUSED, PAY_QUERYING, "", ""},
    {CANCEL_WAIT, "scan", REFUSED, PAY_CANCELLING, "", ""},
    {PAID_, "scan", REFUSED, PAY_PAID, "", "auth="},
    {FAILED_, "scan", REFUSED, PAY_FAILED, "", "auth="},

    /* --- the pay request's reply --- */
    {PAYING_ " @11000", "pay:S", OK, PAY_PAID, "J(paid) V",
     "auth= last4=6789 trade=" SCRIPT_TRADE " flight=0 timer=0 error= deadline=0"},
    {PAYING_ " @11000", "pay:S+noamt", OK, PAY_QUERYING, "J(pay_unknown) T(14000) V",
     "auth=134567890123456789"},
    {PAYING_ " @11000", "pay:S+amt", OK, PAY_REFERRED, "J(referred) V",
     "error=12.31 cause=amount_mismatch auth= flight=0 timer=0 "
     "confirming=0"},
    {PAYING_ " @11000", "pay:F", OK, PAY_FAILED, "J(pay_failed) V",
     "auth= error=balance cause=balance flight=0"},
    {PAYING_ " @11000", "pay:P", OK, PAY_QUERYING, "J(pay_confirming) T(14000) V",
     "confirming=1 error= cause= timer=14000 trade=" SCRIPT_TRADE},
    {PAYING_ " @11000", "pay:U", OK, PAY_QUERYING, "J(pay_unknown) T(14000) V",
     "confirming=0 error=timed cause=no_answer timer=14000 queries=0"},
    {PAYING_ " @53000", "pay:P", OK, PAY_QUERYING, "J(pay_confirming) T(55000) V", "timer=55000"},
    {PAYING_ " @55000", "pay:U", OK, PAY_CANCELLING, "J(cancel_decided) S(cancel) T(70000) V",
     "cancels=1 flight=1"},
    {PAYING_ " @12000 abort @13000", "pay:U", OK, PAY_QUERYING, "J(pay_unknown) T(25000) V",
     "abort=1 timer=25000"},
    {PAYING_ " @12000 abort @13000", "pay:P", OK, PAY_QUERYING, "J(pay_confirming) T(25000) V",
     "abort=1"},
    {PAYING_ " @12000 abort @26000", "pay:U", OK, PAY_CANCELLING,
     "J(cancel_decided) S(cancel) T(41000) V", "abort=1 cancels=1"},
    {PAYING_ " @12000 abort @13000", "pay:S", OK, PAY_PAID, "J(paid) V", "abort=1 auth="},
    {PAYING_ " @12000 abort @13000", "pay:F", OK, PAY_FAILED, "J(pay_failed) V", "auth="},

    /* --- a query's reply (query in flight since 14000) --- */
    {QUERY_WAIT " @14500", "query:S", OK, PAY_PAID, "J(paid) V",
     "auth= trade=" SCRIPT_TRADE " queries=1 flight=0 error= cause="},
    {QUERY_WAIT " @14500", "query:S+noamt", OK, PAY_QUERYING, "T(19500)",
     "auth=134567890123456789"},
    {QUERY_WAIT " @14500", "query:S+amt", OK, PAY_REFERRED, "J(referred) V", "error=12.31 timer=0"},
    {QUERY_WAIT " @14500", "query:F", OK, PAY_FAILED, "J(pay_failed) V", "auth= error=balance"},
    {QUERY_WAIT " @14500", "query:P", OK, PAY_QUERYING, "T(19500) V", "confirming=1 error="},
    {QUERY_WAIT " @14500", "query:U", OK, PAY_QUERYING, "T(19500)", "confirming=0 error=timed"},
    {QUERY_WAIT " @14500", "query:U+nso", OK, PAY_QUERYING, "T(19500)", "flight=0"},
    {QUERY_WAIT " @14500", "query:P+nso", OK, PAY_QUERYING, "T(19500) V", "flight=0"},
    {QUERY_CONFIRMING " @14500", "query:P", OK, PAY_QUERYING, "T(19500)", "confirming=1"},
    {QUERY_CONFIRMING " @14500", "query:U", OK, PAY_QUERYING, "T(19500) V", "confirming=0"},
    {QUERY_WAIT " @52000", "query:U", OK, PAY_QUERYING, "T(55000)", "timer=55000"},
    {QUERY_WAIT " @55000", "query:U", OK, PAY_CANCELLING, "J(cancel_decided) S(cancel) T(70000) V",
     "cancels=1 flight=1 error=timed"},
    {QUERY_WAIT " @14200 abort @14500", "query:P", OK, PAY_QUERYING, "T(25000) V",
     "abort=1 timer=25000"},
    {QUERY_WAIT " @14200 abort @30000", "query:U", OK, PAY_CANCELLING,
     "J(cancel_decided) S(cancel) T(45000) V", "abort=1 cancels=1"},
    {QUERY_WAIT " @14200 abort @14500", "query:S", OK, PAY_PAID, "J(paid) V", "auth="},

    /* --- timers: the query schedule, the window, early and in-flight firings --- */
    {QUERY_IDLE " @14000", "timer", OK, PAY_QUERYING, "S(query) T(24000)",
     "flight=1 queries=1 timer=24000"},
    {QUERY_IDLE " @13999", "timer", STALE, PAY_QUERYING, "", "timer=14000 queries=0"},
    {QUERY_IDLE " fire @14500 query:P @19500", "timer", OK, PAY_QUERYING, "S(query) T(29500)",
     "queries=2"},
    {QUERY_IDLE " fire @14500 query:P @19499", "timer", STALE, PAY_QUERYING, "", "queries=1"},
    {QUERY_WAIT " @20000", "timer", STALE, PAY_QUERYING, "", "flight=1"},
    {QUERY_WAIT " @50000 query:U @55000", "timer", OK, PAY_CANCELLING,
     "J(cancel_decided) S(cancel) T(70000) V", "cancels=1 queries=1"},
    {QUERY_WAIT " @50000 query:U @54999", "timer", STALE, PAY_QUERYING, "", "timer=55000"},
    {QUERY_IDLE " @55000", "timer", OK, PAY_CANCELLING, "J(cancel_decided) S(cancel) T(70000) V",
     "cancels=1 queries=0 flight=1"},
    {QUERY_IDLE " @90000", "timer", OK, PAY_CANCELLING, "J(cancel_decided) S(cancel) T(105000) V",
     ""},
    {PAYING_ " @20000", "timer", STALE, PAY_PAYING, "", "flight=1"},
    {"create", "timer", STALE, PAY_NEW, "", ""},
    {PAID_ " @20000", "timer", STALE, PAY_PAID, "", ""},
    {CANCEL_WAIT " @60000", "timer", STALE, PAY_CANCELLING, "", "flight=1"},
    {CANCELLED_ " @60000", "timer", STALE, PAY_CANCELLED, "", ""},

    /* --- the cashier aborts --- */
    {"create", "abort", OK, PAY_FAILED, "J(aborted) V",
     "error=aborted cause=aborted_before_scan auth="},
    {PAYING_ " @12000", "abort", OK, PAY_PAYING, "J(abort_requested) V",
     "abort=1 flight=1 timer=30000 cancels=0"},
    {PAYING_ " @12000 abort", "abort", OK, PAY_PAYING, "", "abort=1"},
    {QUERY_IDLE " @12000", "abort", OK, PAY_QUERYING, "J(abort_requested) T(25000) V",
     "abort=1 timer=25000"},
    {QUERY_IDLE " @12000 abort @24999", "timer", STALE, PAY_QUERYING, "", "cancels=0"},
    {QUERY_IDLE " @12000 abort @25000", "timer", OK, PAY_CANCELLING,
     "J(cancel_decided) S(cancel) T(40000) V", "cancels=1 queries=0"},
    {PAYING_ " @26000 pay:U @27000", "abort", OK, PAY_CANCELLING,
     "J(cancel_decided) S(cancel) T(42000) V", "abort=1 cancels=1 flight=1"},
    {QUERY_WAIT " @14200", "abort", OK, PAY_QUERYING, "J(abort_requested) V",
     "abort=1 flight=1 cancels=0"},
    {QUERY_WAIT " @30000", "abort", OK, PAY_QUERYING, "J(abort_requested) V",
     "abort=1 flight=1 cancels=0"},
    {CANCEL_WAIT, "abort", OK, PAY_CANCELLING, "", ""},
    {CANCEL_WAIT " @56000 cancel:U", "abort", OK, PAY_CANCELLING, "", "timer=58000"},
    {PAID_, "abort", REFUSED, PAY_PAID, "", ""},
    {FAILED_, "abort", REFUSED, PAY_FAILED, "", ""},
    {CANCELLED_, "abort", REFUSED, PAY_CANCELLED, "", ""},
    {REFUND_WAIT, "abort", REFUSED, PAY_REFUNDING, "", ""},
    {REFUNDED_, "abort", REFUSED, PAY_REFUNDED, "", ""},

    /* --- the cancel's reply (cancel in flight since 55000) --- */
    {CANCEL_WAIT " @56000", "cancel:S", OK, PAY_CANCELLED, "J(cancelled) V",
     "cancel_refunded=0 auth= flight=0 cause=window_closed"},
    {QUERY_IDLE " @12000 abort @25000 timer @26000", "cancel:S", OK, PAY_CANCELLED,
     "J(cancelled) V", "error=cashier cause=aborted"},
    {CANCEL_WAIT " @56000", "cancel:S+refunded", OK, PAY_CANCELLED, "J(cancelled) V",
     "cancel_refunded=1 auth="},
    {CANCEL_WAIT " @56000", "cancel:S+retry", OK, PAY_CANCELLING, "T(58000) V",
     "backoff=2000 flight=0 auth=" SCRIPT_WECHAT_CODE},
    {CANCEL_WAIT " @56000", "cancel:U", OK, PAY_CANCELLING, "T(58000) V", "backoff=2000"},
    {CANCEL_WAIT " @56000", "cancel:P", OK, PAY_CANCELLING, "T(58000) V", "backoff=2000"},
    {CANCEL_WAIT " @56000 cancel:U @57999", "timer", STALE, PAY_CANCELLING, "", "cancels=1"},
    {CANCEL_WAIT " @56000 cancel:U @58000", "timer", OK, PAY_CANCELLING, "S(cancel) T(73000)",
     "cancels=2 flight=1"},
    {CANCEL_WAIT " @56000 cancel:U fire @59000", "cancel:U", OK, PAY_CANCELLING, "T(63000) V",
     "backoff=4000"},
    {CANCEL_WAIT " @56000", "cancel:F", OK, PAY_CANCELLING, "J(cancel_refused) S(query) T(66000) V",
     "flight=1 error=balance cause=balance queries=1"},
    {REFUSED_WAIT " @57000", "query:S", OK, PAY_PAID, "J(paid_cancel_refused) V",
     "auth= trade=" SCRIPT_TRADE},
    {REFUSED_WAIT " @57000", "query:S+amt", OK, PAY_REFERRED, "J(referred) V", "error=12.31"},
    {REFUSED_WAIT " @57000", "query:F", OK, PAY_CANCELLED, "J(cancelled) V",
     "auth= cancel_refunded=0"},
    {REFUSED_WAIT " @57000", "query:U", OK, PAY_CANCELLING, "T(59000) V", "backoff=2000"},
    {REFUSED_WAIT " @57000", "query:P", OK, PAY_CANCELLING, "T(59000) V", "backoff=2000"},
    {REFUSED_WAIT " @57000 query:U @59000", "timer", OK, PAY_CANCELLING, "S(cancel) T(74000)",
     "cancels=2 flight=1"},

    /* --- refunds (paid 1230 at 11000) --- */
    {PAID_ " @20000", "rf:1230:1", OK, PAY_REFUNDING, "J(refund_requested) S(refund) T(40000) V",
     "refund_no=1 refund_fen=1230 flight=1 refunded=0"},
    {PAID_ " @20000 rf:1230:1 @21000", "refund:S", OK, PAY_REFUNDED, "J(refunded) V",
     "refunded=1230 refund_fen=0 flight=0"},
    {REFUND_WAIT " @21000", "refund:S", OK, PAY_PAID, "J(refunded) V",
     "refunded=300 refund_fen=0 flight=0"},
    {REFUND_WAIT " @21000 refund:S @22000", "rf:930:2", OK, PAY_REFUNDING,
     "J(refund_requested) S(refund) T(42000) V", "refund_fen=930 refund_no=2 refunded=300"},
    {REFUND_WAIT " @21000 refund:S @22000 rf:930:2 @23000", "refund:S", OK, PAY_REFUNDED,
     "J(refunded) V", "refunded=1230 refund_fen=0"},
    {REFUND_WAIT " @21000 refund:S @22000 rf:500:2 @23000", "refund:S", OK, PAY_PAID,
     "J(refunded) V", "refunded=800"},
    {REFUND_WAIT " @21000 refund:S @22000", "rf:931:2", INVALID, PAY_PAID, "", "refunded=300"},
    {PAID_ " @20000", "rf:1231:1", INVALID, PAY_PAID, "", "refund_fen=0"},
    {PAID_ " @20000", "rf:0:1", INVALID, PAY_PAID, "", ""},
    {PAID_ " @20000", "rf:-1:1", INVALID, PAY_PAID, "", ""},
    {PAID_ " @20000", "rf:100:bad", INVALID, PAY_PAID, "", ""},
    {PAID_ " @20000", "rf:100:null", INVALID, PAY_PAID, "", ""},
    {REFUND_WAIT " @20500", "rf:300:1", REFUSED, PAY_REFUNDING, "", "refund_fen=300 flight=1"},
    {REFUND_WAIT " @20500", "rf:300:2", REFUSED, PAY_REFUNDING, "", "refund_no=1"},
    {REFUND_WAIT " @21000", "refund:F", OK, PAY_PAID, "J(refund_failed) V",
     "refunded=0 refund_fen=0 error=balance"},
    {REFUND_WAIT " @21000", "refund:U", OK, PAY_REFUNDING, "T(23000) V", "backoff=2000 flight=0"},
    {REFUND_WAIT " @21000", "refund:P", OK, PAY_REFUNDING, "T(23000) V", "backoff=2000"},
    {REFUND_WAIT " @21000 refund:U @23000", "timer", OK, PAY_REFUNDING, "S(refundq) T(33000)",
     "flight=1 refund_no=1 refund_fen=300"},
    {REFUND_WAIT " @21000 refund:U @22999", "timer", STALE, PAY_REFUNDING, "", ""},
    {REFUND_WAIT " @21000 refund:U fire @23500", "refundq:U", OK, PAY_REFUNDING, "T(27500) V",
     "backoff=4000"},
    {"create", "rf:100:1", REFUSED, PAY_NEW, "", ""},
    {PAYING_, "rf:100:1", REFUSED, PAY_PAYING, "", ""},
    {QUERY_IDLE, "rf:100:1", REFUSED, PAY_QUERYING, "", ""},
    {CANCEL_WAIT, "rf:100:1", REFUSED, PAY_CANCELLING, "", ""},
    {FAILED_, "rf:100:1", REFUSED, PAY_FAILED, "", ""},
    {CANCELLED_, "rf:100:1", REFUSED, PAY_CANCELLED, "", ""},
    {REFUNDED_, "rf:1:2", REFUSED, PAY_REFUNDED, "", ""},

    /* --- restart: resumed from the journal (pay left at wall +10000) --- */
    {"create mono=500", "resume", OK, PAY_FAILED, "J(aborted) V",
     "error=restart cause=restarted_before_scan"},
    {PAYING_ " mono=500 wall+20000", "resume", OK, PAY_QUERYING, "J(resumed) S(query) T(10500) V",
     "sent=-19500 flight=1 queries=1 deadline=25500 auth=" SCRIPT_WECHAT_CODE},
    {PAYING_ " mono=500 wall+20000 resume @1000", "query:U", OK, PAY_QUERYING, "T(6000)", ""},
    {PAYING_ " mono=500 wall+20000 resume @24000", "query:U", OK, PAY_QUERYING, "T(25500)", ""},
    {PAYING_ " mono=500 wall+20000 resume @25500", "query:U", OK, PAY_CANCELLING,
     "J(cancel_decided) S(cancel) T(40500) V", "cancels=1"},
    {PAYING_ " mono=500 wall+44999", "resume", OK, PAY_QUERYING, "J(resumed) S(query) T(10500) V",
     "sent=-44499"},
    {PAYING_ " mono=500 wall+45000", "resume", OK, PAY_CANCELLING,
     "J(cancel_decided) S(cancel) T(15500) V", "sent=-44500 cancels=1 flight=1 queries=0"},
    {PAYING_ " mono=500 wall+3600000", "resume", OK, PAY_CANCELLING,
     "J(cancel_decided) S(cancel) T(15500) V", "cancels=1"},
    {PAYING_ " mono=500 wall-3600000", "resume", OK, PAY_QUERYING, "J(resumed) S(query) T(10500) V",
     "sent=500 deadline=45500"},
    {PAYING_ " mono=500 wall-3600000 resume @45499", "query:U", OK, PAY_QUERYING, "T(45500)", ""},
    {PAYING_ " mono=500 wall-3600000 resume @45500", "query:U", OK, PAY_CANCELLING,
     "J(cancel_decided) S(cancel) T(60500) V", ""},
    {PAYING_ " mono=500 wall-1", "resume", OK, PAY_QUERYING, "J(resumed) S(query) T(10500) V",
     "sent=500"},
    {QUERY_IDLE " mono=500 wall+10000", "resume", OK, PAY_QUERYING,
     "J(resumed) S(query) T(10500) V", "sent=-10500 queries=1 flight=1"},
    {QUERY_WAIT " mono=500 wall+50000", "resume", OK, PAY_CANCELLING,
     "J(cancel_decided) S(cancel) T(15500) V", "cancels=1"},
    {PAYING_ " @12000 abort mono=500 wall+1000", "resume", OK, PAY_QUERYING,
     "J(resumed) T(12500) V", "abort=1 sent=-2500 flight=0 timer=12500"},
    {QUERY_IDLE " @12000 abort mono=500 wall+1000", "resume", OK, PAY_QUERYING,
     "J(resumed) T(12500) V", "abort=1 timer=12500"},
    {QUERY_IDLE " @12000 abort mono=500 wall+1000 resume @12500", "timer", OK, PAY_CANCELLING,
     "J(cancel_decided) S(cancel) T(27500) V", "cancels=1"},
    {QUERY_IDLE " @12000 abort mono=500 wall+20000", "resume", OK, PAY_CANCELLING,
     "J(cancel_decided) S(cancel) T(15500) V", "abort=1 cancels=1"},
    {CANCEL_WAIT " mono=500 wall+5000", "resume", OK, PAY_CANCELLING,
     "J(resumed) S(cancel) T(15500) V", "cancels=2 flight=1 timer=15500"},
    {CANCEL_WAIT " @56000 cancel:U mono=500 wall-100000", "resume", OK, PAY_CANCELLING,
     "J(resumed) S(cancel) T(15500) V", "cancels=2"},
    {REFUSED_WAIT " mono=500", "resume", OK, PAY_CANCELLING, "J(resumed) S(cancel) T(15500) V",
     "cancels=2 flight=1"},
    {REFUND_WAIT " mono=500 wall+5000", "resume", OK, PAY_REFUNDING,
     "J(resumed) S(refund) T(20500) V", "refund_no=1 refund_fen=300 flight=1"},
    {REFUND_WAIT " @21000 refund:U mono=500", "resume", OK, PAY_REFUNDING,
     "J(resumed) S(refund) T(20500) V", "refund_no=1 refund_fen=300"},
    {PAID_ " mono=500", "resume", STALE, PAY_PAID, "", ""},
    {FAILED_ " mono=500", "resume", STALE, PAY_FAILED, "", ""},
    {CANCELLED_ " mono=500", "resume", STALE, PAY_CANCELLED, "", ""},
    {REFUNDED_ " mono=500", "resume", STALE, PAY_REFUNDED, "", ""},

    /* --- replies nobody waits for: ignored, nothing changed --- */
    {"create", "pay:S", STALE, PAY_NEW, "", ""},
    {PAYING_ " @11000", "pay:S+order", STALE, PAY_PAYING, "", "flight=1"},
    {PAYING_ " @11000", "query:S", STALE, PAY_PAYING, "", "flight=1"},
    {PAYING_ " @11000", "cancel:S", STALE, PAY_PAYING, "", "flight=1"},
    {PAYING_ " @11000", "refund:S", STALE, PAY_PAYING, "", "flight=1"},
    {QUERY_IDLE " @12000", "query:S", STALE, PAY_QUERYING, "", "timer=14000"},
    {QUERY_IDLE " @12000", "pay:S", STALE, PAY_QUERYING, "", "timer=14000"},
    {QUERY_WAIT " @14500", "pay:S", STALE, PAY_QUERYING, "", "flight=1"},
    {QUERY_WAIT " @14500", "cancel:S", STALE, PAY_QUERYING, "", "flight=1"},
    {QUERY_WAIT " @14500", "refund:S", STALE, PAY_QUERYING, "", "flight=1"},
    {QUERY_WAIT " @14500", "query:S+order", STALE, PAY_QUERYING, "", "flight=1"},
    {CANCEL_WAIT " @56000", "pay:S", STALE, PAY_CANCELLING, "", "flight=1"},
    {CANCEL_WAIT " @56000", "refund:S", STALE, PAY_CANCELLING, "", "flight=1"},
    {CANCEL_WAIT " @56000", "cancel:S+order", STALE, PAY_CANCELLING, "", "flight=1"},
    {CANCEL_WAIT " @56000 cancel:U", "cancel:S", STALE, PAY_CANCELLING, "", "timer=58000"},
    {REFUND_WAIT " @21000", "pay:S", STALE, PAY_REFUNDING, "", "flight=1"},
    {REFUND_WAIT " @21000", "refund:S+order", STALE, PAY_REFUNDING, "", "flight=1"},
    {REFUND_WAIT " @21000 refund:U", "refund:S", STALE, PAY_REFUNDING, "", "refunded=0"},
    {PAID_ " @12000", "pay:S", STALE, PAY_PAID, "", ""},
    {PAID_ " @12000", "query:F", STALE, PAY_PAID, "", ""},
    {FAILED_ " @12000", "pay:S", STALE, PAY_FAILED, "", ""},
    {CANCELLED_ " @57000", "cancel:S", STALE, PAY_CANCELLED, "", ""},
    {CANCELLED_ " @57000", "query:S", STALE, PAY_CANCELLED, "", ""},
    {REFUNDED_ " @22000", "refund:S", STALE, PAY_REFUNDED, "", ""},
    {PAYING_ " @11000", "reply:null", INVALID, PAY_PAYING, "", "flight=1"},

    /* --- dynamic QR: create, show, query, close (engine.c "dynamic QR") --- */
    {NEW_, "qr", OK, PAY_PAYING, "J(pay_intent) S(qrcreate) T(20000) V",
     "kind=qr channel=wechat qr= qr_window=120 flight=1 deadline=130000 pay_sent_wall=10000"},
    {NEW_, "qr:alipay", OK, PAY_PAYING, "J(pay_intent) S(qrcreate) T(20000) V", "channel=alipay"},
    {NEW_, "qr:none", INVALID, PAY_NEW, "", "kind=barcode"},
    {"", "qr", REFUSED, PAY_NEW, "", ""},
    {PAYING_, "qr", REFUSED, PAY_PAYING, "", "kind=barcode"},
    {QR_WAIT, "scan", REFUSED, PAY_PAYING, "", "kind=qr auth="},
    {QR_WAIT, "qr", REFUSED, PAY_PAYING, "", ""},
    /* the create: a payload about this order is shown; anything else, the create again */
    {QR_WAIT " @11000", "qrcreate:S", OK, PAY_QUERYING, "J(pay_confirming) T(14000) V",
     "qr=" SCRIPT_QR " flight=0 error="},
    {QR_WAIT " @11000", "qrcreate:S+noorder+bound", OK, PAY_QUERYING,
     "J(pay_confirming) T(14000) V", "qr=" SCRIPT_QR},
    {QR_WAIT " @11000", "qrcreate:S+noorder", OK, PAY_PAYING, "T(13000) V",
     "qr= cause=bad_reply backoff=2000 flight=0"},
    {QR_WAIT " @11000", "qrcreate:S+other+bound", OK, PAY_PAYING, "T(13000) V",
     "qr= cause=bad_reply"},
    {QR_WAIT " @11000", "qrcreate:S+noqr", OK, PAY_PAYING, "T(13000) V",
     "qr= cause=bad_reply error=without"},
    {QR_WAIT " @11000", "qrcreate:S+oldid", STALE, PAY_PAYING, "", "flight=1"},
    {QR_WAIT " @11000", "qrcreate:F", OK, PAY_FAILED, "J(pay_failed) V", "cause=balance qr="},
    {QR_WAIT " @11000", "qrcreate:F+noorder+bound", OK, PAY_FAILED, "J(pay_failed) V", ""},
    {QR_WAIT " @11000", "qrcreate:F+noorder", OK, PAY_PAYING, "T(13000) V", "cause=balance"},
    {QR_WAIT " @11000", "qrcreate:F+nso", OK, PAY_PAYING, "T(13000) V", ""},
    {QR_WAIT " @11000", "qrcreate:U", OK, PAY_PAYING, "T(13000) V", "cause=no_answer"},
    {QR_WAIT " @11000", "qrcreate:P", OK, PAY_PAYING, "T(13000) V", ""},
    {QR_WAIT " @11000 qrcreate:U", "fire", OK, PAY_PAYING, "S(qrcreate) T(23000)",
     "flight=1 pay_sent_wall=10000"},
    {QR_WAIT " @11000 qrcreate:U fire @13500", "qrcreate:U", OK, PAY_PAYING, "T(17500) V",
     "backoff=4000"},
    {QR_WAIT " @20000", "timer", OK, PAY_PAYING, "T(22000) V", "cause=no_answer flight=0"},
    {QR_WAIT " @11000 qrcreate:U @131000", "timer", OK, PAY_CANCELLING,
     "J(cancel_decided) S(qrclose) T(141000) V", "qr= cancels=1"},
    {QR_WAIT " @11000 qrcreate:U @128000 timer @131000", "qrcreate:S", OK, PAY_CANCELLING,
     "J(cancel_decided) S(qrclose) T(141000) V", "qr="},
    /* queries while the QR is shown */
    {QR_SHOWN, "fire", OK, PAY_QUERYING, "S(query) T(24000)", "queries=1 flight=1"},
    {QR_SHOWN " @12000", "qrcreate:S", STALE, PAY_QUERYING, "", ""},
    {QR_QUERY " @15000", "query:P", OK, PAY_QUERYING, "T(20000)", "error= flight=0"},
    {QR_QUERY " @15000", "query:U+nso", OK, PAY_QUERYING, "T(20000)", "error="},
    {QR_QUERY " @15000", "query:U", OK, PAY_QUERYING, "T(20000)", "cause=no_answer"},
    {QR_QUERY " @15000", "query:S", OK, PAY_PAID, "J(paid) V",
     "trade=" SCRIPT_TRADE " qr=" SCRIPT_QR},
    {QR_QUERY " @15000", "query:S+noamt", OK, PAY_QUERYING, "T(20000)", "cause=bad_reply"},
    {QR_QUERY " @15000", "query:S+noorder", OK, PAY_QUERYING, "T(20000)", "cause=bad_reply"},
    {QR_QUERY " @15000", "query:S+amt", OK, PAY_REFERRED, "J(referred) V", "cause=amount_mismatch"},
    {QR_QUERY " @15000", "query:F", OK, PAY_FAILED, "J(pay_failed) V", ""},
    {QR_QUERY " @15000", "query:F+noorder", OK, PAY_QUERYING, "T(20000)", ""},
    {QR_QUERY " @24000", "timer", OK, PAY_QUERYING, "T(29000)", "cause=no_answer"},
    {QR_SHOWN " @128000 timer @129000", "query:P", OK, PAY_QUERYING, "T(130000)", ""},
    {QR_SHOWN " @128000 timer @131000", "query:P", OK, PAY_CANCELLING,
     "J(cancel_decided) S(qrclose) T(141000) V", ""},
    /* the window's end and the cashier's abort: the order is closed */
    {QR_SHOWN " @130000", "timer", OK, PAY_CANCELLING, "J(cancel_decided) S(qrclose) T(140000) V",
     "cancels=1 flight=1 deadline=0"},
    {QR_WAIT " @11000", "abort", OK, PAY_PAYING, "J(abort_requested) V", "abort=1 flight=1"},
    {QR_WAIT " @11000 abort @12000", "qrcreate:S", OK, PAY_CANCELLING,
     "J(cancel_decided) S(qrclose) T(22000) V", "qr="},
    {QR_WAIT " @11000 abort @12000", "qrcreate:F", OK, PAY_FAILED, "J(pay_failed) V", ""},
    {QR_WAIT " @11000 qrcreate:U @12000", "abort", OK, PAY_CANCELLING,
     "J(cancel_decided) S(qrclose) T(22000) V", "abort=1"},
    {QR_SHOWN " @12000", "abort", OK, PAY_CANCELLING, "J(cancel_decided) S(qrclose) T(22000) V",
     "abort=1"},
    {QR_SHOWN " @12000 abort", "abort", OK, PAY_CANCELLING, "", ""},
    {QR_QUERY " @15000", "abort", OK, PAY_QUERYING, "J(abort_requested) V", "abort=1 flight=1"},
    {QR_QUERY " @15000 abort", "abort", OK, PAY_QUERYING, "", ""},
    {QR_QUERY " @15000 abort @16000", "query:P", OK, PAY_CANCELLING,
     "J(cancel_decided) S(qrclose) T(26000) V", ""},
    {QR_QUERY " @15000 abort @16000", "query:S", OK, PAY_PAID, "J(paid) V", ""},
    {QR_CLOSED, "abort", REFUSED, PAY_CANCELLED, "", ""},
    {QR_PAID, "abort", REFUSED, PAY_PAID, "", ""},
    /* the close: believed only about this order; refused, a query decides */
    {QR_CLOSING " @131000", "qrclose:S", OK, PAY_CANCELLED, "J(cancelled) V",
     "cause=window_closed cancel_refunded=0 timer=0"},
    {QR_CLOSING " @131000", "qrclose:S+noorder+bound", OK, PAY_CANCELLED, "J(cancelled) V", ""},
    {QR_CLOSING " @131000", "qrclose:S+other+bound", OK, PAY_CANCELLING, "S(query) T(141000) V",
     "cause=bad_reply"},
    {QR_CLOSING " @131000", "qrclose:S+noorder", OK, PAY_CANCELLING, "S(query) T(141000) V",
     "cause=bad_reply queries=1"},
    {QR_CLOSING " @131000 qrclose:S+noorder @132000", "query:F", OK, PAY_CANCELLED,
     "J(cancelled) V", ""},
    {QR_CLOSING " @131000 qrclose:S+noorder @132000", "query:P", OK, PAY_CANCELLING, "T(134000) V",
     "backoff=2000"},
    {QR_CLOSING " @131000 qrclose:S+noorder @132000 query:P", "fire", OK, PAY_CANCELLING,
     "S(qrclose) T(144000)", "cancels=2"},
    {QR_CLOSING " @131000", "qrclose:F+paid", OK, PAY_CANCELLING,
     "J(cancel_refused) S(query) T(141000) V", ""},
    {QR_CLOSING " @131000", "qrclose:F+noorder", OK, PAY_CANCELLING,
     "J(cancel_refused) S(query) T(141000) V", ""},
    {QR_CLOSE_REFUSED " @132000", "query:S", OK, PAY_PAID, "J(paid_cancel_refused) V",
     "trade=" SCRIPT_TRADE " error="},
    {QR_CLOSE_REFUSED " @132000", "query:S+noamt", OK, PAY_CANCELLING, "T(134000) V",
     "cause=bad_reply"},
    {QR_CLOSE_REFUSED " @132000", "query:S+amt", OK, PAY_REFERRED, "J(referred) V", ""},
    {QR_CLOSE_REFUSED " @132000", "query:F", OK, PAY_CANCELLED, "J(cancelled) V", ""},
    {QR_CLOSE_REFUSED " @132000", "query:U+nso", OK, PAY_CANCELLING, "T(134000) V", ""},
    {QR_CLOSING " @131000", "qrclose:U", OK, PAY_CANCELLING, "T(133000) V", "cause=no_answer"},
    {QR_CLOSING " @131000", "qrclose:U+retry", OK, PAY_CANCELLING, "T(133000) V", ""},
    {QR_CLOSING " @140000", "timer", OK, PAY_CANCELLING, "T(142000) V", "cause=no_answer"},
    /* Alipay before the scan: "no such order" closes nothing until the gateway's expiry */
    {QR_CLOSING " @131000", "qrclose:U+nso", OK, PAY_CANCELLING, "T(133000) V", "queries=0"},
    {QR_CLOSING " @259999", "qrclose:U+nso", OK, PAY_CANCELLING, "T(261999) V", "queries=0"},
    {QR_CLOSING " @260000", "qrclose:U+nso", OK, PAY_CANCELLING, "S(query) T(270000) V",
     "queries=1"},
    {QR_CLOSING " @260000 qrclose:U+nso @261000", "query:U+nso", OK, PAY_CANCELLED,
     "J(cancelled) V", "error=window"},
    {QR_CLOSING " @260000 qrclose:U+nso @261000", "query:P", OK, PAY_CANCELLING, "T(263000) V", ""},
    {QR_CLOSING " @260000 qrclose:U+nso @261000", "query:S", OK, PAY_PAID,
     "J(paid_cancel_refused) V", ""},
    {QR_CLOSE_REFUSED " @261000", "query:U+nso", OK, PAY_CANCELLED, "J(cancelled) V", ""},
    /* after a restart: the same QR, the same order; the close goes on */
    {QR_WAIT " mono=500", "resume", OK, PAY_PAYING, "J(resumed) S(qrcreate) T(10500) V",
     "sent=500 qr="},
    {QR_SHOWN " mono=500", "resume", OK, PAY_QUERYING, "J(resumed) S(query) T(10500) V",
     "qr=" SCRIPT_QR " deadline=119500"},
    {QR_SHOWN " mono=500 wall+200000", "resume", OK, PAY_CANCELLING,
     "J(cancel_decided) S(qrclose) T(10500) V", "qr=" SCRIPT_QR},
    {QR_WAIT " @11000 qrcreate:U mono=500 wall+200000", "resume", OK, PAY_CANCELLING,
     "J(cancel_decided) S(qrclose) T(10500) V", ""},
    {QR_QUERY " @15000 abort mono=500", "resume", OK, PAY_CANCELLING,
     "J(cancel_decided) S(qrclose) T(10500) V", "abort=1"},
    {QR_CLOSING " mono=500", "resume", OK, PAY_CANCELLING, "J(resumed) S(qrclose) T(10500) V", ""},
    {QR_CLOSING " @131000 qrclose:U+nso mono=500 wall+200000 resume @1000", "qrclose:U+nso", OK,
     PAY_CANCELLING, "S(query) T(11000) V", ""},
    {QR_CLOSED " mono=500", "resume", STALE, PAY_CANCELLED, "", ""},
    /* a paid QR order refunds as any other */
    {QR_PAID " @20000", "rf:300:1", OK, PAY_REFUNDING, "J(refund_requested) S(refund) T(40000) V",
     "kind=qr"},
    {QR_PAID " @20000 rf:300:1 @21000", "refund:S", OK, PAY_PAID, "J(refunded) V", "refunded=300"},
    {QR_PAID " @20000 rf:300:1 mono=500", "resume", OK, PAY_REFUNDING,
     "J(resumed) S(refund) T(20500) V", ""},
};

static int row_failed(int i, const struct row *r, const char *what)
{
    fprintf(stderr, "row %d [%s | %s]: %s\n", i, r->setup, r->event, what);
    return 1;
}

static int check_row(int i, const struct row *r)
{
    struct script s;
    char why[640], got[256];
    int bad = 0;
    script_init(&s);
    if (!script_run(&s, r->setup, 1) || !script_run(&s, r->event, 0))
        return row_failed(i, r, s.error);

    if (s.st != r->status) {
        snprintf(why, sizeof why, "status %s, wanted %s", engine_status_reason(s.st),
                 engine_status_reason(r->status));
        bad |= row_failed(i, r, why);
    }
    if (s.p.state != r->state) {
        snprintf(why, sizeof why, "state %s, wanted %s", pay_state_name(s.p.state),
                 pay_state_name(r->state));
        bad |= row_failed(i, r, why);
    }
    script_render(&s.out, got, sizeof got);
    if (strcmp(got, r->actions) != 0) {
        snprintf(why, sizeof why, "actions \"%s\", wanted \"%s\"", got, r->actions);
        bad |= row_failed(i, r, why);
    }
    char fields[512], *save = NULL;
    snprintf(fields, sizeof fields, "%s", r->fields);
    for (char *kv = strtok_r(fields, " ", &save); kv; kv = strtok_r(NULL, " ", &save))
        if (!script_field_matches(&s, kv, why, sizeof why))
            bad |= row_failed(i, r, why);

    /* The rules every step keeps. An event without actions leaves the payment as it was. */
    if (s.st != ENGINE_OK || s.out.n == 0) {
        if (s.out.n != 0 || memcmp(&s.before, &s.p, sizeof s.p) != 0)
            bad |= row_failed(i, r, "an event without actions changed the payment");
    }
    const char *changed = script_decision_differs(&s.before, &s.p);
    int journals = 0, first_journal = -1, first_send = -1;
    for (int a = 0; a < s.out.n; a++) {
        if (s.out.a[a].type == ENGINE_JOURNAL) {
            journals++;
            if (first_journal < 0)
                first_journal = a;
        }
        if (s.out.a[a].type == ENGINE_SEND && first_send < 0)
            first_send = a;
    }
    if (s.p.state != s.before.state && first_journal != 0)
        bad |= row_failed(i, r, "the state changed but the first action is not ENGINE_JOURNAL");
    if (changed && journals == 0) {
        snprintf(why, sizeof why, "%s changed without ENGINE_JOURNAL", changed);
        bad |= row_failed(i, r, why);
    }
    if (journals && first_send >= 0 && first_send < first_journal)
        bad |= row_failed(i, r, "a request is sent before the journal commit");
    if (!pay_state_unresolved(s.p.state) && s.p.auth_code[0] != '\0')
        bad |= row_failed(i, r, "a final payment still holds its payment code");
    return bad;
}

/* A QR payment keeps the window its create asked for: a config changed across a restart
 * neither cuts short the countdown the customer was shown nor moves the close earlier. */
static void test_qr_window_kept(void)
{
    struct script s;
    script_init(&s);
    CHECK(script_run(&s, QR_SHOWN " mono=500", 1));
    s.pol.qr_window_ms = 10000;
    CHECK(script_run(&s, "resume", 1));
    CHECK_EQ_INT(s.p.state, PAY_QUERYING);
    CHECK_EQ_INT(engine_cancel_deadline(&s.p, &s.pol), 500 - 1000 + 120000);
    CHECK(script_run(&s, "@60000 timer", 0)); /* the resumed query's deadline: lost */
    CHECK_EQ_INT(s.p.state, PAY_QUERYING);
    CHECK(script_run(&s, "@119499 timer @119499 query:P", 1)); /* the next query, answered */
    CHECK_EQ_INT(s.p.state, PAY_QUERYING);
    CHECK_EQ_INT(s.p.timer_at, 119500);
    CHECK(script_run(&s, "@119500 timer", 1));
    CHECK_EQ_INT(s.p.state, PAY_CANCELLING);
}

/* Cancel retries back off 2, 4, 8, 16, 32, 60, 60, ... seconds and never give up. */
static void test_cancel_backoff_forever(void)
{
    static const int64_t want[] = {2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000, 60000};
    struct script s;
    script_init(&s);
    CHECK(script_run(&s, CANCEL_WAIT, 1));
    for (int round = 0; round < 200; round++) {
        int64_t delay = want[round < 8 ? round : 8];
        char words[64];
        snprintf(words, sizeof words, "@%" PRId64 " cancel:%s", s.now + 700,
                 round % 3 == 2 ? "S+retry"
                 : round % 3    ? "P"
                                : "U");
        if (!script_run(&s, words, 1)) {
            fprintf(stderr, "round %d: %s\n", round, s.error);
            CHECK(0);
            return;
        }
        if (s.p.timer_at != s.now + delay || s.p.backoff_ms != delay) {
            fprintf(stderr, "round %d: timer %" PRId64 " after %" PRId64 ", wanted +%" PRId64 "\n",
                    round, s.p.timer_at, s.now, delay);
            CHECK(0);
            return;
        }
        CHECK(script_run(&s, "fire", 1));
        CHECK_EQ_INT(s.p.cancels, round + 2);
        CHECK(s.p.in_flight);
        CHECK_EQ_INT(s.p.state, PAY_CANCELLING);
    }
    CHECK(script_run(&s, "@99999999 cancel:S", 1));
    CHECK_EQ_INT(s.p.state, PAY_CANCELLED);
}

/* Refund retries use the same back-off and always ask about the same request number. */
static void test_refund_backoff(void)
{
    struct script s;
    script_init(&s);
    CHECK(script_run(&s, REFUND_WAIT, 1));
    int64_t delay = 2000;
    for (int round = 0; round < 12; round++) {
        /* The first answer is the refund's; after a back-off the engine asks what became of
         * the refund (refund query) before anything is sent again. */
        char words[64];
        snprintf(words, sizeof words, "@%" PRId64 " %s:U", s.now + 300,
                 round == 0 ? "refund" : "refundq");
        CHECK(script_run(&s, words, 1));
        CHECK_EQ_INT(s.p.timer_at, s.now + delay);
        CHECK(script_run(&s, "fire", 1));
        struct gw_request req;
        engine_request(&s.p, GW_REFUND, &req);
        CHECK_EQ_STR(req.refund_no, SCRIPT_ORDER "R1");
        CHECK_EQ_INT(req.amount_fen, 300);
        CHECK_EQ_INT(req.total_fen, 1230);
        delay = delay * 2 > 60000 ? 60000 : delay * 2;
    }
}

/* Runs one undecided pay (reply at 10400) to its cancel under pol, each query answered
 * "still paying" 250 ms after it leaves; the query times into at[] (ms), their count back. */
static int run_schedule(const struct policy *pol, int64_t *at, int max)
{
    struct script s;
    script_init(&s);
    s.pol = *pol;
    CHECK(script_run(&s, PAYING_ " @10400 pay:P", 1));
    int n = 0;
    while (s.p.state == PAY_QUERYING && n < max) {
        if (!script_run(&s, "fire", 1) || s.p.state != PAY_QUERYING)
            break;
        at[n++] = s.now;
        char words[32];
        snprintf(words, sizeof words, "@%" PRId64 " query:P", s.now + 250);
        CHECK(script_run(&s, words, 1));
    }
    CHECK_EQ_INT(s.p.state, PAY_CANCELLING);
    CHECK_EQ_INT(s.now, 55000); /* the window's end: the cancel */
    CHECK_EQ_INT(s.p.queries, n);
    return n;
}

/* The default cadence from one undecided pay (request at 10000, reply at 10400) to the
 * cancel: 1 s after the reply, then 2 s after each reply that comes while the pay is under
 * 20 s old (the last at 29650), then 5 s, the last timer cut to the window's end. */
static void test_query_schedule(void)
{
    static const int64_t want[] = {11400, 13650, 15900, 18150, 20400, 22650, 24900,
                                   27150, 29400, 31650, 36900, 42150, 47400, 52650};
    struct policy pol = policy_default();
    int64_t at[40];
    int n = run_schedule(&pol, at, 40);
    CHECK_EQ_INT(n, (int)(sizeof want / sizeof want[0]));
    for (int i = 0; i < n && i < (int)(sizeof want / sizeof want[0]); i++)
        CHECK_EQ_INT(at[i], want[i]);

    /* Overridden (config policy.*): 3 s, then every 5 s, no fast phase. */
    static const int64_t slow[] = {13400, 18650, 23900, 29150, 34400, 39650, 44900, 50150};
    pol.first_query_ms = 3000;
    pol.query_fast_for_ms = 0;
    n = run_schedule(&pol, at, 40);
    CHECK_EQ_INT(n, (int)(sizeof slow / sizeof slow[0]));
    for (int i = 0; i < n && i < (int)(sizeof slow / sizeof slow[0]); i++)
        CHECK_EQ_INT(at[i], slow[i]);

    /* A query not answered "still paying" (refused as too frequent, a system error, no
     * answer) waits the slow gap, even in the fast phase; the next "paying" is fast again. */
    struct script s;
    script_init(&s);
    s.pol = policy_default();
    CHECK(script_run(&s, PAYING_ " @10400 pay:P fire @11650 query:U", 1));
    CHECK_EQ_INT(s.p.timer_at, 16650);
    CHECK(script_run(&s, "fire @16900 query:P", 1));
    CHECK_EQ_INT(s.p.timer_at, 18900);

    /* No two queries of one payment closer than the fast gap plus the reply's time. */
    pol = policy_default();
    n = run_schedule(&pol, at, 40);
    int close = 0;
    for (int i = 1; i < n; i++)
        close += at[i] - at[i - 1] < pol.query_fast_every_ms;
    CHECK_EQ_INT(close, 0);
}

/* What the loop hands to the gateway for each op. */
static void test_requests(void)
{
    struct script s;
    struct gw_request req;
    script_init(&s);
    CHECK(script_run(&s, PAYING_, 1));
    engine_request(&s.p, GW_PAY, &req);
    CHECK_EQ_INT(req.op, GW_PAY);
    CHECK_EQ_INT(req.channel, CHANNEL_WECHAT);
    CHECK_EQ_STR(req.order_no, SCRIPT_ORDER);
    CHECK_EQ_STR(req.auth_code, SCRIPT_WECHAT_CODE);
    CHECK_EQ_INT(req.amount_fen, 1230);
    engine_request(&s.p, GW_QUERY, &req);
    CHECK_EQ_STR(req.auth_code, "");
    CHECK_EQ_STR(req.order_no, SCRIPT_ORDER);
    engine_request(&s.p, GW_CANCEL, &req);
    CHECK_EQ_STR(req.auth_code, "");
    CHECK_EQ_INT(req.op, GW_CANCEL);
}

int main(void)
{
    test_qr_window_kept();
    int n = (int)(sizeof rows / sizeof rows[0]), bad = 0;
    for (int i = 0; i < n; i++) {
        int failed = check_row(i, &rows[i]);
        bad += failed;
        CHECK(!failed);
    }
    printf("transition table: %d rows, %d wrong\n", n, bad);
    test_cancel_backoff_forever();
    test_refund_backoff();
    test_query_schedule();
    test_requests();
    return check_done();
}
