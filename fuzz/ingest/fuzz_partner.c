/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the canonical way in (POST /v1/intake/alerts body as
 * sent by the authenticated partner "sharechat"). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "partner.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct item_list l = {0};
        char code[32], detail[256];
        partner_parse_delivery("sharechat", (const char *)data, size, 1, &l, code, sizeof(code),
                               detail, sizeof(detail));
        for (size_t i = 0; i < l.n; i++) {
                if (!l.v[i].quarantined) {
                        char *s = json_dumps(l.v[i].canonical, JSON_COMPACT);
                        if (!s)
                                abort();
                        free(s);
                }
        }
        item_list_free(&l);
        return 0;
}
