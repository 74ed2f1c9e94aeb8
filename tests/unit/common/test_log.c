/* SPDX-License-Identifier: Apache-2.0 */
/* log.h: JSON escaping (table), and real log lines written to a file parsed
 * back with jansson: fields, level threshold, long messages, and lines from
 * several threads that never interleave. */
#include "prahari/log.h"
#include "prahari/util.h"
#include "testutil.h"

#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

static void test_escape(void)
{
        static const struct {
                const char *in, *out;
        } rows[] = {
                {"plain", "plain"},
                {"a\"b", "a\\\"b"},
                {"back\\slash", "back\\\\slash"},
                {"line\nbreak\r\ttab", "line\\nbreak\\r\\ttab"},
                {"\x01\x1f\x7f", "\\u0001\\u001f\\u007f"},
                {"कोटा", "कोटा"},
                {"bad\xff byte", "bad\\ufffd byte"},
                {"overlong\xc0\xaf", "overlong\\ufffd\\ufffd"},
                {"surrogate\xed\xa0\x80!", "surrogate\\ufffd\\ufffd\\ufffd!"},
                {"cut\xe2\x82", "cut\\ufffd\\ufffd"},
                {"", ""},
        };
        for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
                char *e = log_json_escape(rows[i].in);
                CHECK_STR(e, rows[i].out);
                /* and the escaped text is a JSON string that decodes back */
                size_t n = strlen(e) + 3;
                char *js = malloc(n);
                snprintf(js, n, "\"%s\"", e);
                json_t *v = json_loads(js, JSON_DECODE_ANY, NULL);
                CHECK_MSG(json_is_string(v), "row %zu does not parse", i);
                if (util_utf8_valid(rows[i].in, strlen(rows[i].in)) && v)
                        CHECK_STR(json_string_value(v), rows[i].in);
                json_decref(v);
                free(js);
                free(e);
        }
}

static char g_path[] = "/tmp/prahari-log-test-XXXXXX";

/* All lines written so far, parsed; each must be a JSON object. */
static json_t *read_lines(void)
{
        size_t len = 0;
        char *text = util_read_file(g_path, &len);
        json_t *arr = json_array();
        if (!text)
                return arr;
        char *p = text;
        while (*p) {
                char *nl = strchr(p, '\n');
                CHECK(nl != NULL); /* every line ends in a newline */
                if (!nl)
                        break;
                json_error_t je;
                json_t *o = json_loadb(p, (size_t)(nl - p), 0, &je);
                CHECK_MSG(json_is_object(o), "bad line: %.*s (%s)", (int)(nl - p), p, je.text);
                if (o)
                        json_array_append_new(arr, o);
                p = nl + 1;
        }
        free(text);
        return arr;
}

static void *thread_logger(void *arg)
{
        long id = (long)arg;
        for (int i = 0; i < 300; i++)
                log_info("thread %ld line %d \"quoted\" %s", id, i,
                         "padding-padding-padding-padding-padding-padding-padding-padding");
        return NULL;
}

static void test_lines(void)
{
        int fd = mkstemp(g_path);
        CHECK(fd >= 0);
        setenv("PRAHARI_LOG_LEVEL", "info", 1);
        log_init("common-test");
        log_set_fd(fd);

        log_debug("hidden %d", 1);
        log_alert(LOG_WARN, "0b6f5c1e-8d7a-4c3b-9f2e-1a2b3c4d5e6f",
                  "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "said \"%s\"\n",
                  "hi");
        log_error("plain error");
        json_t *arr = read_lines();
        CHECK_INT(json_array_size(arr), 2);
        json_t *a = json_array_get(arr, 0);
        CHECK_STR(json_string_value(json_object_get(a, "level")), "warn");
        CHECK_STR(json_string_value(json_object_get(a, "svc")), "common-test");
        CHECK_STR(json_string_value(json_object_get(a, "alert_id")),
                  "0b6f5c1e-8d7a-4c3b-9f2e-1a2b3c4d5e6f");
        CHECK_STR(json_string_value(json_object_get(a, "traceparent")),
                  "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        CHECK_STR(json_string_value(json_object_get(a, "msg")), "said \"hi\"\n");
        int64_t ts = 0;
        const char *tss = json_string_value(json_object_get(a, "ts"));
        CHECK(tss && util_parse_rfc3339(tss, &ts) == 0);
        CHECK(llabs(util_now_us() - ts) < 60LL * 1000000);
        CHECK(tss && strlen(tss) == 24 && tss[23] == 'Z');
        json_t *b = json_array_get(arr, 1);
        CHECK_STR(json_string_value(json_object_get(b, "level")), "error");
        CHECK(json_object_get(b, "alert_id") == NULL);
        json_decref(arr);

        log_set_level(LOG_DEBUG);
        log_debug("now visible");
        /* A message far longer than the limit is cut but stays one valid line. */
        char *big = malloc(40000);
        memset(big, 'x', 39999);
        big[39999] = '\0';
        log_info("%s", big);
        free(big);
        arr = read_lines();
        CHECK_INT(json_array_size(arr), 4);
        CHECK_STR(json_string_value(json_object_get(json_array_get(arr, 2), "msg")),
                  "now visible");
        const char *bm = json_string_value(json_object_get(json_array_get(arr, 3), "msg"));
        CHECK(bm && strlen(bm) == 16 * 1024 - 1);
        CHECK(bm && strcmp(bm + strlen(bm) - 3, "...") == 0);
        json_decref(arr);

        /* 4 threads x 300 lines: every line intact */
        CHECK(ftruncate(fd, 0) == 0);
        CHECK(lseek(fd, 0, SEEK_SET) == 0);
        pthread_t t[4];
        for (long i = 0; i < 4; i++)
                pthread_create(&t[i], NULL, thread_logger, (void *)i);
        for (int i = 0; i < 4; i++)
                pthread_join(t[i], NULL);
        arr = read_lines();
        CHECK_INT(json_array_size(arr), 1200);
        json_decref(arr);

        log_set_fd(-1);
        close(fd);
        unlink(g_path);
}

int main(void)
{
        test_escape();
        test_lines();
        return test_summary("common_log");
}
