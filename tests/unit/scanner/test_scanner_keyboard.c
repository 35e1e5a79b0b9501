/*
 * test_scanner_keyboard.c - the keyboard-mode decoder fed with boot report sequences.
 *
 * Reports are built here from a usage table written out independently of keymap.c, so a
 * wrong entry in the driver's table shows up as a wrong character, not as agreement.
 */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "kbd_decoder.h"
#include "keymap.h"
#include "scan_events.h"

static int64_t clock_ms;

/* US layout: usage and Shift for one character (HID Usage Tables, page 0x07). */
static int us_usage(char c, uint8_t *mods)
{
    static const char shifted_digits[] = ")!@#$%^&*(";
    *mods = 0;
    if (c >= 'a' && c <= 'z')
        return 0x04 + (c - 'a');
    if (c >= 'A' && c <= 'Z') {
        *mods = KEYMOD_LSHIFT;
        return 0x04 + (c - 'A');
    }
    if (c >= '1' && c <= '9')
        return 0x1E + (c - '1');
    if (c == '0')
        return 0x27;
    const char *p = strchr(shifted_digits, c);
    if (p && c) {
        *mods = KEYMOD_LSHIFT;
        return p == shifted_digits ? 0x27 : 0x1E + (int)(p - shifted_digits) - 1;
    }
    switch (c) {
    case ' ': return 0x2C;
    case '-': return 0x2D;
    case '=': return 0x2E;
    case '[': return 0x2F;
    case ']': return 0x30;
    case '\\': return 0x31;
    case ';': return 0x33;
    case '\'': return 0x34;
    case '`': return 0x35;
    case ',': return 0x36;
    case '.': return 0x37;
    case '/': return 0x38;
    case '_': *mods = KEYMOD_RSHIFT; return 0x2D;
    case '+': *mods = KEYMOD_LSHIFT; return 0x2E;
    case ':': *mods = KEYMOD_LSHIFT; return 0x33;
    case '?': *mods = KEYMOD_LSHIFT; return 0x38;
    }
    return -1;
}

static void report(struct kbd_decoder *d, uint8_t mods, uint8_t k0, uint8_t k1)
{
    uint8_t r[8] = {mods, 0, k0, k1, 0, 0, 0, 0};
    clock_ms += 2;
    kbd_decoder_report(d, r, sizeof r, clock_ms);
}

static void key(struct kbd_decoder *d, uint8_t mods, uint8_t usage)
{
    report(d, mods, usage, 0);
    report(d, 0, 0, 0);
}

static void type_us(struct kbd_decoder *d, const char *s)
{
    for (; *s; s++) {
        uint8_t mods;
        int u = us_usage(*s, &mods);
        CHECK(u > 0);
        key(d, mods, (uint8_t)u);
    }
}

static void init(struct kbd_decoder *d, struct scan_events *ev, enum scan_layout layout,
                 enum scan_suffix suffix)
{
    memset(ev, 0, sizeof *ev);
    kbd_decoder_init(d, layout, suffix, 100, 48, scan_events_sink, ev);
}

static void every_character_us(void)
{
    struct kbd_decoder d;
    struct scan_events ev;
    const char *texts[] = {"0123456789", "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                           "!@#$%^&*()", "-=[]\\;',./`_+:? "};
    init(&d, &ev, SCAN_LAYOUT_US, SCAN_SUFFIX_ENTER);
    for (int i = 0; i < 5; i++) {
        type_us(&d, texts[i]);
        key(&d, 0, KEY_USAGE_ENTER);
    }
    CHECK_EQ_INT(ev.n, 5);
    for (int i = 0; i < 5 && i < ev.n; i++) {
        CHECK(ev.ev[i].ok);
        CHECK_EQ_STR(ev.ev[i].text, texts[i]);
    }
}

static void repeated_digits_need_a_release(void)
{
    struct kbd_decoder d;
    struct scan_events ev;
    init(&d, &ev, SCAN_LAYOUT_US, SCAN_SUFFIX_ENTER);
    type_us(&d, "134400009999");
    key(&d, 0, KEY_USAGE_ENTER);
    /* A key still down in the next report is held, not typed again. */
    report(&d, 0, 0x1F, 0);
    report(&d, 0, 0x1F, 0);
    report(&d, 0, 0x1F, 0);
    report(&d, 0, 0, 0);
    key(&d, 0, KEY_USAGE_ENTER);
    CHECK_EQ_INT(ev.n, 2);
    CHECK_EQ_STR(ev.ev[0].text, "134400009999");
    CHECK_EQ_STR(ev.ev[1].text, "2");
}

static void rollover_types_each_new_key_once(void)
{
    struct kbd_decoder d;
    struct scan_events ev;
    init(&d, &ev, SCAN_LAYOUT_US, SCAN_SUFFIX_ENTER);
    report(&d, 0, 0x1E, 0);    /* 1 down */
    report(&d, 0, 0x1E, 0x1F); /* 2 down while 1 held */
    report(&d, 0, 0x1F, 0);    /* 1 up */
    report(&d, 0, 0x1F, 0x20); /* 3 down */
    report(&d, 0, 0x20, 0x1E); /* 1 down again: it was released in between */
    report(&d, 0, 0x28, 0);    /* Enter */
    report(&d, 0, 0, 0);
    CHECK_EQ_INT(ev.n, 1);
    CHECK_EQ_STR(ev.ev[0].text, "1231");
    /* Two new keys in one report: array order. */
    report(&d, 0, 0x22, 0x23);
    report(&d, 0, 0, 0);
    key(&d, 0, KEY_USAGE_ENTER);
    CHECK_EQ_INT(ev.n, 2);
    CHECK_EQ_STR(ev.ev[1].text, "56");
    /* Phantom state (ErrorRollOver in every slot) says nothing; the held key stays held. */
    report(&d, 0, 0x24, 0);
    uint8_t phantom[8] = {0, 0, 1, 1, 1, 1, 1, 1};
    kbd_decoder_report(&d, phantom, 8, clock_ms);
    report(&d, 0, 0x24, 0);
    report(&d, 0, 0, 0);
    key(&d, 0, KEY_USAGE_ENTER);
    CHECK_EQ_INT(ev.n, 3);
    CHECK_EQ_STR(ev.ev[2].text, "7");
}

static void shift_variants(void)
{
    struct kbd_decoder d;
    struct scan_events ev;
    init(&d, &ev, SCAN_LAYOUT_US, SCAN_SUFFIX_ENTER);
    /* Right Shift bit; Shift listed as a key (0xE1) instead of a bit. */
    key(&d, KEYMOD_RSHIFT, 0x04);
    report(&d, 0, 0xE1, 0x05);
    report(&d, 0, 0, 0);
    key(&d, 0, 0x06);
    /* Caps Lock flips letters, not digits. */
    key(&d, 0, KEY_USAGE_CAPS_LOCK);
    key(&d, 0, 0x07);
    key(&d, KEYMOD_LSHIFT, 0x08);
    key(&d, 0, 0x1E);
    key(&d, 0, KEY_USAGE_CAPS_LOCK);
    key(&d, 0, 0x09);
    key(&d, 0, KEY_USAGE_ENTER);
    CHECK_EQ_INT(ev.n, 1);
    CHECK_EQ_STR(ev.ev[0].text, "ABcDe1f");
}

static void suffixes(void)
{
    struct kbd_decoder d;
    struct scan_events ev;

    init(&d, &ev, SCAN_LAYOUT_US, SCAN_SUFFIX_ENTER);
    type_us(&d, "123");
    key(&d, 0, KEY_USAGE_KP_ENTER); /* keypad Enter ends a code as well */
    type_us(&d, "456");
    key(&d, 0, KEY_USAGE_TAB); /* wrong suffix: the code is spoiled, not delivered */
    type_us(&d, "789");
    key(&d, 0, KEY_USAGE_ENTER);
    key(&d, 0, KEY_USAGE_ENTER); /* lone Enter: noise, nothing */
    CHECK_EQ_INT(ev.n, 3);
    CHECK(ev.ev[0].ok && strcmp(ev.ev[0].text, "123") == 0);
    CHECK(!ev.ev[1].ok && strstr(ev.ev[1].reason, "Tab") != NULL);
    CHECK(ev.ev[2].ok && strcmp(ev.ev[2].text, "789") == 0);

    init(&d, &ev, SCAN_LAYOUT_US, SCAN_SUFFIX_TAB);
    type_us(&d, "2468");
    key(&d, 0, KEY_USAGE_TAB);
    key(&d, 0, KEY_USAGE_ENTER); /* Enter after the Tab, between codes: ignored */
    type_us(&d, "1357");
    key(&d, 0, KEY_USAGE_TAB);
    CHECK_EQ_INT(ev.n, 2);
    CHECK_EQ_STR(ev.ev[0].text, "2468");
    CHECK_EQ_STR(ev.ev[1].text, "1357");

    /* No suffix: the pause ends the code, and not a moment before. */
    init(&d, &ev, SCAN_LAYOUT_US, SCAN_SUFFIX_NONE);
    type_us(&d, "13579");
    int64_t last_press = clock_ms - 2; /* the release report after it does not count */
    CHECK_EQ_INT(kbd_decoder_deadline(&d), last_press + 100);
    kbd_decoder_tick(&d, last_press + 99);
    CHECK_EQ_INT(ev.n, 0);
    kbd_decoder_tick(&d, last_press + 100);
    CHECK_EQ_INT(ev.n, 1);
    CHECK(ev.ev[0].ok);
    CHECK_EQ_STR(ev.ev[0].text, "13579");
    CHECK_EQ_INT(kbd_decoder_deadline(&d), -1);
    /* A report arriving late ends the previous code before it starts the next. */
    type_us(&d, "11");
    clock_ms += 500;
    type_us(&d, "22");
    clock_ms += 500;
    kbd_decoder_tick(&d, clock_ms);
    CHECK_EQ_INT(ev.n, 3);
    CHECK_EQ_STR(ev.ev[1].text, "11");
    CHECK_EQ_STR(ev.ev[2].text, "22");
}

static void gap_drops_a_half_code(void)
{
    struct kbd_decoder d;
    struct scan_events ev;
    init(&d, &ev, SCAN_LAYOUT_US, SCAN_SUFFIX_ENTER);
    type_us(&d, "1345678");
    kbd_decoder_tick(&d, clock_ms + 150);
    CHECK_EQ_INT(ev.n, 1);
    CHECK(!ev.ev[0].ok);
    CHECK(strstr(ev.ev[0].reason, "cut off") != NULL);
    clock_ms += 150;
    type_us(&d, "134567890123456789");
    key(&d, 0, KEY_USAGE_ENTER);
    CHECK_EQ_INT(ev.n, 2);
    CHECK(ev.ev[1].ok);
    CHECK_EQ_STR(ev.ev[1].text, "134567890123456789");
    /* The half code may also be followed straight by the next scan after the pause. */
    type_us(&d, "99");
    clock_ms += 300;
    type_us(&d, "281234567890123456");
    key(&d, 0, KEY_USAGE_ENTER);
    CHECK_EQ_INT(ev.n, 4);
    CHECK(!ev.ev[2].ok);
    CHECK(ev.ev[3].ok);
    CHECK_EQ_STR(ev.ev[3].text, "281234567890123456");
}

static void azerty(void)
{
    struct kbd_decoder d;
    struct scan_events ev;
    init(&d, &ev, SCAN_LAYOUT_AZERTY, SCAN_SUFFIX_ENTER);
    /* Digits are the shifted level of the top row on AZERTY. */
    for (int u = 0x1E; u <= 0x27; u++)
        key(&d, KEYMOD_LSHIFT, (uint8_t)u);
    key(&d, 0, KEY_USAGE_ENTER);
    /* Unshifted top row: & " ' ( - _ ; letters moved: usage of US 'q' types 'a' and so on. */
    key(&d, 0, 0x1E);
    key(&d, 0, 0x20);
    key(&d, 0, 0x21);
    key(&d, 0, 0x22);
    key(&d, 0, 0x23);
    key(&d, 0, 0x25);
    key(&d, 0, 0x14);
    key(&d, 0, 0x04);
    key(&d, 0, 0x1A);
    key(&d, 0, 0x1D);
    key(&d, 0, 0x33);
    key(&d, KEYMOD_LSHIFT, 0x33);
    key(&d, 0, 0x10);
    key(&d, 0, 0x36);
    key(&d, KEYMOD_RALT, 0x27);
    key(&d, KEYMOD_RALT, 0x20);
    key(&d, 0, 0x38);
    key(&d, 0, KEY_USAGE_ENTER);
    /* é (unshifted 2) is not ASCII: the code is dropped. */
    key(&d, 0, 0x1F);
    key(&d, 0, KEY_USAGE_ENTER);
    CHECK_EQ_INT(ev.n, 3);
    CHECK_EQ_STR(ev.ev[0].text, "1234567890");
    CHECK_EQ_STR(ev.ev[1].text, "&\"'(-_aqzwmM,;@#!");
    CHECK(!ev.ev[2].ok);
    /* The same digits typed as on a US keyboard mean something else on AZERTY. */
    init(&d, &ev, SCAN_LAYOUT_US, SCAN_SUFFIX_ENTER);
    for (int u = 0x1E; u <= 0x27; u++)
        key(&d, KEYMOD_LSHIFT, (uint8_t)u);
    key(&d, 0, KEY_USAGE_ENTER);
    CHECK_EQ_STR(ev.ev[0].text, "!@#$%^&*()");
}

static void keypad_digits_on_every_layout(void)
{
    struct kbd_decoder d;
    struct scan_events ev;
    for (int layout = SCAN_LAYOUT_US; layout <= SCAN_LAYOUT_AZERTY; layout++) {
        init(&d, &ev, (enum scan_layout)layout, SCAN_SUFFIX_ENTER);
        for (int u = 0x59; u <= 0x62; u++)
            key(&d, 0, (uint8_t)u);
        key(&d, 0, KEY_USAGE_KP_ENTER);
        CHECK_EQ_INT(ev.n, 1);
        CHECK_EQ_STR(ev.ev[0].text, "1234567890");
    }
}

static void garbage_is_dropped_and_the_next_scan_works(void)
{
    struct kbd_decoder d;
    struct scan_events ev;
    init(&d, &ev, SCAN_LAYOUT_US, SCAN_SUFFIX_ENTER);
    type_us(&d, "12");
    key(&d, 0, 0x3A); /* F1 */
    type_us(&d, "34");
    key(&d, 0, KEY_USAGE_ENTER);
    type_us(&d, "5");
    key(&d, KEYMOD_LCTRL, 0x06); /* Ctrl-C is a command, not data */
    key(&d, 0, KEY_USAGE_ENTER);
    key(&d, KEYMOD_LALT, 0x1E);
    key(&d, 0, KEY_USAGE_ENTER);
    uint8_t short_report[1] = {0};
    kbd_decoder_report(&d, short_report, 1, clock_ms);
    uint8_t long_report[12] = {0, 0, 0x1E, 0, 0, 0, 0, 0, 0x1F, 0x20, 0x21, 0x22};
    kbd_decoder_report(&d, long_report, sizeof long_report, ++clock_ms);
    report(&d, 0, 0, 0);
    key(&d, 0, KEY_USAGE_ENTER);
    type_us(&d, "134567890123456789");
    key(&d, 0, KEY_USAGE_ENTER);
    CHECK_EQ_INT(ev.n, 5);
    CHECK(!ev.ev[0].ok && strstr(ev.ev[0].reason, "printable") != NULL);
    CHECK(!ev.ev[1].ok);
    CHECK(!ev.ev[2].ok);
    CHECK(ev.ev[3].ok);
    CHECK_EQ_STR(ev.ev[3].text, "1"); /* bytes past the 8th are not keys */
    CHECK(ev.ev[4].ok);
    CHECK_EQ_STR(ev.ev[4].text, "134567890123456789");
}

static void truncation(void)
{
    struct kbd_decoder d;
    struct scan_events ev;
    memset(&ev, 0, sizeof ev);
    kbd_decoder_init(&d, SCAN_LAYOUT_US, SCAN_SUFFIX_ENTER, 100, 18, scan_events_sink, &ev);
    type_us(&d, "1345678901234567890");
    key(&d, 0, KEY_USAGE_ENTER);
    type_us(&d, "134567890123456789");
    key(&d, 0, KEY_USAGE_ENTER);
    CHECK_EQ_INT(ev.n, 2);
    CHECK(!ev.ev[0].ok && strcmp(ev.ev[0].reason, "too long") == 0);
    CHECK(ev.ev[1].ok);
    CHECK_EQ_STR(ev.ev[1].text, "134567890123456789");
    /* max_len above SCAN_CODE_MAX is held to it */
    kbd_decoder_init(&d, SCAN_LAYOUT_US, SCAN_SUFFIX_ENTER, 100, 1000, scan_events_sink, &ev);
    for (int i = 0; i < SCAN_CODE_MAX + 5; i++)
        key(&d, 0, 0x1E);
    key(&d, 0, KEY_USAGE_ENTER);
    CHECK_EQ_INT(ev.n, 3);
    CHECK(!ev.ev[2].ok);
}

static void reset_drops_the_code_in_progress(void)
{
    struct kbd_decoder d;
    struct scan_events ev;
    init(&d, &ev, SCAN_LAYOUT_US, SCAN_SUFFIX_ENTER);
    report(&d, 0, 0x1E, 0);
    kbd_decoder_reset(&d, "scanner unplugged");
    CHECK_EQ_INT(ev.n, 1);
    CHECK_EQ_STR(ev.ev[0].reason, "scanner unplugged");
    /* The key that was down before the unplug types again after it. */
    report(&d, 0, 0x1E, 0);
    key(&d, 0, KEY_USAGE_ENTER);
    CHECK_EQ_INT(ev.n, 2);
    CHECK_EQ_STR(ev.ev[1].text, "1");
}

int main(void)
{
    every_character_us();
    repeated_digits_need_a_release();
    rollover_types_each_new_key_once();
    shift_variants();
    suffixes();
    gap_drops_a_half_code();
    azerty();
    keypad_digits_on_every_layout();
    garbage_is_dropped_and_the_next_scan_works();
    truncation();
    reset_drops_the_code_in_progress();
    return check_done();
}
