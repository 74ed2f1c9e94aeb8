/* SPDX-License-Identifier: Apache-2.0 */
/* prahari-notifier: wiring only. Configuration, the loaded tables, and the
 * threads: the routed-topic consumer (this thread), the retry thread, the
 * escalation thread, the public HTTP server and the ops server. */
#include <curl/curl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "notifier.h"
#include "prahari/cfg.h"
#include "prahari/kafka.h"
#include "prahari/log.h"
#include "prahari/metrics.h"
#include "prahari/ops.h"
#include "prahari/pg.h"
#include "prahari/sig.h"
#include "prahari/stage.h"
#include "prahari/util.h"

#define O(f) offsetof(struct ncfg, f)

static const struct cfg_item items[] = {
        {"PRAHARI_NOTIFIER_PORT", CFG_PORT, O(port), "8084", 0, 0, 0,
         "Public HTTP: acknowledgement links, delivery reports, SMS replies."},
        {"PRAHARI_NOTIFIER_OPS_PORT", CFG_PORT, O(ops_port), "9104", 0, 0, 0,
         "/healthz, /readyz, /metrics."},
        {"PRAHARI_PUBLIC_URL", CFG_STR, O(public_url), NULL, CFG_REQUIRED, 0, 0,
         "Base URL of the public HTTP server as seen from a phone; part of the registered DLT text."},
        {"PRAHARI_LINK_KEYS_FILE", CFG_STR, O(link_keys_file), NULL, CFG_REQUIRED, 0, 0,
         "Link signing keys, one kid:secret per line; the first signs, all verify."},
        {"PRAHARI_LINK_TTL_S", CFG_INT, O(link_ttl_s), "604800", 0, 60, 31536000,
         "How long an acknowledgement link stays valid."},
        {"PRAHARI_DLT_TEMPLATES_FILE", CFG_STR, O(templates_file), PRAHARI_NOTIFIER_TEMPLATES, 0, 0, 0,
         "DLT template table (services/notifier/templates/dlt.json)."},
        {"PRAHARI_DISTRICTS_CSV", CFG_STR, O(districts_csv), NULL, 0, 0, 0,
         "Gazetteer CSV with Hindi district names (district,district_hi,...) for Hindi SMS; "
         "default $PRAHARI_GAZETTEER_DIR/rajasthan_districts_41.csv."},
        {"PRAHARI_SMS_PROVIDERS_FILE", CFG_STR, O(sms_providers_file), NULL, 0, 0, 0,
         "JSON array of SMS providers in failover order; overrides the PRAHARI_SMS_* single provider."},
        {"PRAHARI_SMS_URL", CFG_STR, O(sms_url), NULL, 0, 0, 0, "Single provider: gateway URL."},
        {"PRAHARI_SMS_TOKEN", CFG_STR, O(sms_token), NULL, CFG_SECRET, 0, 0,
         "Single provider: bearer token (json) or pin (form-get)."},
        {"PRAHARI_SMS_SENDER", CFG_STR, O(sms_sender), NULL, 0, 0, 0,
         "Single provider: sender id overriding the templates' (6 letters)."},
        {"PRAHARI_SMS_PROFILE", CFG_STR, O(sms_profile), "json", 0, 0, 0,
         "Single provider: json or form-get."},
        {"PRAHARI_SMS_USERNAME", CFG_STR, O(sms_username), NULL, 0, 0, 0,
         "Single provider: form-get username."},
        {"PRAHARI_SMS_TIMEOUT_MS", CFG_INT, O(sms_timeout_ms), "5000", 0, 100, 120000,
         "Single provider: whole-request timeout."},
        {"PRAHARI_SMS_MAX_PARTS", CFG_INT, O(sms_max_parts), "3", 0, 1, 10,
         "Most SMS parts one text may take (Hindi falls back to English beyond)."},
        {"PRAHARI_SMTP_URL", CFG_STR, O(smtp_url), NULL, CFG_REQUIRED, 0, 0,
         "smtp://host:port (with PRAHARI_SMTP_STARTTLS=1) or smtps://host:port."},
        {"PRAHARI_SMTP_STARTTLS", CFG_BOOL, O(smtp_starttls), "1", 0, 0, 0,
         "Require STARTTLS on smtp:// URLs."},
        {"PRAHARI_SMTP_CA_FILE", CFG_STR, O(smtp_ca_file), NULL, 0, 0, 0,
         "CA bundle for the SMTP server's certificate (default: system CAs)."},
        {"PRAHARI_SMTP_USER", CFG_STR, O(smtp_user), NULL, 0, 0, 0, "SMTP AUTH user (unset: no AUTH)."},
        {"PRAHARI_SMTP_PASSWORD", CFG_STR, O(smtp_password), NULL, CFG_SECRET, 0, 0,
         "SMTP AUTH password."},
        {"PRAHARI_SMTP_TIMEOUT_MS", CFG_INT, O(smtp_timeout_ms), "15000", 0, 100, 300000,
         "Whole SMTP transaction timeout."},
        {"PRAHARI_MAIL_FROM", CFG_STR, O(mail_from), NULL, CFG_REQUIRED, 0, 0,
         "Envelope sender and From address."},
        {"PRAHARI_MAIL_FROM_NAME", CFG_STR, O(mail_from_name), "Prahari Alerts", 0, 0, 0,
         "From display name."},
        {"PRAHARI_MAIL_INCLUDE_POST_TEXT", CFG_BOOL, O(mail_include_post_text), "0", 0, 0, 0,
         "Put the post text into the e-mail (only where the deployment allows it)."},
        {"PRAHARI_MAIL_HTML", CFG_BOOL, O(mail_html), "1", 0, 0, 0,
         "Add a text/html alternative to the text/plain body."},
        {"PRAHARI_ESCALATE_CRITICAL_S", CFG_INT, O(esc_critical_s), "300", 0, 1, 86400,
         "Escalation window for critical alerts."},
        {"PRAHARI_ESCALATE_HIGH_S", CFG_INT, O(esc_high_s), "900", 0, 1, 86400,
         "Escalation window for high alerts."},
        {"PRAHARI_ESCALATE_MEDIUM_S", CFG_INT, O(esc_medium_s), "3600", 0, 1, 86400,
         "Escalation window for medium alerts."},
        {"PRAHARI_NOTIFY_MAX_ATTEMPTS", CFG_INT, O(max_attempts), "8", 0, 1, 100,
         "Attempts per notification before it fails (and escalates); an SMS also needs "
         "PRAHARI_SMS_RETRY_MAX_S to have passed. A try while every SMS circuit is open is no "
         "attempt."},
        {"PRAHARI_SMS_RETRY_MAX_S", CFG_INT, O(sms_retry_max_s), "600", 0, 0, 86400,
         "An SMS that keeps failing is given up (and escalated) only once it is this old "
         "and PRAHARI_NOTIFY_MAX_ATTEMPTS is reached; 0: the attempts cap alone."},
        {"PRAHARI_RETRY_BASE_MS", CFG_INT, O(retry_base_ms), "1000", 0, 10, 600000,
         "Backoff base: retry n waits up to base*2^(n-1) (full jitter)."},
        {"PRAHARI_RETRY_CAP_MS", CFG_INT, O(retry_cap_ms), "60000", 0, 10, 3600000,
         "Backoff cap."},
        {"PRAHARI_SEND_LEASE_S", CFG_INT, O(send_lease_s), "30", 0, 5, 3600,
         "A row in sending is claimed again after this (crash recovery); above the send timeouts."},
        {"PRAHARI_CLOCK_OFFSET_S", CFG_DOUBLE, O(clock_offset_s), "0", 0, 0, 0,
         "Tests only: shift the notifier's clock (timers, links, rows) by this many seconds."},
        {"PRAHARI_RETRY_POLL_MS", CFG_INT, O(retry_poll_ms), "500", 0, 10, 60000,
         "How often the retry thread looks for due notifications."},
        {"PRAHARI_SENDER_THREADS", CFG_INT, O(sender_threads), "2", 0, 1, 32,
         "Threads that send e-mails and retries (the consumer sends the SMS itself)."},
        {"PRAHARI_ESCALATION_POLL_MS", CFG_INT, O(escalation_poll_ms), "1000", 0, 10, 60000,
         "How often the escalation thread looks for due timers."},
        {"PRAHARI_TOPIC_ROUTED", CFG_STR, O(topic_routed), "prahari.alerts.routed.v1", 0, 0, 0,
         "Topic consumed."},
        {"PRAHARI_TOPIC_DEADLETTER", CFG_STR, O(topic_deadletter), "prahari.alerts.deadletter.v1", 0,
         0, 0, "Dead-letter topic for unreadable routed messages."},
        {"PRAHARI_NOTIFIER_GROUP", CFG_STR, O(group), "prahari-notifier", 0, 0, 0,
         "Consumer group."},
        {"PRAHARI_SMS_CALLBACK_TOKEN", CFG_STR, O(dlr_token), NULL, CFG_SECRET, 0, 0,
         "If set, /v1/sms/dlr and /v1/sms/inbound require Authorization: Bearer <token>."},
};
#define NITEMS (sizeof items / sizeof items[0])

static struct notifier N;
static pthread_mutex_t wake_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake_cv = PTHREAD_COND_INITIALIZER;
static unsigned long wake_seq;

void notifier_wake(void)
{
        pthread_mutex_lock(&wake_mu);
        wake_seq++;
        pthread_cond_broadcast(&wake_cv);
        pthread_mutex_unlock(&wake_mu);
}

/* Wait until woken or @p ms passed (or a stop is requested). */
static void wait_wake(unsigned long *seen, long ms)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        long slice = ms > 200 ? 200 : ms;
        ts.tv_sec += slice / 1000;
        ts.tv_nsec += (slice % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&wake_mu);
        while (wake_seq == *seen && !sig_stop_requested()) {
                if (pthread_cond_timedwait(&wake_cv, &wake_mu, &ts) != 0)
                        break;
        }
        *seen = wake_seq;
        pthread_mutex_unlock(&wake_mu);
}
static struct kq_consumer *consumer;
static volatile int pg_ok;

static void sleep_ms(long ms)
{
        while (ms > 0 && !sig_stop_requested()) {
                long s = ms > 50 ? 50 : ms;
                struct timespec ts = {0, s * 1000000L};
                nanosleep(&ts, NULL);
                ms -= s;
        }
}

/* A sender thread: e-mails, retries, and rows a stopped process left. */
static void *sender_thread(void *arg)
{
        (void)arg;
        struct worker w;
        if (worker_init(&w, &N, "notifier-sender") != 0) {
                log_error("sender thread: cannot start");
                sig_request_stop();
                return NULL;
        }
        unsigned long seen = 0;
        while (!sig_stop_requested()) {
                int n = dispatch_due(&w, NULL, 0, 4, 0);
                pg_ok = n >= 0;
                if (n < 0)
                        sleep_ms(N.cfg.retry_poll_ms);
                else if (n == 0) /* woken for new rows, or poll for retries */
                        wait_wake(&seen, N.cfg.retry_poll_ms);
        }
        worker_close(&w);
        return NULL;
}

static void *escalation_thread(void *arg)
{
        (void)arg;
        struct worker w;
        if (worker_init(&w, &N, "notifier-escalation") != 0) {
                log_error("escalation thread: cannot start");
                sig_request_stop();
                return NULL;
        }
        struct metric *gauge = metrics_gauge("prahari_unacknowledged_alerts",
                                             "Open alerts that were notified and not yet "
                                             "acknowledged.",
                                             NULL);
        while (!sig_stop_requested()) {
                int n = escalate_pass(&w);
                long open = escalate_unacknowledged(&w);
                if (open >= 0)
                        metric_set(gauge, (double)open);
                if (n <= 0)
                        sleep_ms(N.cfg.escalation_poll_ms);
        }
        worker_close(&w);
        return NULL;
}

static bool ready(void *ctx)
{
        (void)ctx;
        return consumer && kq_consumer_ready(consumer) && pg_ok;
}

static int load_tables(char *err, size_t errsz)
{
        struct ncfg *c = &N.cfg;
        char *txt = util_read_file(c->templates_file, NULL);
        if (!txt) {
                snprintf(err, errsz, "PRAHARI_DLT_TEMPLATES_FILE: cannot read %s", c->templates_file);
                return -1;
        }
        char e2[256];
        int rc = smstext_load(txt, c->public_url, &N.templates, e2, sizeof e2);
        free(txt);
        if (rc != 0) {
                snprintf(err, errsz, "PRAHARI_DLT_TEMPLATES_FILE: %s", e2);
                return -1;
        }
        txt = util_read_file(c->link_keys_file, NULL);
        if (!txt) {
                snprintf(err, errsz, "PRAHARI_LINK_KEYS_FILE: cannot read %s", c->link_keys_file);
                return -1;
        }
        rc = token_keys_parse(txt, &N.keys, e2, sizeof e2);
        free(txt);
        if (rc != 0) {
                snprintf(err, errsz, "PRAHARI_LINK_KEYS_FILE: %s", e2);
                return -1;
        }
        if (c->sms_providers_file) {
                txt = util_read_file(c->sms_providers_file, NULL);
                if (!txt) {
                        snprintf(err, errsz, "PRAHARI_SMS_PROVIDERS_FILE: cannot read %s",
                                 c->sms_providers_file);
                        return -1;
                }
                rc = sms_providers_load(txt, &N.providers, e2, sizeof e2);
                free(txt);
                if (rc != 0) {
                        snprintf(err, errsz, "PRAHARI_SMS_PROVIDERS_FILE: %s", e2);
                        return -1;
                }
        } else if (sms_providers_single(c->sms_url, c->sms_token, c->sms_sender, c->sms_profile,
                                        c->sms_username, c->sms_timeout_ms, &N.providers, err,
                                        errsz) != 0) {
                return -1;
        }
        char csv[1024];
        const char *dir = getenv("PRAHARI_GAZETTEER_DIR");
        if (!c->districts_csv && dir && *dir)
                snprintf(csv, sizeof csv, "%s/rajasthan_districts_41.csv", dir);
        else
                snprintf(csv, sizeof csv, "%s", c->districts_csv ? c->districts_csv : "");
        hindi_load(&N.hindi, csv[0] ? csv : NULL);
        if (c->districts_csv && N.hindi.n == 0) {
                snprintf(err, errsz, "PRAHARI_DISTRICTS_CSV: no district rows in %.400s", csv);
                return -1;
        }
        N.smtp = (struct smtp_cfg){
                .url = c->smtp_url,
                .starttls = c->smtp_starttls && strncmp(c->smtp_url, "smtps://", 8) != 0,
                .ca_file = c->smtp_ca_file,
                .user = c->smtp_user,
                .password = c->smtp_password,
                .mail_from = c->mail_from,
                .timeout_ms = c->smtp_timeout_ms,
                .connect_timeout_ms = 5000,
        };
        if (strncmp(c->smtp_url, "smtp://", 7) != 0 && strncmp(c->smtp_url, "smtps://", 8) != 0) {
                snprintf(err, errsz, "PRAHARI_SMTP_URL: must start with smtp:// or smtps://");
                return -1;
        }
        snprintf(N.clock_param, sizeof N.clock_param, "%.3f", c->clock_offset_s);
        return 0;
}

int main(int argc, char **argv)
{
        if (argc > 1 && strcmp(argv[1], "--help") == 0) {
                cfg_print_help(items, NITEMS);
                return 0;
        }
        log_init("notifier");
        sig_install();
        char err[512];
        if (cfg_load(items, NITEMS, &N.cfg, err, sizeof err) != 0) {
                log_error("configuration: %s", err);
                return 2;
        }
        cfg_log(items, NITEMS, &N.cfg);
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
                log_error("curl_global_init failed");
                return 1;
        }
        if (load_tables(err, sizeof err) != 0) {
                log_error("configuration: %s", err);
                return 2;
        }
        log_info("%zu DLT templates, %zu link keys, %zu SMS providers, %zu Hindi district names",
                 N.templates.n, N.keys.n, N.providers.n, N.hindi.n);

        int rc = 1;
        struct ops_server *ops = NULL;
        struct web *web = NULL;
        struct kq_producer *producer = NULL;
        struct worker w;
        bool have_worker = false;
        pthread_t st[32], et;
        long nst = 0;
        bool et_ok = false;

        const char *topics[] = {N.cfg.topic_routed};
        consumer = kq_consumer_new(N.cfg.group, topics, 1, err, sizeof err);
        if (!consumer) {
                log_error("kafka consumer: %s", err);
                goto out;
        }
        producer = kq_producer_new("prahari-notifier", err, sizeof err);
        if (!producer) {
                log_error("kafka producer: %s", err);
                goto out;
        }
        ops = ops_start(N.cfg.ops_port, ready, NULL, err, sizeof err);
        if (!ops) {
                log_error("ops server: %s", err);
                goto out;
        }
        web = web_start(&N, err, sizeof err);
        if (!web) {
                log_error("public server: %s", err);
                goto out;
        }
        if (worker_init(&w, &N, "notifier") != 0) {
                log_error("consumer worker: cannot start");
                goto out;
        }
        have_worker = true;
        pg_ok = w.conn != NULL;
        while (nst < N.cfg.sender_threads && pthread_create(&st[nst], NULL, sender_thread, NULL) == 0)
                nst++;
        et_ok = nst == N.cfg.sender_threads &&
                pthread_create(&et, NULL, escalation_thread, NULL) == 0;
        if (!et_ok) {
                log_error("cannot start threads");
                sig_request_stop();
                goto out;
        }
        log_info("notifier running: public port %d, ops port %d, topic %s", N.cfg.port,
                 N.cfg.ops_port, N.cfg.topic_routed);
        struct stage_cfg sc = {.name = "notifier",
                               .out_topic = NULL,
                               .dlq_topic = N.cfg.topic_deadletter,
                               .produce_timeout_ms = 10000};
        rc = stage_run(&sc, consumer, producer, consume_routed, &w) == 0 ? 0 : 1;
        if (!sig_stop_requested())
                sig_request_stop();
out:
        notifier_wake();
        for (long i = 0; i < nst; i++)
                pthread_join(st[i], NULL);
        if (et_ok)
                pthread_join(et, NULL);
        log_info("notifier stopping");
        web_stop(web);
        ops_stop(ops);
        kq_consumer_close(consumer);
        kq_producer_destroy(producer);
        if (have_worker)
                worker_close(&w);
        sms_providers_free(&N.providers);
        smstext_free(&N.templates);
        hindi_free(&N.hindi);
        cfg_free(items, NITEMS, &N.cfg);
        curl_global_cleanup();
        log_info("notifier stopped");
        return rc;
}
