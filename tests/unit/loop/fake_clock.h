/*
 * fake_clock.h - the loop's clocks for its unit tests: both stand still until a test moves them,
 * so a 90-second payment window passes in one call.
 */
#ifndef POSTERM_TEST_FAKE_CLOCK_H
#define POSTERM_TEST_FAKE_CLOCK_H

#include <stdint.h>

#include "loop.h"

struct fake_clock {
    int64_t mono, wall; /* ms */
};

static inline int64_t fake_mono(void *ctx)
{
    return ((struct fake_clock *)ctx)->mono;
}

static inline int64_t fake_wall(void *ctx)
{
    return ((struct fake_clock *)ctx)->wall;
}

/* Both clocks move on by ms, as they do when time passes. */
static inline void advance(struct fake_clock *c, int64_t ms)
{
    c->mono += ms;
    c->wall += ms;
}

/* The loop_clock that reads c. */
static inline struct loop_clock fake_clock_of(struct fake_clock *c)
{
    return (struct loop_clock){fake_mono, fake_wall, c};
}

#endif
