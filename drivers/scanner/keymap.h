/*
 * keymap.h - HID keyboard usages (page 0x07) to the characters a scanner meant to type.
 *
 * A scanner in keyboard mode sends key positions, not characters; what they mean depends on
 * the layout the scanner was set up for. The table is ours, never the host's, so a code reads
 * the same on every terminal. Only printable ASCII comes out: a key that would type anything
 * else (an accented letter, a function key, a dead key) yields 0 and the decoder drops the code.
 */
#ifndef POSTERM_KEYMAP_H
#define POSTERM_KEYMAP_H

#include <stdbool.h>
#include <stdint.h>

#include "scan_types.h"

/* Modifier bits of byte 0 of a boot keyboard report. */
#define KEYMOD_LCTRL  0x01
#define KEYMOD_LSHIFT 0x02
#define KEYMOD_LALT   0x04
#define KEYMOD_LGUI   0x08
#define KEYMOD_RCTRL  0x10
#define KEYMOD_RSHIFT 0x20
#define KEYMOD_RALT   0x40 /* AltGr on layouts that have it */
#define KEYMOD_RGUI   0x80

/* Usages the decoder treats as more than a character. */
#define KEY_USAGE_ERROR_ROLLOVER 0x01
#define KEY_USAGE_ENTER          0x28
#define KEY_USAGE_TAB            0x2B
#define KEY_USAGE_CAPS_LOCK      0x39
#define KEY_USAGE_KP_ENTER       0x58
#define KEY_USAGE_FIRST_MODIFIER 0xE0
#define KEY_USAGE_LAST_MODIFIER  0xE7

/* The character usage types under layout with modifiers held; caps_lock flips letters.
 * 0 when the key types no printable ASCII character. */
char keymap_char(enum scan_layout layout, uint8_t usage, uint8_t modifiers, bool caps_lock);

#endif
