/*
 * cashier_notes.c - the loop's notes in the cashier's language: each note's values put into
 * its row of ui/text.h's table.
 */
#include "cashier_notes.h"

#include <stdio.h>
#include <string.h>

#include "money.h"
#include "text.h"
#include "view.h"

static const char *journal_reason(enum ui_lang lang, const struct loop_message *m)
{
    return text_journal_reason(lang, m->journal, m->journal_reason);
}

/* The state as the loop names it in English, as the screens name it in Chinese. */
static const char *state_words(enum ui_lang lang, enum pay_state st)
{
    if (lang == UI_LANG_EN)
        return pay_state_name(st);
    struct payment p = {.state = st};
    return text(lang, view_state(&p));
}

/* Each note's arguments in the order its English and Chinese rows name them (the table
 * test proves both rows take the same conversions). */
void cashier_note_text(enum ui_lang lang, const struct loop_message *m, char *buf, size_t len)
{
    const char *order = m->order_no ? m->order_no : "";
    const char *code = m->code ? m->code : "";
    const char *detail = m->detail ? m->detail : "";
    char money[MONEY_TEXT_MAX];
    switch (m->note) {
    case LOOP_NOTE_JOURNAL_UNUSABLE:
        snprintf(buf, len, text(lang, T_NOTE_JOURNAL_UNUSABLE), detail);
        return;
    case LOOP_NOTE_JOURNAL_HELD:
        snprintf(buf, len, text(lang, T_NOTE_JOURNAL_HELD), journal_reason(lang, m), detail, order);
        return;
    case LOOP_NOTE_JOURNAL_BACK: snprintf(buf, len, text(lang, T_NOTE_JOURNAL_BACK), order); return;
    case LOOP_NOTE_NOT_SENT: snprintf(buf, len, text(lang, T_NOTE_NOT_SENT), order); return;
    case LOOP_NOTE_RECOVER_FAILED:
        snprintf(buf, len, text(lang, T_NOTE_RECOVER_FAILED), journal_reason(lang, m));
        return;
    case LOOP_NOTE_RECOVER_NO_MEMORY:
        snprintf(buf, len, "%s", text(lang, T_NOTE_RECOVER_NO_MEMORY));
        return;
    case LOOP_NOTE_RESUMING:
        snprintf(buf, len, text(lang, m->count == 1 ? T_NOTE_RESUMING_ONE : T_NOTE_RESUMING),
                 m->count);
        return;
    case LOOP_NOTE_NO_JOURNAL: snprintf(buf, len, text(lang, T_NOTE_NO_JOURNAL), detail); return;
    case LOOP_NOTE_BUSY: snprintf(buf, len, "%s", text(lang, T_NOTE_BUSY)); return;
    case LOOP_NOTE_BAD_AMOUNT:
        snprintf(buf, len, text(lang, T_NOTE_BAD_AMOUNT), text_money_reason(lang, m->money));
        return;
    case LOOP_NOTE_JOURNAL_STUCK:
        snprintf(buf, len, "%s", text(lang, T_NOTE_JOURNAL_STUCK));
        return;
    case LOOP_NOTE_ORDER_SEQ_FAILED:
        snprintf(buf, len, text(lang, T_NOTE_ORDER_SEQ_FAILED), journal_reason(lang, m), detail);
        return;
    case LOOP_NOTE_BAD_TERMINAL_ID:
        snprintf(buf, len, text(lang, T_NOTE_BAD_TERMINAL_ID), detail);
        return;
    case LOOP_NOTE_NO_MEMORY: snprintf(buf, len, "%s", text(lang, T_NOTE_NO_MEMORY)); return;
    case LOOP_NOTE_BAD_SCAN:
        snprintf(buf, len, text(lang, T_NOTE_BAD_SCAN), text_paycode_reason(lang, m->paycode));
        return;
    case LOOP_NOTE_SCAN_WHILE_BUSY:
        snprintf(buf, len, text(lang, T_NOTE_SCAN_WHILE_BUSY), code);
        return;
    case LOOP_NOTE_SCAN_BEFORE_AMOUNT:
        snprintf(buf, len, text(lang, T_NOTE_SCAN_BEFORE_AMOUNT), code);
        return;
    case LOOP_NOTE_CHANNEL_OFF:
        snprintf(buf, len, text(lang, T_NOTE_CHANNEL_OFF), text_channel(lang, m->channel));
        return;
    case LOOP_NOTE_REFUND_NO_JOURNAL:
        snprintf(buf, len, text(lang, T_NOTE_REFUND_NO_JOURNAL), detail);
        return;
    case LOOP_NOTE_REFUND_NO_ORDER:
        snprintf(buf, len, text(lang, T_NOTE_REFUND_NO_ORDER), order);
        return;
    case LOOP_NOTE_REFUND_JOURNAL:
        snprintf(buf, len, text(lang, T_NOTE_REFUND_JOURNAL), journal_reason(lang, m));
        return;
    case LOOP_NOTE_REFUND_NOT_PAID:
        snprintf(buf, len, text(lang, T_NOTE_REFUND_NOT_PAID), order, state_words(lang, m->state));
        return;
    case LOOP_NOTE_REFUND_ABOVE:
        snprintf(buf, len, text(lang, T_NOTE_REFUND_ABOVE), money_format(m->amount_fen, money));
        return;
    case LOOP_NOTE_REFUND_TOO_MANY:
        snprintf(buf, len, text(lang, T_NOTE_REFUND_TOO_MANY), order);
        return;
    case LOOP_NOTE_REFUND_REFUSED:
        snprintf(buf, len, text(lang, T_NOTE_REFUND_REFUSED), text_engine_reason(lang, m->engine));
        return;
    case LOOP_NOTE_NOT_RECOVERED:
        snprintf(buf, len, "%s", text(lang, T_NOTE_NOT_RECOVERED));
        return;
    case LOOP_NOTE_RECOVERED: snprintf(buf, len, "%s", text(lang, T_NOTE_RECOVERED)); return;
    case LOOP_NOTE_CLOCK_WRONG:
        snprintf(
            buf, len,
            text(lang, strcmp(detail, "behind") == 0 ? T_NOTE_CLOCK_BEHIND : T_NOTE_CLOCK_AHEAD),
            m->count);
        return;
    case LOOP_NOTE_REFUND_UNDER_WAY:
        snprintf(buf, len, text(lang, T_NOTE_REFUND_UNDER_WAY), order,
                 money_format(m->amount_fen, money));
        return;
    case LOOP_NOTE_REFUND_KEY_SEEN:
        snprintf(buf, len, text(lang, T_NOTE_REFUND_KEY_SEEN), order,
                 money_format(m->amount_fen, money), detail);
        return;
    case LOOP_NOTE_REFUND_KEY_OTHER:
        snprintf(buf, len, text(lang, T_NOTE_REFUND_KEY_OTHER), order,
                 money_format(m->amount_fen, money));
        return;
    case LOOP_NOTE_REFERRED: snprintf(buf, len, text(lang, T_NOTE_REFERRED), order, detail); return;
    case LOOP_NOTE_JOURNAL_COPIED:
        snprintf(buf, len, text(lang, T_NOTE_JOURNAL_COPIED), detail);
        return;
    case LOOP_NOTE_JOURNAL_DAMAGED:
        snprintf(buf, len, text(lang, T_NOTE_JOURNAL_DAMAGED), detail);
        return;
    case LOOP_NOTE__COUNT: break;
    }
    /* Not a note this table knows: the loop's English is better than nothing. */
    snprintf(buf, len, "%s", m->text ? m->text : "");
}
