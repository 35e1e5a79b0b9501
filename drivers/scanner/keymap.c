/*
 * keymap.c - usage-to-character tables for the US and French AZERTY layouts.
 *
 * Sources: USB HID Usage Tables, Keyboard/Keypad page 0x07; the French layout as drawn by
 * xkeyboard-config's symbols/fr ("basic" variant). Keypad keys type the same on every layout
 * (Num Lock on), which is why scanners set to "keypad emulation" work anywhere.
 */
#include "keymap.h"

#include <ctype.h>

struct key_chars {
    char plain, shifted;
};

/* US layout, usages 0x04..0x38 and 0x64. Letters are filled by rule below. */
static const struct key_chars us_keys[0x65] = {
    [0x1E] = {'1', '!'}, [0x1F] = {'2', '@'}, [0x20] = {'3', '#'},  [0x21] = {'4', '$'},
    [0x22] = {'5', '%'}, [0x23] = {'6', '^'}, [0x24] = {'7', '&'},  [0x25] = {'8', '*'},
    [0x26] = {'9', '('}, [0x27] = {'0', ')'}, [0x2C] = {' ', ' '},  [0x2D] = {'-', '_'},
    [0x2E] = {'=', '+'}, [0x2F] = {'[', '{'}, [0x30] = {']', '}'},  [0x31] = {'\\', '|'},
    [0x32] = {'#', '~'}, [0x33] = {';', ':'}, [0x34] = {'\'', '"'}, [0x35] = {'`', '~'},
    [0x36] = {',', '<'}, [0x37] = {'.', '>'}, [0x38] = {'/', '?'},  [0x64] = {'\\', '|'},
};

/* French AZERTY: digits need Shift; accented keys type nothing we accept (0). */
static const struct key_chars fr_keys[0x65] = {
    [0x1E] = {'&', '1'}, [0x1F] = {0, '2'},   [0x20] = {'"', '3'}, [0x21] = {'\'', '4'},
    [0x22] = {'(', '5'}, [0x23] = {'-', '6'}, [0x24] = {0, '7'},   [0x25] = {'_', '8'},
    [0x26] = {0, '9'},   [0x27] = {0, '0'},   [0x2C] = {' ', ' '}, [0x2D] = {')', 0},
    [0x2E] = {'=', '+'}, [0x2F] = {0, 0},     [0x30] = {'$', 0},   [0x31] = {'*', 0},
    [0x32] = {'*', 0},   [0x33] = {'m', 'M'}, [0x34] = {0, '%'},   [0x35] = {0, 0},
    [0x36] = {';', '.'}, [0x37] = {':', '/'}, [0x38] = {'!', 0},   [0x10] = {',', '?'},
    [0x64] = {'<', '>'},
};

/* French AltGr (right Alt) level: the ASCII symbols that live there. */
static const char fr_altgr[0x30] = {
    [0x1F] = '~',  [0x20] = '#', [0x21] = '{', [0x22] = '[', [0x23] = '|', [0x24] = '`',
    [0x25] = '\\', [0x26] = '^', [0x27] = '@', [0x2D] = ']', [0x2E] = '}',
};

static char keypad_char(uint8_t usage)
{
    static const char kp[] = "/*-+\0"
                             "1234567890.";
    if (usage >= 0x54 && usage <= 0x63 && usage != KEY_USAGE_KP_ENTER)
        return kp[usage - 0x54];
    return 0;
}

/* Which letter a letter key types: the layout moves a few of them. */
static char letter_char(enum scan_layout layout, uint8_t usage)
{
    char c = (char)('a' + (usage - 0x04));
    if (layout == SCAN_LAYOUT_AZERTY) {
        switch (c) {
        case 'a': return 'q';
        case 'q': return 'a';
        case 'w': return 'z';
        case 'z': return 'w';
        default: break;
        }
    }
    return c;
}

char keymap_char(enum scan_layout layout, uint8_t usage, uint8_t modifiers, bool caps_lock)
{
    bool shift = (modifiers & (KEYMOD_LSHIFT | KEYMOD_RSHIFT)) != 0;
    bool altgr = (modifiers & KEYMOD_RALT) != 0;

    /* Ctrl, left Alt or GUI turn a key into a command, never into data. */
    if (modifiers & (KEYMOD_LCTRL | KEYMOD_RCTRL | KEYMOD_LALT | KEYMOD_LGUI | KEYMOD_RGUI))
        return 0;
    if (keypad_char(usage))
        return altgr ? 0 : keypad_char(usage);
    if (altgr) {
        if (layout == SCAN_LAYOUT_AZERTY && usage < sizeof fr_altgr)
            return fr_altgr[usage];
        return 0;
    }
    /* On AZERTY the key where US has 'm' types ',' and 'm' moved to US ';' (table). */
    if (usage >= 0x04 && usage <= 0x1D && !(layout == SCAN_LAYOUT_AZERTY && usage == 0x10)) {
        char c = letter_char(layout, usage);
        return (shift != caps_lock) ? (char)toupper((unsigned char)c) : c;
    }
    if (usage < 0x65) {
        const struct key_chars *k =
            layout == SCAN_LAYOUT_AZERTY ? &fr_keys[usage] : &us_keys[usage];
        char c = shift ? k->shifted : k->plain;
        if (layout == SCAN_LAYOUT_AZERTY && c >= 'a' && c <= 'z' && shift != caps_lock)
            c = (char)toupper((unsigned char)c);
        return c;
    }
    return 0;
}
