/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the Google and YouTube Pub/Sub push way in (envelope,
 * base64, payload validation). The first byte picks the endpoint. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "pubsub.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size < 1)
                return 0;
        enum pubsub_kind k = (data[0] & 1) ? PUBSUB_YOUTUBE : PUBSUB_GOOGLE;
        struct item_list l = {0};
        char code[32], detail[256], mid[64];
        pubsub_parse_delivery(k, (const char *)data + 1, size - 1, 1, &l, mid, sizeof(mid), code,
                              sizeof(code), detail, sizeof(detail));
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
