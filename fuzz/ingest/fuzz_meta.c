/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the Meta way in (signature check over the raw bytes and
 * meta_parse_delivery: envelope, REPORT validation, normalisation). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "meta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct item_list l = {0};
        char code[32], detail[256];
        (void)meta_verify_signature("fuzz-secret", data, size, "sha256=00");
        meta_parse_delivery((const char *)data, size, "meta", 1764752710000000LL, &l, code,
                            sizeof(code), detail, sizeof(detail));
        for (size_t i = 0; i < l.n; i++) {
                /* what the writer serialises must always serialise */
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
