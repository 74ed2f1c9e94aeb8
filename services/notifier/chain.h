/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file chain.h
 * @brief The escalation chain as values: which jurisdiction of a lead's chain
 *        (the lead, then its parents up to the revenue district) answers an
 *        escalation level, and who of that jurisdiction and level is on duty.
 *        Duty windows follow the router's rule (services/router/README.md,
 *        "Duty windows"): IST, days "mon-fri" / "sat,sun" / "fri-mon",
 *        hours "HH:MM-HH:MM" start inside, end outside, a night shift belongs
 *        to the day it starts; off-duty rows are skipped only when another row
 *        of the same jurisdiction and level is on duty.
 */
#ifndef PRAHARI_NOTIFIER_CHAIN_H
#define PRAHARI_NOTIFIER_CHAIN_H
#include <stdbool.h>
#include <stddef.h>

#define CHAIN_SCC "STATE_COMMAND_CENTRE"

/** A parsed duty window. */
struct duty {
        unsigned days;  /* bit 0 = Monday .. bit 6 = Sunday; 0x7f = every day */
        int start, end; /* minutes of the IST day; start == end: all day */
};

/**
 * @brief Parse @p days / @p hours (NULL or "" = no restriction) into @p out.
 * @returns true, or false with @p out set to "always" (an invalid window
 * never hides a recipient: the directory import rejects them anyway).
 */
bool duty_parse(const char *days, const char *hours, struct duty *out);

/** @brief Is a row with window @p w on duty at Unix time @p now? */
bool duty_on(const struct duty *w, long long now);

/** One directory row as the escalation sees it (strings not owned). */
struct chain_row {
        const char *jurisdiction;
        int level;
        struct duty duty;
};

/**
 * @brief The jurisdiction that answers escalation level @p level of the
 * chain @p chain (the lead first, then its parents; STATE_COMMAND_CENTRE
 * entries are ignored): the most specific one with a row at that level. A
 * police jurisdiction's own levels come first and its parent's next levels
 * follow once they are exhausted.
 * @returns the index into @p chain, or -1 when no jurisdiction of the chain
 * has that level (the chain ended: the state command centre is next).
 */
int chain_pick(const char *const *chain, size_t nchain, const struct chain_row *rows, size_t nrows,
               int level);

/**
 * @brief The rows of @p jurisdiction at @p level to notify at @p now:
 * those on duty, or all of them when none is (a level is never left empty).
 * Writes their indexes into @p idx (at most @p max). @returns the count.
 */
size_t chain_select(const struct chain_row *rows, size_t nrows, const char *jurisdiction,
                    int level, long long now, size_t *idx, size_t max);

/** @brief The lowest level of @p jurisdiction in @p rows, or 0 if none. */
int chain_min_level(const struct chain_row *rows, size_t nrows, const char *jurisdiction);

#endif
