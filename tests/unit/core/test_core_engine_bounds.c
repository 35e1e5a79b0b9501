/*
 * test_core_engine_bounds.c - the engine's action list cannot overflow: every event word the
 * scripts know, from every state a script can reach (each with a request in flight and
 * without, after an abort, after a restart), gives at most ENGINE_MAX_ACTIONS actions, at
 * most one ENGINE_JOURNAL and that one first. The engine aborts on an overflow rather than
 * overwrite an action, so a step past the bound would crash this test.
 */
#include "check.h"
#include "engine_script.h"

static const char *const setups[] = {
    "",
    "create @10000",
    "create @10000 scan",
    "create @10000 scan @12000 abort",
    "create @10000 scan @11000 pay:U",
    "create @10000 scan @11000 pay:U fire",
    "create @10000 scan @11000 pay:P fire",
    "create @10000 scan @11000 pay:U @12000 abort",
    "create @10000 scan @11000 pay:U @55000 timer",
    "create @10000 scan @11000 pay:U @55000 timer @56000 cancel:U",
    "create @10000 scan @11000 pay:U @55000 timer @56000 cancel:F",
    "create @10000 scan @11000 pay:S",
    "create @10000 scan @11000 pay:F",
    "create @10000 scan @11000 pay:U @55000 timer @56000 cancel:S",
    "create @10000 scan @11000 pay:S @20000 rf:300:1",
    "create @10000 scan @11000 pay:S @20000 rf:300:1 @21000 refund:U",
    "create @10000 scan @11000 pay:S @20000 rf:300:1 @21000 refund:U fire",
    "create @10000 scan @11000 pay:S @20000 rf:300:1 @21000 refund:S+norno",
    "create @10000 scan @11000 pay:S @20000 rf:1230:1 @21000 refund:S",
    "create @10000 scan @11000 pay:S+amt",
    "create @10000 scan mono=500 wall+20000",
    "create @10000 scan @11000 pay:U @55000 timer mono=500 wall+5000",
    "create @10000 scan @11000 pay:S @20000 rf:300:1 mono=500",
    "create @10000 qr",
    "create @10000 qr:alipay @11000 qrcreate:U",
    "create @10000 qr @11000 abort",
    "create @10000 qr @11000 qrcreate:S",
    "create @10000 qr @11000 qrcreate:S fire",
    "create @10000 qr @11000 qrcreate:S fire @15000 abort",
    "create @10000 qr @11000 qrcreate:S @130000 timer",
    "create @10000 qr @11000 qrcreate:S @130000 timer @131000 qrclose:F+paid",
    "create @10000 qr @11000 qrcreate:S @130000 timer @131000 qrclose:S+noorder",
    "create @10000 qr @11000 qrcreate:S @130000 timer @261000 qrclose:U+nso",
    "create @10000 qr @11000 qrcreate:S @130000 timer @131000 qrclose:S",
    "create @10000 qr @11000 qrcreate:S fire @15000 query:S",
    "create @10000 qr @11000 qrcreate:S @125000 timer mono=500 wall+5000",
    "create @10000 qr @11000 qrcreate:S @130000 timer mono=500 wall+500000",
};

static const char *const ops[] = {"pay",     "query",    "cancel", "refund",
                                  "refundq", "qrcreate", "qrclose"};
static const char *const kinds[] = {"S", "F", "P", "U"};
static const char *const mods[] = {
    "",
    "+amt",
    "+noamt",
    "+retry",
    "+refunded",
    "+nso",
    "+nsr",
    "+abnormal",
    "+noorder",
    "+other",
    "+bound",
    "+noorder+bound",
    "+norno",
    "+srno",
    "+less",
    "+more",
    "+norf",
    "+total",
    "+oldid",
    "+retry+refunded",
    "+norno+noorder",
    "+noqr",
    "+paid",
    "+nso+paid",
};
static const char *const others[] = {
    "create",   "scan",      "scan:alipay", "timer",           "fire", "abort",     "resume",
    "rf:100:7", "rf:1230:7", "reply:null",  "@99999999 timer", "qr",   "qr:alipay", "qr:none",
};

static int worst;
static long steps;

static void one(const char *setup, const char *word)
{
    struct script s;
    script_init(&s);
    if (!script_run(&s, setup, 1)) {
        fprintf(stderr, "setup \"%s\": %s\n", setup, s.error);
        CHECK(0);
        return;
    }
    s.st = ENGINE_OK;
    s.out.n = 0;
    if (!script_word(&s, word))
        return; /* a word that makes no sense here (e.g. fire without a timer) */
    steps++;
    if (s.out.n > worst)
        worst = s.out.n;
    int journals = 0;
    for (int i = 0; i < s.out.n; i++)
        if (s.out.a[i].type == ENGINE_JOURNAL) {
            journals++;
            if (i != 0) {
                fprintf(stderr, "[%s | %s]: ENGINE_JOURNAL at %d\n", setup, word, i);
                CHECK(0);
            }
        }
    if (journals > 1) {
        fprintf(stderr, "[%s | %s]: %d journals in one step\n", setup, word, journals);
        CHECK(0);
    }
    CHECK(s.out.n <= ENGINE_MAX_ACTIONS);
}

int main(void)
{
    char word[64];
    for (size_t i = 0; i < sizeof setups / sizeof setups[0]; i++) {
        for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++)
            for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
                for (size_t m = 0; m < sizeof mods / sizeof mods[0]; m++) {
                    snprintf(word, sizeof word, "%s:%s%s", ops[o], kinds[k], mods[m]);
                    one(setups[i], word);
                }
        for (size_t e = 0; e < sizeof others / sizeof others[0]; e++) {
            /* "@T word" is two words: run the clock move as part of the setup. */
            const char *sp = strchr(others[e], ' ');
            if (sp) {
                char setup[512];
                snprintf(setup, sizeof setup, "%s %.*s", setups[i], (int)(sp - others[e]),
                         others[e]);
                one(setup, sp + 1);
            } else {
                one(setups[i], others[e]);
            }
        }
    }
    printf("bounds: %ld steps from %zu states, at most %d actions (limit %d)\n", steps,
           sizeof setups / sizeof setups[0], worst, ENGINE_MAX_ACTIONS);
    CHECK(worst <= ENGINE_MAX_ACTIONS);
    CHECK(steps > 2000);
    return check_done();
}
